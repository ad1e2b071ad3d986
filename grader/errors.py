"""The one exception type the command line turns into a clear message and exit status 2."""


class UsageError(Exception):
    """Bad input from a student or instructor: says what was wrong and what to do."""

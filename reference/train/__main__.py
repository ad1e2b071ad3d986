"""``python -m <package>.train MODEL [options]``: see :mod:`.cli` (``--help`` lists the options)."""
import sys

from .cli import main

sys.exit(main())

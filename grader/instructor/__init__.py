"""Instructor-only tools: starter generation, sandboxed grading, checks. Not shipped to students."""

"""The errors a person acts on: the CLI prints them as one line, with no traceback."""


class ActionableError(Exception):
    """A problem worded for the person who has to fix it."""

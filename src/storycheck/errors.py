"""Errors that storycheck reports to users as one line, naming the input at fault."""

from __future__ import annotations


class StorycheckError(Exception):
    """Base class for errors storycheck reports without a traceback."""


class InputError(StorycheckError):
    """An input (file, record, URL) that cannot be read into a document.

    The message is one line that names the input and the reason, so the CLI can print it as is and
    go on with the other inputs.
    """

    def __init__(self, where: str, reason: str) -> None:
        # Both go to Exception's args so the error pickles across worker processes.
        super().__init__(where, reason)
        self.where = where
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class MissingResourceError(StorycheckError):
    """A model or data file that the install step should have put in place is absent."""

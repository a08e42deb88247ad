"""Errors a user can act on. The CLI prints them as one line and exits 1; anything else is a bug."""

from __future__ import annotations

from pathlib import Path


class TwinError(Exception):
    """A problem the user can fix: bad input, a wrong passphrase, a missing vault."""


class BadInput(TwinError):
    """A file that cannot be read as what it claims to be."""

    def __init__(self, path: str | Path, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")

"""One exception type for bad user input, so every entry point reports it the same way."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input data or configuration: reported as one line, never as a traceback.

    Carries where the problem is (file and line, or record id) so the message points a user at
    the exact place to fix.
    """

    def __init__(
        self,
        problem: str,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.line = line
        self.record = record
        super().__init__(self.format())

    def format(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.record is not None:
            where += f" (record {self.record})" if where else f"record {self.record}"
        return f"{where}: {self.problem}" if where else self.problem


def read_bytes(path: Path | str) -> bytes:
    """A file's bytes; a missing file, a folder or an unreadable file is one line."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path) from None
    except OSError as err:
        raise InputError(
            f"cannot read the file ({err.strerror or type(err).__name__})", path
        ) from None

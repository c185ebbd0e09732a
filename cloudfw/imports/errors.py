"""Errors of the import readers: one line naming the file, the line when known, and the field."""

from __future__ import annotations

from cloudfw.model import CloudfwError


class ImportFileError(CloudfwError):
    """A file that cannot be imported (bad JSON, unknown shape, a field of the wrong type, a
    scope it does not name). The CLI prints it and exits 2."""


def where(file: str, line: int | None = None) -> str:
    return f"{file}:{line}" if line else file


def show(value: object) -> str:
    """A short rendering of a bad value for an error message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"

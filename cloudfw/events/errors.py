"""Error base for the events layer, and the located problems a read can report."""

from __future__ import annotations

from dataclasses import dataclass

from cloudfw.model import CloudfwError


class EventsError(CloudfwError):
    """An events input that cannot be used at all (bad path, bad URL, bad option)."""


class RecordError(EventsError):
    """One record that looks like a firewall change but does not fit the documented layout.

    ``field`` is the dotted path of the offending field when known."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Problem:
    """A unit that could not be read: a whole file (``record`` None) or one record in it.

    ``record`` is the 0-based index of the record in its file (for JSON Lines: the line number,
    1-based, prefixed ``line ``)."""

    location: str
    message: str
    record: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}#{self.record}" if self.record is not None else self.location
        return f"{where}: {self.message}"

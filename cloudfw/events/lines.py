"""Enumeration records that travel as their jsonl contract line (:class:`ReadLine`).

A busy trail holds hundreds of thousands of firewall reads. Building an `EnumerationEvent` for
each, pickling it back from the worker process that decoded it, and serializing it again in the
reader cost several times the read itself. A CloudTrail read decoded field by field
(`cloudfw.events.trailread`) is instead serialized once, where it is decoded: a `ReadLine` is the
line `cloudfw.events.serialize.to_jsonl` writes for its event, plus the few fields the reader
(time window, de-duplication) and the scan history's tally need. `ReadLine.event` gives the event
back to the consumers that want one (other formats, ``--findings``, ``audit --events``).

The decoder makes a plain tuple of those fields (`LineWriter.line`: a tuple of strings pickles
several times faster than a class instance), the reader turns it into a `ReadLine`
(:func:`read_line`).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import orjson

from cloudfw.events.normal import parse_time
from cloudfw.events.serialize import enumeration_doc, stamp
from cloudfw.model import EnumerationEvent, SourceRef, epoch_micros, from_epoch_micros

#: distinct time texts (and callers) remembered per decoder, then forgotten all at once
MAX_REMEMBERED = 1 << 16
Caller = tuple[str, str, str, str]  # provider, account, principal, source IP
#: `ReadLine`'s fields, in order
LineFields = tuple[bytes, str, int, Caller, bool, str, str]


class ReadLine(NamedTuple):
    """An enumeration record as its jsonl contract line, and what the reader needs of it."""

    line: bytes
    event_id: str
    #: the record's time, in microseconds since the epoch (`cloudfw.model.epoch_micros`)
    micros: int
    caller: Caller
    success: bool
    location: str
    record: str

    def event(self) -> EnumerationEvent:
        """The event the line was written for (the same fields, ``origin`` the record)."""
        d = orjson.loads(self.line)
        return EnumerationEvent(
            d["provider"], d["account"], d["region"], from_epoch_micros(self.micros),
            d["event_name"], d["resource_id"], d["principal"], d["source_ip"], d["user_agent"],
            d["success"], d["error_code"], d["event_id"],
            SourceRef("record", self.location, record=self.record),
        )  # fmt: skip


def read_line(fields: LineFields) -> ReadLine:
    """The `ReadLine` of `LineWriter.line`'s tuple (no copy of the fields)."""
    return tuple.__new__(ReadLine, fields)


class LineWriter:
    """Writes enumeration records' lines for one decoder: each distinct time text is parsed
    once (a busy trail logs many calls a second), and each caller is one tuple (pickled once
    per input)."""

    def __init__(self) -> None:
        self._times: dict[str, tuple[str, int]] = {}
        self._callers: dict[Caller, Caller] = {}
        #: the line's document for a writer to overwrite the fields of, record after record
        #: (the keys stay in `enumeration_doc`'s order): cheaper than a new dict each
        self._doc = enumeration_doc("aws", "", "", "", "", "", "", "", True, "", "", "")

    def time(self, value: object, field: str) -> tuple[str, int]:
        """``value`` (a record's time) as the line writes it, and in microseconds; raises
        `cloudfw.events.errors.RecordError` as `parse_time` does."""
        if not isinstance(value, str):
            t = parse_time(value, field)
            return stamp(t), epoch_micros(t)
        got = self._times.get(value)
        if got is None:
            got = _as_written(value)
            if got is None:
                t = parse_time(value, field)
                got = (stamp(t), epoch_micros(t))
            if len(self._times) >= MAX_REMEMBERED:
                self._times.clear()
            self._times[value] = got
        return got

    def caller(self, key: Caller) -> Caller:
        """``key``, or the equal tuple seen before (one object per caller: pickled once)."""
        caller = self._callers.get(key)
        if caller is None:
            if len(self._callers) >= MAX_REMEMBERED:
                self._callers.clear()
            caller = self._callers[key] = key
        return caller


def _as_written(text: str) -> tuple[str, int] | None:
    """`LineWriter.time` of a ``YYYY-MM-DDTHH:MM:SSZ`` time (CloudTrail's form), which `stamp`
    writes as it is; None for any other text, or one that is not a time."""
    if len(text) != 20 or text[4::3] != "--T::Z" or text[0] == "0":
        return None
    try:  # whole seconds: the float is exact
        return (text, int(datetime.fromisoformat(text).timestamp()) * 1_000_000)
    except ValueError:  # a day or an hour that does not exist
        return None

"""Helpers every reader shares: the JSON Lines loop, and time and integer parsing that fail
with a clear message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from cloudfw.model import SourceRef
from cloudfw.telemetry.events import Item, Malformed, file_ref

Convert = Callable[[dict[str, Any], SourceRef], Iterable[Item]]


def read_json_lines(lines: Iterable[str], path: str, convert: Convert) -> Iterator[Item]:
    """One JSON object per line -> ``convert``'s items. A bad line (invalid JSON, not an
    object, a field ``convert`` rejects with ValueError) becomes a located `Malformed` item;
    the rest of the file is still read."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        ref = file_ref(path, n)
        try:
            obj = orjson.loads(line)
            if type(obj) is not dict:
                raise ValueError("expected a JSON object")
            got = convert(obj, ref)
            # a lazy iterable must fail here, inside the try, not while it is yielded
            items = got if type(got) is tuple else tuple(got)
        except orjson.JSONDecodeError as exc:
            yield Malformed(ref, f"invalid JSON: {exc}")
            continue
        except ValueError as exc:
            yield Malformed(ref, str(exc))
            continue
        yield from items


def optional(item: Item | None) -> tuple[Item, ...]:
    return () if item is None else (item,)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (``Z``, nanoseconds, a blank instead of ``T``) or Unix epoch seconds, millis
    or micros (number or digit string). Naive times are UTC. ``None``/``""`` give ``None``."""
    kind = type(value)
    if kind is float or kind is int:
        x = float(value)
        return datetime.fromtimestamp(x / _scale(x), UTC)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"bad time {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        x = float(value)
        return datetime.fromtimestamp(x / _scale(x), UTC)
    if not isinstance(value, str):
        raise ValueError(f"bad time {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(r"\1", text)
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        try:  # osquery calendarTime: "Tue Sep 30 17:37:30 2014 UTC"
            t = datetime.strptime(value.strip(), "%a %b %d %H:%M:%S %Y %Z")
        except ValueError:
            raise ValueError(f"bad time {value!r}") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _scale(x: float) -> float:
    """Epoch seconds, millis, micros or nanos -> the divisor to seconds."""
    return 1e9 if x > 1e17 else 1e6 if x > 1e14 else 1e3 if x > 1e11 else 1.0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_int(value: Any, field: str) -> int | None:
    """An integer from a number, a decimal string or a ``0x`` hex string (Windows pids)."""
    if type(value) is int:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            pass
    raise ValueError(f"{field}: expected an integer, got {value!r}")


def to_str(value: Any) -> str:
    return "" if value is None else str(value)


def dig(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]…``, or None where a step is missing or not an object."""
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj

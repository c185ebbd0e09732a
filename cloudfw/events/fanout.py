"""Runs of portable inputs (local files, S3 objects) decoded on the executor, a window at a time.

`cloudfw.events.stream.EventReader` hands its inputs here when it has an executor. Consecutive
inputs whose opener can travel (`Portable`: a picklable callable such as
`cloudfw.events.stream.LocalFile`) are decoded as executor units (`Work.CPU`: worker processes
here, tasks with ``--dask``); each comes back as a `Decoded` (its ops and record count) in input
order. Inputs that cannot travel (API record streams, openers holding a client) and the
problems of failed expansions pass through unchanged, in their place, for the reader to handle
itself. At most two windows (16 inputs per slot each) are in flight, so memory holds the ops of
those inputs, never the whole read. A lone input is decoded in this process: a worker would only
add a copy.

A unit that fails as a whole (a lost worker, a dead process) is that input's problem; a raw
record never travels (the reader does not fan out when it keeps raw records).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudfw.events.decode import PROBLEM, Count, Decoded, Decoder, DecodeSpec
from cloudfw.events.errors import Problem
from cloudfw.executor import Batch, Executor, UnitFailure, Work

if TYPE_CHECKING:
    from cloudfw.events.stream import StreamUnit

WINDOW_PER_SLOT = 16
MIN_WINDOW = 32
Item = Any  # StreamUnit | RecordUnit | Problem (from EventReader._items)
_Pending = tuple["Batch[Decoded]", "list[StreamUnit]"]


@dataclass(frozen=True)
class DecodeUnit:
    spec: DecodeSpec
    location: str
    open: Any  # a picklable opener


def portable(item: Item) -> bool:
    from cloudfw.events.stream import StreamUnit

    return isinstance(item, StreamUnit) and bool(getattr(item.open, "portable", False))


def decode(u: DecodeUnit) -> Decoded:
    """The executor's function: one input's ops."""
    from cloudfw.events.stream import StreamUnit

    count = Count()
    ops = list(_decoder(u.spec).ops(StreamUnit(u.location, u.open), count))
    return Decoded(ops, count.n)


_DECODERS: dict[DecodeSpec, Decoder] = {}


def _decoder(spec: DecodeSpec) -> Decoder:
    got = _DECODERS.get(spec)
    if got is None:
        got = _DECODERS[spec] = Decoder(spec)
    return got


def decoded(items: Iterable[Item], spec: DecodeSpec, ex: Executor) -> Iterator[Item | Decoded]:
    """``items`` in order, each run of portable inputs replaced by its `Decoded`s."""
    window = max(MIN_WINDOW, WINDOW_PER_SLOT * ex.slots(Work.CPU))
    run: list[StreamUnit] = []
    pending: _Pending | None = None
    for item in items:
        if portable(item):
            run.append(item)
            if len(run) == window:
                batch = _submit(ex, run, spec)  # before collecting the last one: both run
                if pending is not None:
                    yield from _collect(*pending)
                pending, run = (batch, run), []
            continue
        yield from _drain(ex, spec, run, pending)
        run, pending = [], None
        yield item
    yield from _drain(ex, spec, run, pending)


def _drain(
    ex: Executor, spec: DecodeSpec, run: list[StreamUnit], pending: _Pending | None
) -> Iterator[Item | Decoded]:
    """The window in flight, then the rest of the run (one input alone: for the reader)."""
    if len(run) > 1:
        batch = _submit(ex, run, spec)
        if pending is not None:
            yield from _collect(*pending)
        yield from _collect(batch, run)
        return
    if pending is not None:
        yield from _collect(*pending)
    yield from run


def _submit(ex: Executor, run: Sequence[StreamUnit], spec: DecodeSpec) -> Batch[Decoded]:
    units = [DecodeUnit(spec, u.location, u.open) for u in run]
    return ex.submit(decode, units, Work.CPU)


def _collect(batch: Batch[Decoded], run: Sequence[StreamUnit]) -> Iterator[Decoded]:
    for unit, got in zip(run, batch.results(), strict=True):
        if isinstance(got, UnitFailure):
            problem = Problem(unit.location, f"decoding failed: {got.error}")
            yield Decoded([(PROBLEM, problem, True)], 0)
        else:
            yield got


__all__ = ["DecodeUnit", "decode", "decoded", "portable"]

"""Findings kept on disk, not in memory: sorted runs in one temporary file, merged back in the
report's total order (`report_order`), so a fleet's audit holds one run's head at a time.

Runs are merged in the order they were given a place (`add`'s ``index``): findings that sort
equal come out in that order, as one stable sort of every run's findings in that order would
give them.
"""

from __future__ import annotations

import heapq
import os
import pickle
import struct
import tempfile
from collections.abc import Iterable, Iterator

from cloudfw.model import Finding
from cloudfw.model.report import report_order

BLOCK = 1 << 16  # bytes read at a time from one run
_LEN = struct.Struct("<I")


class Spool:
    """Append sorted runs of findings; `merged` reads them back, merged, as often as needed."""

    def __init__(self) -> None:
        # lives as long as the spool (closed by `close`): no `with` block can hold it
        self._file = tempfile.TemporaryFile(prefix="cloudfw-findings-")  # noqa: SIM115
        self._end = 0
        self._runs: dict[int, tuple[int, int]] = {}  # index -> (start, end) in the file
        self.count = 0

    def add(self, index: int, findings: Iterable[Finding]) -> None:
        """Spool one run, already in `report_order`, under ``index`` (its place in the merge)."""
        data = bytearray()
        for f in findings:
            rec = pickle.dumps(f, protocol=pickle.HIGHEST_PROTOCOL)
            data += _LEN.pack(len(rec))
            data += rec
            self.count += 1
        if not data:
            return
        os.pwrite(self._file.fileno(), data, self._end)
        self._runs[index] = (self._end, self._end + len(data))
        self._end += len(data)

    def merged(self) -> Iterator[Finding]:
        """Every spooled finding in `report_order` (runs in ``index`` order on ties)."""
        runs = [self._read(*self._runs[k]) for k in sorted(self._runs)]
        return heapq.merge(*runs, key=report_order)

    def _read(self, pos: int, end: int) -> Iterator[Finding]:
        fd = self._file.fileno()
        buf = b""
        while True:
            at = 0
            while at + _LEN.size <= len(buf):
                (n,) = _LEN.unpack_from(buf, at)
                if at + _LEN.size + n > len(buf):
                    break
                yield pickle.loads(buf[at + _LEN.size : at + _LEN.size + n])
                at += _LEN.size + n
            buf = buf[at:]
            if pos >= end:
                if buf:  # pragma: no cover - the file was cut short under us
                    raise OSError("spooled findings are truncated")
                return
            chunk = os.pread(fd, min(max(BLOCK, 2 * len(buf)), end - pos), pos)
            pos += len(chunk)
            buf += chunk

    def close(self) -> None:
        self._file.close()

"""The default executor: bounded threads (I/O) and worker processes (CPU) on this machine.

Worker processes are forked where the platform can (Linux), so a unit's module state (loaded
catalogs, compiled patterns) is already there; elsewhere they are spawned. A worker ignores
Ctrl-C (the parent reports it) and pauses the cyclic garbage collector (one-shot work that
builds long-lived acyclic objects; see `cloudfw.cli.common.batch_gc`). A worker that dies (out
of memory, killed) fails the units it had not finished; they come back as `UnitFailure`s.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor as _PoolExecutor
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar, cast

from cloudfw.executor.base import UnitFailure, Work, describe_failure

U = TypeVar("U")
R = TypeVar("R")
MAX_PROCESSES = 4  # the default (``processes=0``) on a big machine: past it memory grows faster

OnDone = Callable[[int, bool], None]


def cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()


def _context() -> multiprocessing.context.BaseContext:
    fork = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if fork else "spawn")


class LocalBatch(Generic[R]):
    def __init__(
        self, pool: _PoolExecutor, futures: list[Future[R]], on_done: OnDone | None
    ) -> None:
        self._pool, self._futures, self._on_done = pool, futures, on_done

    def results(self) -> list[R | UnitFailure]:
        out: list[R | UnitFailure | None] = [None] * len(self._futures)
        for k, res in self.stream():
            out[k] = res
        return cast(list[R | UnitFailure], out)  # every future completed: no None is left

    def stream(self) -> Iterator[tuple[int, R | UnitFailure]]:
        """``(unit index, result or failure)`` as units finish; a result is not kept here once
        given out (a caller that spools results holds one at a time)."""
        futures: list[Future[R] | None] = list(self._futures)
        self._futures = []
        index = {id(f): k for k, f in enumerate(futures)}
        try:
            for fut in as_completed([f for f in futures if f is not None]):
                k = index[id(fut)]
                futures[k] = None
                res: R | UnitFailure
                try:
                    res = fut.result()
                except BrokenProcessPool:
                    res = UnitFailure(k, "a worker process died (out of memory? killed?)")
                except Exception as exc:
                    res = UnitFailure(k, describe_failure(exc), type(exc).__name__)
                del fut
                if self._on_done is not None:
                    self._on_done(k, not isinstance(res, UnitFailure))
                yield k, res
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


class LocalExecutor:
    """``threads`` bound I/O units, ``processes`` (0: one per CPU, up to 4) CPU units."""

    def __init__(self, *, threads: int = 8, processes: int = 0) -> None:
        self.threads = max(1, threads)
        self.processes = processes if processes > 0 else min(cpu_count(), MAX_PROCESSES)

    @property
    def where(self) -> str:
        return "this machine"

    @property
    def remote(self) -> bool:
        return False

    def slots(self, work: Work) -> int:
        return self.threads if work is Work.IO else self.processes

    def submit(
        self, fn: Callable[[U], R], units: Sequence[U], work: Work, on_done: OnDone | None = None
    ) -> LocalBatch[R]:
        size = max(1, min(self.slots(work), len(units)))
        pool: _PoolExecutor
        if work is Work.IO:
            pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="cloudfw-unit")
        else:
            pool = ProcessPoolExecutor(
                max_workers=size, mp_context=_context(), initializer=_worker_init
            )
        try:
            futures = [pool.submit(fn, u) for u in units]
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return LocalBatch(pool, futures, on_done)

    def close(self) -> None:
        pass

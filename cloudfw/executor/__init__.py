"""One executor for every fan-out: independent units in, results (or failures) out, in order.

A *unit* is a picklable value and a *function* a module-level callable that turns one unit into
a picklable result, so that the same units can run anywhere:

* `LocalExecutor` (the default): bounded threads for API I/O, bounded worker processes
  (`concurrent.futures`) for CPU work, on this machine; nothing to start.
* `DaskExecutor` (``--dask tcp://SCHEDULER:8786`` or ``CLOUDFW_DASK``): the same units as tasks on
  a ``dask.distributed`` cluster; ``distributed`` is imported only then.

A unit that raises, or whose worker is lost for good (after the engine's own retries), comes back
as a `UnitFailure` in its place; callers turn it into a coverage entry or a fallback, never into
silence. Nothing here imports a cloud SDK, and importing this package imports no engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from cloudfw.executor.base import (
    Batch,
    ExecutorError,
    UnitFailure,
    Work,
    allow_pickling_read_only_mappings,
    describe_failure,
)

U = TypeVar("U")
R = TypeVar("R")

OnDone = Callable[[int, bool], None]  # (unit index, succeeded), called in the caller's thread


class Executor(Protocol):
    """Runs units. ``submit`` returns at once; the batch's ``results`` blocks."""

    @property
    def where(self) -> str:
        """Where the units run, for messages: ``this machine`` or ``dask tcp://…``."""
        ...

    @property
    def remote(self) -> bool:
        """True when units run in other processes that may be on other machines."""
        ...

    def slots(self, work: Work) -> int:
        """How many units of ``work`` run at once."""
        ...

    def submit(
        self, fn: Callable[[U], R], units: Sequence[U], work: Work, on_done: OnDone | None = None
    ) -> Batch[R]: ...

    def close(self) -> None: ...


def run(
    executor: Executor,
    fn: Callable[[U], R],
    units: Sequence[U],
    work: Work,
    on_done: OnDone | None = None,
) -> Sequence[R | UnitFailure]:
    """``executor.submit(...).results()``: every unit's result or failure, in unit order."""
    return executor.submit(fn, units, work, on_done).results()


def open_executor(
    dask: str | None, *, threads: int = 8, processes: int = 0, connect_timeout: float = 30.0
) -> Executor:
    """The local executor, or a client of the Dask scheduler at ``dask`` (``tcp://host:port``).
    ``processes`` 0: one per CPU. Raises `ExecutorError` when the scheduler cannot be reached in
    ``connect_timeout`` seconds (a scheduler that is still starting refuses connections for a
    while, so a refusal is retried until then)."""
    allow_pickling_read_only_mappings()
    if dask:
        from cloudfw.executor.dask import DaskExecutor

        return DaskExecutor(dask, connect_timeout)
    from cloudfw.executor.local import LocalExecutor

    return LocalExecutor(threads=threads, processes=processes)


__all__ = [
    "Batch",
    "Executor",
    "ExecutorError",
    "OnDone",
    "UnitFailure",
    "Work",
    "describe_failure",
    "open_executor",
    "run",
]

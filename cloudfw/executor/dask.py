"""Units as tasks on a ``dask.distributed`` cluster (``--dask tcp://SCHEDULER:8786``).

``distributed`` is imported here only, and this module only when ``--dask`` is given. The
functions and units are pickled by reference to cloudfw's modules, so every worker needs the
same cloudfw installed (``pip install 'cloudfw[dask]'``). No credentials travel in a task: units
carry names (an account id, a role name, a file path), and each task authenticates from its
worker's own identity.

Submission is windowed (at most ``2 x`` the cluster's threads in flight), so a run of 100,000
units does not flood the scheduler. A worker lost mid-task is the scheduler's to retry (its
``distributed.scheduler.allowed-failures``, 3 by default); a unit that still fails, or that
raises, is retried ``RETRIES`` times and then comes back as a `UnitFailure`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, cast

from cloudfw.executor.base import ExecutorError, UnitFailure, Work, describe_failure

U = TypeVar("U")
R = TypeVar("R")
RETRIES = 1

OnDone = Callable[[int, bool], None]


class DaskBatch(Generic[R]):
    def __init__(
        self,
        client: Any,
        fn: Callable[[Any], R],
        units: Sequence[Any],
        window: int,
        on_done: OnDone | None,
    ) -> None:
        import distributed

        dist: Any = distributed  # untyped
        self._client, self._fn, self._units, self._on_done = client, fn, units, on_done
        self._next = 0
        self._index: dict[str, int] = {}
        self._pending: Any = dist.as_completed(loop=client.loop)
        for _ in range(min(window, len(units))):
            self._submit_next()

    def _submit_next(self) -> None:
        k = self._next
        self._next += 1
        fut = self._client.submit(self._fn, self._units[k], pure=False, retries=RETRIES)
        self._index[fut.key] = k
        self._pending.add(fut)

    def results(self) -> list[R | UnitFailure]:
        out: list[R | UnitFailure | None] = [None] * len(self._units)
        for k, res in self.stream():
            out[k] = res
        return cast(list[R | UnitFailure], out)

    def stream(self) -> Iterator[tuple[int, R | UnitFailure]]:
        """``(unit index, result or failure)`` as tasks finish (each released at once)."""
        for fut in self._pending:
            k = self._index.pop(fut.key)
            res: R | UnitFailure
            try:
                res = fut.result()
            except Exception as exc:  # the unit raised, or KilledWorker after the retries
                res = UnitFailure(k, describe_failure(exc), type(exc).__name__)
            fut.release()
            if self._on_done is not None:
                self._on_done(k, not isinstance(res, UnitFailure))
            if self._next < len(self._units):
                self._submit_next()
            yield k, res


class DaskExecutor:
    """A client of the scheduler at ``address``; every kind of work runs as cluster tasks."""

    def __init__(self, address: str, connect_timeout: float = 30.0) -> None:
        try:
            import distributed
        except ImportError:
            raise ExecutorError(
                "--dask needs the dask extra: pip install 'cloudfw[dask]'"
            ) from None
        self.address = address
        try:
            dist: Any = distributed  # untyped
            self._client: Any = dist.Client(
                address, timeout=f"{connect_timeout}s", set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"--dask {address}: cannot reach the scheduler: {exc}") from None

    @property
    def where(self) -> str:
        return f"dask {self.address}"

    @property
    def remote(self) -> bool:
        return True

    def slots(self, work: Work) -> int:
        threads = self._client.nthreads()
        return max(1, sum(int(n) for n in threads.values()))

    def submit(
        self, fn: Callable[[U], R], units: Sequence[U], work: Work, on_done: OnDone | None = None
    ) -> DaskBatch[R]:
        return DaskBatch(self._client, fn, units, 2 * self.slots(work), on_done)

    def close(self) -> None:
        self._client.close()

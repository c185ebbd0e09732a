"""`cloudfw.executor`: units in, results or failures out, in unit order, wherever they run."""

from __future__ import annotations

import os

import pytest
from dask_support import local_cluster

from cloudfw.executor import ExecutorError, UnitFailure, Work, open_executor, run
from cloudfw.executor.local import LocalExecutor

UNITS = [-5, 3, -1, 0, 8, -13, 21]


@pytest.mark.parametrize("work", [Work.IO, Work.CPU])
def test_local_results_come_back_in_unit_order(work: Work) -> None:
    ex = LocalExecutor(threads=3, processes=2)
    done: list[tuple[int, bool]] = []
    got = ex.submit(abs, UNITS, work, lambda k, ok: done.append((k, ok))).results()
    assert list(got) == [abs(u) for u in UNITS]
    assert sorted(done) == [(k, True) for k in range(len(UNITS))], "on_done once per unit"
    assert ex.slots(Work.IO) == 3 and ex.slots(Work.CPU) == 2


@pytest.mark.parametrize("work", [Work.IO, Work.CPU])
def test_a_unit_that_raises_is_a_failure_in_its_place(work: Work) -> None:
    got = run(LocalExecutor(), int, ["1", "x", "3"], work)
    assert got[0] == 1 and got[2] == 3
    bad = got[1]
    assert isinstance(bad, UnitFailure) and bad.index == 1 and bad.kind == "ValueError"
    assert bad.error.startswith("ValueError: invalid literal for int()")


def test_a_worker_process_that_dies_fails_its_units_not_the_run() -> None:
    got = run(LocalExecutor(processes=1), os._exit, [3], Work.CPU)
    assert isinstance(got[0], UnitFailure) and "worker process died" in got[0].error


@pytest.mark.slow  # distributed retries the connection for its 30 s connect timeout
def test_an_unreachable_scheduler_is_one_error() -> None:
    with pytest.raises(ExecutorError, match=r"--dask tcp://127\.0\.0\.1:9: cannot reach"):
        open_executor("tcp://127.0.0.1:9", connect_timeout=2)


@pytest.mark.slow
def test_dask_runs_the_same_units() -> None:
    with local_cluster() as cluster:
        ex = open_executor(cluster.scheduler_address)
        try:
            assert ex.remote and ex.slots(Work.CPU) == 2 and "dask tcp://127.0.0.1:" in ex.where
            done: list[int] = []
            got = ex.submit(abs, UNITS * 3, Work.IO, lambda k, ok: done.append(k)).results()
            assert list(got) == [abs(u) for u in UNITS * 3] and sorted(done) == list(range(21))
            bad = run(ex, int, ["1", "x"], Work.CPU)[1]
            assert isinstance(bad, UnitFailure) and bad.kind == "ValueError"
        finally:
            ex.close()

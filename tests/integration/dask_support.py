"""A real ``distributed.LocalCluster`` on 127.0.0.1 for the tests (two worker processes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import dask.config


@contextlib.contextmanager
def local_cluster(workers: int = 2, threads: int = 1, **config: Any) -> Iterator[Any]:
    """``workers`` worker processes of ``threads`` threads each, started with this process's
    environment (endpoint overrides and fake keys included), no dashboard, loopback only.
    ``config``: ``dask.config`` settings for the scheduler (e.g. ``allowed-failures``)."""
    from distributed import LocalCluster

    settings = {"distributed.scheduler.work-stealing": False, **config}
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,  # logging.ERROR: a killed worker is expected in one test
        ) as cluster,
    ):
        yield cluster

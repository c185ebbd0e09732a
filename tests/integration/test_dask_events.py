"""`cloudfw events` over many files: each file decoded as an executor unit (worker processes by
default, Dask tasks with --dask, a LocalCluster on 127.0.0.1 here) gives the bytes of a read in
one process: the same events in the same order, duplicates across files dropped the same way,
Azure / GCP operations folded across files, the same counts and problems."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from dask_support import local_cluster
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.events import CHANGES, ENUMERATION, EventReader, ReadOptions, serialize
from cloudfw.events.stream import local_units

_register_all()
pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"
COPIES = 6


def _tree(tmp: Path) -> Path:
    """The event fixtures ``COPIES`` times over (every copy's events are duplicates of the
    first's), a truncated gzip file and a file that is not JSON in the middle."""
    root = tmp / "logs"
    for k in range(COPIES):
        shutil.copytree(FIXTURES, root / f"copy{k}")
    whole = gzip.compress(b'{"Records": [' + b'{"eventName": "x"},' * 50 + b"{}]}")
    (root / "copy2" / "damaged.json.gz").write_bytes(whole[: len(whole) // 2])
    (root / "copy3" / "garbage.json").write_bytes(b"this is not json\n")
    return root


def _cli(*args: str) -> tuple[int, bytes, str]:
    res = CliRunner().invoke(app, ["events", "--kind", "all", "--no-store", *args])
    assert isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stdout_bytes, res.stderr


def test_many_files_on_workers_and_on_a_cluster_give_the_one_process_bytes(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path)
    reader = EventReader(ReadOptions(kinds=frozenset({CHANGES, ENUMERATION})))
    one = b"".join(serialize.to_jsonl(ev) for ev in reader.read_all(list(local_units(str(root)))))
    assert reader.stats.units > 40 and reader.stats.duplicates > 0
    assert reader.stats.units_failed == 2 and not reader.stats.complete
    code_local, local, err_local = _cli(str(root))
    with local_cluster(threads=2) as cluster:
        code_d, there, err_d = _cli(str(root), "--dask", cluster.scheduler_address)
        prefixes = set(cluster.scheduler.task_prefixes)
    assert "decode" in prefixes  # the files were decoded as cluster tasks
    assert code_local == code_d == 3
    assert local == one and there == one and one.count(b"\n") > 10
    assert err_local == err_d and f"read {reader.stats.units} input(s)" in err_local
    assert "damaged.json.gz" in err_local and "garbage.json" in err_local

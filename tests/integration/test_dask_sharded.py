"""`audit --snapshot FILE --jobs N` on a Dask cluster (a LocalCluster on 127.0.0.1): the same
shards as worker processes, the same report byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dask_support import local_cluster
from test_sharded import BASELINE, estate
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.snapshotio import write_snapshot

_register_all()
pytestmark = pytest.mark.slow
STAMP = re.compile(rb'"generated_at": "[^"]*"')


def _report(*args: str) -> tuple[bytes, str]:
    res = CliRunner().invoke(app, ["audit", "--format", "json", "--no-store", *args])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.stderr
    out, n = STAMP.subn(b'"generated_at": "-"', res.stdout_bytes)
    assert n == 1, "the one field that differs between runs is blanked"
    return out, res.stderr


def test_dask_shards_give_the_in_process_report(tmp_path: Path) -> None:
    snap, base = tmp_path / "estate.json", tmp_path / "prod.yaml"
    write_snapshot(estate(), snap)
    base.write_text(BASELINE)
    common = ("--snapshot", str(snap), "--baseline", str(base))
    plain, _ = _report(*common, "--jobs", "1")
    local, err_local = _report(*common, "--jobs", "3")
    with local_cluster() as cluster:
        remote, err_remote = _report(*common, "--jobs", "3", "--dask", cluster.scheduler_address)
    assert "audited in 3 worker processes" in err_local
    assert f"audited in 3 shards on dask {cluster.scheduler_address}" in err_remote
    assert remote == local == plain
    assert b'"check": "revoked"' in plain

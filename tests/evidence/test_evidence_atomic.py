"""A bundle appears whole or not at all: kill -9 at any point of an export leaves nothing at
--out that verifies, an export that fails cleans up, and an empty --out is replaced whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from events_helpers import run_cli
from evidence_helpers import export, keygen, verify

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
RECORDS = 20_000  # about 4 s of export on a 2-vCPU VM: room to kill it at each stage


@pytest.fixture(scope="module")
def big_trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trail") / "big.json"
    subprocess.run([sys.executable, str(HERE / "kill_worker.py"), str(path), str(RECORDS)],
                   check=True, timeout=120)  # fmt: skip
    return path


def _partials(parent: Path, name: str) -> list[Path]:
    return sorted(parent.glob(f".{name}.partial-*"))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


STAGES: dict[str, Callable[[Path], bool]] = {
    "started": lambda d: d.is_dir(),
    "reading events": lambda d: _size(d / "raw-records.jsonl") > 1 << 20,
    "writing the review": lambda d: (d / "review-summary.json").exists(),
}


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(STAGES))
def test_kill_9_mid_export_leaves_no_bundle(big_trail: Path, tmp_path: Path, stage: str) -> None:
    key = keygen(tmp_path / "key")
    out = tmp_path / "q4"
    cmd = [sys.executable, "-m", "cloudfw", "evidence", "export", "--since", "2026-11-01",
           "--until", "2026-11-05", "--events", str(big_trail), "--sign", str(key),
           "--store", str(tmp_path / "none.sqlite"), "--out", str(out)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            parts = _partials(tmp_path, "q4")
            if parts and STAGES[stage](parts[0]):
                break
            assert proc.poll() is None, f"export ended before stage {stage!r}: rc={proc.returncode}"
            assert time.monotonic() < deadline, f"stage {stage!r} never reached"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    code, err = verify(out, "--pubkey", str(tmp_path / "key.pub"))
    assert code == 2 and "not an evidence bundle" in err
    (partial,) = _partials(tmp_path, "q4")
    assert not (partial / "manifest.json").exists() and not (partial / "manifest.json.sig").exists()
    code, err = verify(partial)
    assert code == 2 and "not an evidence bundle (no manifest.json)" in err
    # the leftover does not stand in the way of the next export
    export(out, "--sign", str(key))
    assert verify(out, "--pubkey", str(tmp_path / "key.pub"))[0] == 0


def test_a_failed_export_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "findings.json"
    bad.write_text("{not json")
    code, _, err = run_cli("evidence", "export", "--since", "2026-11-01", "--until", "2026-11-05",
                           "--findings", str(bad), "--store", str(tmp_path / "none.sqlite"),
                           "--out", str(tmp_path / "b"))  # fmt: skip
    assert code == 2 and f"{bad}: not JSON" in err
    assert not (tmp_path / "b").exists() and _partials(tmp_path, "b") == []


def test_an_empty_out_directory_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "b"
    out.mkdir()
    export(out)
    assert (out / "manifest.json").is_file() and verify(out)[0] == 0
    assert _partials(tmp_path, "b") == []


def test_a_bad_signing_key_fails_before_anything_is_written(tmp_path: Path) -> None:
    pub = keygen(tmp_path / "key").with_name("key.pub")
    code, _, err = run_cli("evidence", "export", "--since", "2026-11-01", "--until", "2026-11-05",
                           "--sign", str(pub), "--out", str(tmp_path / "b"))  # fmt: skip
    assert code == 2 and "not a private key file" in err and "(that is a public key)" in err
    assert not (tmp_path / "b").exists() and _partials(tmp_path, "b") == []

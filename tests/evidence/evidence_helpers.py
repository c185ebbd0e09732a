"""Shared by the evidence tests: the real CLI, keys, bundles, signatures made by ssh-keygen."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from events_helpers import FIXTURES, run_cli

SSH_KEYGEN = shutil.which("ssh-keygen")
needs_ssh_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen is not installed")
WINDOW = ("--since", "2026-11-01", "--until", "2026-11-05")
EVENTS = ("--events", str(FIXTURES / "aws" / "trail"), "--events", str(FIXTURES / "azure"))


def keygen(path: Path, *extra: str) -> Path:
    """`cloudfw evidence keygen --out PATH`; returns the private key path."""
    code, _, err = run_cli("evidence", "keygen", "--out", str(path), *extra)
    assert code == 0, err
    return path


def export(out: Path, *extra: str, store: Path | None = None) -> str:
    """`cloudfw evidence export` of the fixture events; returns stderr (asserts exit 0)."""
    hist = ("--store", str(store if store is not None else out.parent / "no-history.sqlite"))
    code, _, err = run_cli("evidence", "export", *WINDOW, *EVENTS, *hist, "--out", str(out),
                           *extra)  # fmt: skip
    assert code == 0, err
    return err


def verify(bundle: Path, *extra: str) -> tuple[int, str]:
    code, _, err = run_cli("evidence", "verify", str(bundle), *extra)
    return code, err


def ssh_keygen(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    assert SSH_KEYGEN is not None
    return subprocess.run([SSH_KEYGEN, *args], input=stdin, capture_output=True, check=False,
                          timeout=60)  # fmt: skip


def ssh_key(path: Path, kind: str = "ed25519", *extra: str) -> Path:
    """A key pair made by ssh-keygen itself (no passphrase)."""
    res = ssh_keygen("-q", "-t", kind, *extra, "-N", "", "-C", f"{kind}@test", "-f", str(path))
    assert res.returncode == 0, res.stderr
    return path


def ssh_sign(key: Path, file: Path, namespace: str = "cloudfw-evidence") -> Path:
    """`ssh-keygen -Y sign -n NAMESPACE -f KEY FILE`: writes FILE.sig."""
    res = ssh_keygen("-Y", "sign", "-n", namespace, "-f", str(key), str(file))
    assert res.returncode == 0, res.stderr
    return file.with_name(file.name + ".sig")

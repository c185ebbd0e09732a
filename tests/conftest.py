"""Shared test setup: refuse any network connection that is not loopback; keep the scan
history (and anything else under the user data dir) out of the real home directory."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

# CI must be reproducible: the same examples on every run (explore freely on developer machines).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"


def _loopback(host: object) -> bool:
    if host in (None, "", "localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_real_gai = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _gai(host: Any, *a: Any, **k: Any) -> Any:
    h = host.decode() if isinstance(host, bytes) else host
    if not _loopback(h):
        raise socket.gaierror(-2, f"test network guard: refused to resolve {h!r}")
    return _real_gai(host, *a, **k)


def _check(sock: socket.socket, addr: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(addr[0]):
        raise OSError(f"test network guard: refused to connect to {addr[0]!r}")


def _connect(self: socket.socket, addr: Any) -> None:
    _check(self, addr)
    _real_connect(self, addr)


def _connect_ex(self: socket.socket, addr: Any) -> int:
    _check(self, addr)
    return _real_connect_ex(self, addr)


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Scan history defaults to the user's data dir: keep the tests out of the real one."""
    old = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if old is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = old


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    socket.getaddrinfo = _gai  # type: ignore[assignment]
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    yield
    socket.getaddrinfo = _real_gai
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _private_user_data(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands that record to, or read, the default scan history see a fresh, empty user
    data dir, never the real one (the store tests' own fixture narrows this per test)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.delenv("CLOUDFW_STORE", raising=False)

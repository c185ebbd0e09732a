"""Snapshot bundles: what the collector scripts write, one per host.

A bundle is a directory, or a ``.tar.gz`` of one, holding ``manifest.json`` and the raw outputs:

    {"schema": "cloudfw.host-bundle/1", "host": "web-01", "collected_at": "2026-11-22T10:00:00Z",
     "os": {"name": "Linux", "release": "6.1.0"}, "collector": "collect-posix.sh/1",
     "tools": {"iptables": "iptables v1.8.9 (nf_tables)"},
     "files": [{"path": "iptables-save.txt", "format": "iptables", "command": "iptables-save",
                "status": 0}]}

``status`` other than 0 means the collector could not read that source (for example pfctl
without root): the file is reported as unreadable, never as clean. Files present but not listed
are parsed with format detection. Inputs may also be loose files (host = the file name up to its
first dot) or directories holding many bundles and files.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudfw.hosts.errors import BundleError

BUNDLE_SCHEMA = "cloudfw.host-bundle/1"
MANIFEST = "manifest.json"
MAX_FILE = 256 << 20


@dataclass(frozen=True)
class SnapshotFile:
    """One raw source: ``location`` names it in errors (``bundle.tar.gz!iptables-save.txt``)."""

    location: str
    load: Callable[[], bytes]
    fmt: str | None = None
    failed: str = ""  # the collector recorded that it could not read this source


@dataclass(frozen=True)
class HostInput:
    host: str
    origin: str
    files: tuple[SnapshotFile, ...]
    manifest: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InputError:
    """A path or bundle that could not be opened at all."""

    location: str
    message: str


def _read_path(p: Path) -> Callable[[], bytes]:
    def load() -> bytes:
        if p.stat().st_size > MAX_FILE:
            raise BundleError(f"{p}: file is larger than {MAX_FILE >> 20} MiB")
        return p.read_bytes()

    return load


def _manifest(raw: bytes, location: str) -> Mapping[str, Any]:
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", 1)
        raise BundleError(f"{location}:{line}: bad manifest JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BundleError(f"{location}: manifest must be a JSON object")
    if doc.get("schema") != BUNDLE_SCHEMA:
        raise BundleError(
            f"{location}: schema: expected {BUNDLE_SCHEMA!r}, got {doc.get('schema')!r}"
        )
    if not isinstance(doc.get("host"), str) or not doc["host"]:
        raise BundleError(f"{location}: host: missing or not a string")
    files = doc.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, dict) and "path" in f for f in files):
        raise BundleError(f"{location}: files: expected a list of objects with a 'path'")
    return doc


def _bundle_files(
    manifest: Mapping[str, Any],
    names: list[str],
    opener: Callable[[str], Callable[[], bytes]],
    prefix: str,
) -> tuple[SnapshotFile, ...]:
    out: list[SnapshotFile] = []
    listed: set[str] = set()
    for entry in manifest.get("files", []):
        path = str(entry["path"])
        listed.add(path)
        status = entry.get("status", 0)
        loc = f"{prefix}{path}"
        if entry.get("empty") and status in (0, "0", None):
            continue  # the tool ran and printed nothing (no rules loaded): nothing to parse
        if status not in (0, "0", None):
            cmd = entry.get("command", path)
            why = str(entry.get("error", "")).strip().splitlines()
            detail = f": {why[0][:200]}" if why else ""
            out.append(
                SnapshotFile(
                    loc,
                    lambda: b"",
                    entry.get("format"),
                    f"collector could not run {cmd!r} (status {status}){detail}",
                )
            )
            continue
        if path not in names:
            out.append(SnapshotFile(loc, lambda: b"", None, "listed in the manifest but missing"))
            continue
        out.append(SnapshotFile(loc, opener(path), entry.get("format") or None))
    for name in sorted(names):
        if name in listed or name == MANIFEST or name.endswith((".stderr", ".err")):
            continue
        out.append(SnapshotFile(f"{prefix}{name}", opener(name)))
    return tuple(out)


def open_bundle_dir(d: Path) -> HostInput:
    manifest = _manifest((d / MANIFEST).read_bytes(), str(d / MANIFEST))
    names = [str(p.relative_to(d)) for p in sorted(d.rglob("*")) if p.is_file()]
    files = _bundle_files(manifest, names, lambda n: _read_path(d / n), f"{d}/")
    return HostInput(str(manifest["host"]), str(d), files, manifest)


def open_bundle_tar(p: Path) -> HostInput:
    try:
        with tarfile.open(p, "r:*") as tf:
            members: dict[str, bytes] = {}
            for m in tf.getmembers():
                if not m.isfile():
                    continue
                if m.size > MAX_FILE:
                    raise BundleError(f"{p}!{m.name}: member is larger than {MAX_FILE >> 20} MiB")
                fh = tf.extractfile(m)
                if fh is not None:
                    members[m.name] = fh.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError(f"{p}: not a readable tar.gz bundle: {exc}") from None
    roots = [n for n in members if n.rsplit("/", 1)[-1] == MANIFEST]
    if not roots:
        raise BundleError(f"{p}: no {MANIFEST} in the bundle")
    root = min(roots, key=len)
    base = root[: -len(MANIFEST)]
    manifest = _manifest(members[root], f"{p}!{root}")
    names = [n[len(base) :] for n in members if n.startswith(base)]

    def opener(name: str) -> Callable[[], bytes]:
        data = members[base + name]
        return lambda: data

    files = _bundle_files(manifest, names, opener, f"{p}!")
    return HostInput(str(manifest["host"]), str(p), files, manifest)


def _is_tar(p: Path) -> bool:
    return p.name.endswith((".tar.gz", ".tgz", ".tar"))


def loose_host(p: Path) -> str:
    return p.name.split(".", 1)[0] or p.name


def iter_inputs(paths: list[Path], fmt: str | None = None) -> Iterator[HostInput | InputError]:
    """Every host input under ``paths``: bundles (dir or tar.gz), loose files, or directories of
    many of them (one level deep). Unreadable ones come out as `InputError`."""
    for p in paths:
        try:
            if p.is_dir() and (p / MANIFEST).is_file():
                yield open_bundle_dir(p)
            elif p.is_dir():
                for child in sorted(p.iterdir()):
                    if child.name.startswith("."):
                        continue
                    yield from iter_inputs([child], fmt)
            elif p.is_file() and _is_tar(p):
                yield open_bundle_tar(p)
            elif p.is_file():
                yield HostInput(loose_host(p), str(p), (SnapshotFile(str(p), _read_path(p), fmt),))
            else:
                yield InputError(str(p), "no such file or directory")
        except BundleError as exc:
            yield InputError(str(p), str(exc))
        except OSError as exc:
            yield InputError(str(p), f"cannot read: {exc.strerror or exc}")


def write_bundle_tar(files: Mapping[str, bytes], out: io.BufferedIOBase) -> None:
    """Write a bundle (manifest included in ``files``) as tar.gz; used by tests and the demo."""
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))

"""Linux auditd logs (``/var/log/audit/audit.log``, raw or ``log_format=ENRICHED``).

Records are grouped by the serial in ``msg=audit(<epoch>:<serial>)`` (with ``node=``, per node) and
a group is complete at its ``EOE`` record, when too many groups are open, or at the end. From a
group:

- ``execve`` (SYSCALL + EXECVE, hex-encoded and ``aN_len``/``aN[k]`` split arguments, several EXECVE
  records) -> ProcessEvent;
- ``connect`` + SOCKADDR (inet/inet6) -> NetworkEvent connect; ``accept``/``accept4``/``recvfrom``/
  ``recvmsg`` + SOCKADDR -> inbound;
- ``setsockopt(SOL_SOCKET, SO_ATTACH_FILTER=26 | SO_ATTACH_BPF=50)`` -> filter_attach;
  ``socket(AF_PACKET)`` -> packet_socket;
- ``open``/``openat`` of ``/dev/bpf*`` (PATH) -> FileEvent.

``SERVICE_STOP`` records (systemd unit stops) become FirewallEvents (``event_id`` 0).
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cloudfw.telemetry.events import (
    CONNECT,
    FILTER_ATTACH,
    INBOUND,
    PACKET_SOCKET,
    FileEvent,
    FirewallEvent,
    Item,
    Malformed,
    NetworkEvent,
    ProcessEvent,
    file_ref,
)

_HEAD = re.compile(r"^(?:node=(\S+) )?type=(\S+) msg=audit\((\d+(?:\.\d+)?):(\d+)\):\s*(.*)$")
_FIELD = re.compile(r"([\w\[\]-]+)=(?:\"([^\"]*)\"|'([^']*)'|(\S+))")
_GROUPED = frozenset({"SYSCALL", "EXECVE", "PATH", "CWD", "PROCTITLE", "SOCKADDR", "SOCKETCALL",
                      "FD_PAIR", "BPRM_FCAPS", "OBJ_PID", "MMAP", "EOE", "CAPSET"})  # fmt: skip
_MAX_OPEN = 64

# syscall numbers per audit arch
_SYSCALLS: dict[str, dict[int, str]] = {
    "c000003e": {59: "execve", 322: "execve", 42: "connect", 43: "accept", 288: "accept",
                 41: "socket", 54: "setsockopt", 45: "recv", 47: "recv", 2: "open", 257: "open"},
    "c00000b7": {221: "execve", 281: "execve", 203: "connect", 202: "accept", 242: "accept",
                 198: "socket", 208: "setsockopt", 207: "recv", 212: "recv", 56: "open"},
}  # fmt: skip
_SO_ATTACH = {0x1A: "setsockopt SO_ATTACH_FILTER", 0x32: "setsockopt SO_ATTACH_BPF"}


@dataclass
class _Group:
    node: str
    time: datetime
    serial: str
    line: int
    records: list[tuple[str, dict[str, str], set[str]]] = field(default_factory=list)


def parse_fields(text: str) -> tuple[dict[str, str], set[str]]:
    """``key=value`` pairs and the set of keys whose values were double-quoted. An ENRICHED
    tail (after ``\\x1d``) is parsed into upper-case keys."""
    raw, _, enriched = text.partition("\x1d")
    fields: dict[str, str] = {}
    quoted: set[str] = set()
    for m in _FIELD.finditer(raw):
        k = m.group(1)
        if m.group(2) is not None:
            fields[k] = m.group(2)
            quoted.add(k)
        else:
            fields[k] = m.group(3) if m.group(3) is not None else m.group(4)
    for m in _FIELD.finditer(enriched):
        fields.setdefault(m.group(1), m.group(2) or m.group(3) or m.group(4) or "")
    return fields, quoted


def _decode(value: str, quoted: bool) -> bytes:
    if quoted:
        return value.encode()
    if value == "(null)":
        return b""
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"argument {value[:40]!r} is neither quoted nor hex") from None


def decode_execve(records: list[tuple[dict[str, str], set[str]]]) -> tuple[str, ...]:
    fields: dict[str, str] = {}
    quoted: set[str] = set()
    for f, q in records:
        fields.update(f)
        quoted |= q
    try:
        argc = int(fields.get("argc", "0"))
    except ValueError:
        raise ValueError(f"argc: bad value {fields.get('argc')!r}") from None
    argv: list[str] = []
    for i in range(argc):
        key = f"a{i}"
        if f"{key}_len" in fields:
            chunks: list[bytes] = []
            k = 0
            while f"{key}[{k}]" in fields:
                chunks.append(_decode(fields[f"{key}[{k}]"], f"{key}[{k}]" in quoted))
                k += 1
            argv.append(b"".join(chunks).decode("utf-8", "replace"))
        elif key in fields:
            argv.append(_decode(fields[key], key in quoted).decode("utf-8", "replace"))
        else:
            break  # truncated by the kernel (argument space limit)
    return tuple(argv)


def parse_sockaddr(hexstr: str) -> tuple[str, str, int | None]:
    """``(family, address, port)`` from a SOCKADDR ``saddr`` (family is little-endian)."""
    try:
        raw = bytes.fromhex(hexstr)
    except ValueError:
        raise ValueError(f"saddr: not hex: {hexstr[:40]!r}") from None
    if len(raw) < 2:
        return "", "", None
    fam = int.from_bytes(raw[:2], "little")
    if fam == 2 and len(raw) >= 8:
        return "inet", ".".join(str(b) for b in raw[4:8]), int.from_bytes(raw[2:4], "big")
    if fam == 10 and len(raw) >= 24:
        return "inet6", str(ipaddress.IPv6Address(raw[8:24])), int.from_bytes(raw[2:4], "big")
    return {1: "unix", 16: "netlink", 17: "packet"}.get(fam, str(fam)), "", None


def _int(fields: dict[str, str], key: str, base: int = 10) -> int | None:
    v = fields.get(key)
    if v is None:
        return None
    try:
        return int(v, base)
    except ValueError:
        raise ValueError(f"{key}: bad value {v!r}") from None


def _user(fields: dict[str, str]) -> str:
    return fields.get("UID") or fields.get("uid", "")


def _convert(g: _Group, path: str) -> Iterator[Item]:
    ref = file_ref(path, g.line, g.serial)
    by_type: dict[str, list[tuple[dict[str, str], set[str]]]] = {}
    for rtype, f, q in g.records:
        by_type.setdefault(rtype, []).append((f, q))
    sysc = by_type.get("SYSCALL")
    if not sysc:
        return
    sf = sysc[0][0]
    arch = sf.get("arch", "c000003e")
    nr = _int(sf, "syscall")
    name = sf.get("SYSCALL") or _SYSCALLS.get(arch, {}).get(nr if nr is not None else -1, "")
    name = {"execveat": "execve", "accept4": "accept", "recvfrom": "recv", "recvmsg": "recv",
            "openat": "open"}.get(name, name)  # fmt: skip
    pid, ppid = _int(sf, "pid"), _int(sf, "ppid")
    exe = sf.get("exe", "")
    host, time = g.node, g.time

    def net(action: str, detail: str, addr: str = "", port: int | None = None) -> NetworkEvent:
        return NetworkEvent(
            source=ref, platform="linux", action=action, host=host, time=time, pid=pid,
            ppid=ppid, exe=exe, remote_addr=addr, remote_port=port, detail=detail,
        )  # fmt: skip

    if name == "execve" and "EXECVE" in by_type:
        argv = decode_execve(by_type["EXECVE"])
        if argv:
            yield ProcessEvent(
                source=ref, platform="linux", host=host, time=time, pid=pid, ppid=ppid,
                user=_user(sf), exe=exe, argv=argv,
            )  # fmt: skip
        return
    if name in ("connect", "accept", "recv"):
        for f, _ in by_type.get("SOCKADDR", []):
            fam, addr, port = parse_sockaddr(f.get("saddr", ""))
            if fam in ("inet", "inet6"):
                yield net(CONNECT if name == "connect" else INBOUND, name, addr, port)
        return
    if name == "setsockopt":
        level, opt = _int(sf, "a1", 16), _int(sf, "a2", 16)
        if level == 1 and opt in _SO_ATTACH:
            yield net(FILTER_ATTACH, _SO_ATTACH[opt])
        return
    if name == "socket":
        if _int(sf, "a0", 16) == 17:
            yield net(PACKET_SOCKET, "socket AF_PACKET")
        return
    if name == "open":
        for f, _ in by_type.get("PATH", []):
            p = f.get("name", "")
            if p.startswith("/dev/bpf"):
                yield FileEvent(source=ref, platform="linux", path=p, host=host, time=time,
                                pid=pid, exe=exe)  # fmt: skip


def _service_stop(node: str, time: datetime, serial: str, fields: dict[str, str],
                  ref_line: int, path: str) -> FirewallEvent:  # fmt: skip
    inner, _ = parse_fields(fields.get("msg", ""))
    return FirewallEvent(
        source=file_ref(path, ref_line, serial), platform="linux", event_id=0,
        channel="auditd SERVICE_STOP", host=node, time=time, pid=_int(fields, "pid"),
        user=fields.get("AUID") or fields.get("auid", ""), unit=inner.get("unit", ""),
        modifying_application=inner.get("exe", ""),
    )  # fmt: skip


def read_auditd(lines: Iterable[str], path: str) -> Iterator[Item]:
    open_groups: OrderedDict[tuple[str, str], _Group] = OrderedDict()

    def flush(key: tuple[str, str]) -> Iterator[Item]:
        g = open_groups.pop(key)
        try:
            yield from _convert(g, path)
        except ValueError as exc:
            yield Malformed(file_ref(path, g.line, g.serial), f"audit event {g.serial}: {exc}")

    for n, line in enumerate(lines, 1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        m = _HEAD.match(text)
        if m is None:
            yield Malformed(
                file_ref(path, n), "not an audit record (expected 'type=... msg=audit(...)')"
            )
            continue
        node, rtype, ts, serial, rest = m.groups()
        node = node or ""
        time = datetime.fromtimestamp(float(ts), UTC)
        fields, quoted = parse_fields(rest)
        if rtype not in _GROUPED:
            if rtype == "SERVICE_STOP":
                yield _service_stop(node, time, serial, fields, n, path)
            continue
        key = (node, serial)
        if rtype == "EOE":
            if key in open_groups:
                yield from flush(key)
            continue
        group = open_groups.get(key)
        if group is None:
            group = open_groups[key] = _Group(node, time, serial, n)
            while len(open_groups) > _MAX_OPEN:
                yield from flush(next(iter(open_groups)))
        group.records.append((rtype, fields, quoted))
    while open_groups:
        yield from flush(next(iter(open_groups)))

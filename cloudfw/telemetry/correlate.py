"""AN0464: a process arms a packet filter, receives a (crafted) packet, then connects out.

Per host and process:

1. **arm**: the process opens ``/dev/bpf*`` (macOS libpcap), attaches a socket filter
   (``setsockopt SO_ATTACH_FILTER`` / ``SO_ATTACH_BPF``) or loads a NetworkExtension filter;
2. **trigger**: an inbound connection or packet reaches it (an inbound event without a pid counts
   for every armed process of the host);
3. **respond**: the same process, or a descendant, connects out within ``window`` seconds of the
   trigger (``0 <= respond - trigger <= window``; one microsecond later has expired).

The outbound target need not equal the trigger's source (BPFDoor's callback address rides inside
the packet); ``callback_matches_trigger`` in the evidence says which it was. Known capture tools are
allowlisted by program name. Events are re-ordered by time inside a bounded buffer (``reorder``
seconds, ``max_buffer`` events), so memory stays flat however long the input is.
"""

from __future__ import annotations

import fnmatch
import heapq
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudfw.model import SourceRef
from cloudfw.telemetry.cmdline import tool_name
from cloudfw.telemetry.detection import Detection, iso, ref_text
from cloudfw.telemetry.events import (
    CONNECT,
    FILTER_ATTACH,
    INBOUND,
    Event,
    FileEvent,
    NetworkEvent,
    ProcessEvent,
)
from cloudfw.telemetry.rules import BEACON, DEFAULT_SEVERITY, T_SOCKET_FILTER

DEFAULT_ALLOWLIST: tuple[str, ...] = (
    "tcpdump", "dumpcap", "wireshark", "tshark", "termshark", "ngrep", "snort", "suricata", "zeek",
    "bro", "p0f", "arpwatch", "dhclient", "dhcpcd", "networkmanager", "systemd-networkd",
    "wpa_supplicant", "openvpn", "wireguard-go", "tailscaled", "zerotier-one", "nessusd",
    "falcon-sensor", "falcond", "com.crowdstrike.falcon.agent", "sentinelagent", "elastic-agent",
    "elastic-endpoint", "osqueryd", "auditbeat", "packetbeat", "xagt", "wdavdaemon", "mdatp",
    "littlesnitchd", "lulu", "npcap",
)  # fmt: skip

_BPF_DEVICE = re.compile(r"^/dev/bpf\d*$")
_MAX_ANCESTORS = 8
_MAX_TRIGGERS = 8


@dataclass(frozen=True)
class CorrelationOptions:
    window: float = 30.0
    reorder: float = 5.0
    max_buffer: int = 100_000
    max_tracked: int = 100_000
    arm_ttl: float = 7 * 86400.0
    allowlist: tuple[str, ...] = DEFAULT_ALLOWLIST


@dataclass
class _Step:
    step: str
    time: datetime
    pid: int | None
    what: str
    source: SourceRef
    remote_addr: str = ""
    remote_port: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"step": self.step, "time": iso(self.time), "pid": self.pid}
        d["what"] = self.what
        if self.remote_addr:
            d["remote"] = self.remote_addr
            d["remote_port"] = self.remote_port
        d["source"] = ref_text(self.source)
        return d


@dataclass
class _Armed:
    arm: _Step
    exe: str
    triggers: list[_Step] = field(default_factory=list)


class Lineage:
    """Bounded (host, pid) -> (ppid, exe, cmdline) memory, least recently seen dropped first."""

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._procs: OrderedDict[tuple[str, int], tuple[int | None, str, str]] = OrderedDict()

    def note(self, host: str, pid: int | None, ppid: int | None, exe: str, cmdline: str) -> None:
        if pid is None:
            return
        key = (host, pid)
        old = self._procs.pop(key, None)
        if old is not None:
            ppid = ppid if ppid is not None else old[0]
            exe = exe or old[1]
            cmdline = cmdline or old[2]
        self._procs[key] = (ppid, exe, cmdline)
        if len(self._procs) > self._limit:
            self._procs.popitem(last=False)

    def get(self, host: str, pid: int | None) -> tuple[int | None, str, str] | None:
        return None if pid is None else self._procs.get((host, pid))

    def ancestors(self, host: str, pid: int) -> Iterable[int]:
        seen = {pid}
        cur: int | None = pid
        for _ in range(_MAX_ANCESTORS):
            info = self.get(host, cur)
            if info is None or info[0] is None or info[0] in seen:
                return
            cur = info[0]
            seen.add(cur)
            yield cur


class Correlator:
    """Feed events in any order (within ``reorder`` seconds); collect AN0464 detections."""

    def __init__(self, options: CorrelationOptions | None = None, lineage: Lineage | None = None):
        self.options = options or CorrelationOptions()
        self.lineage = lineage or Lineage(self.options.max_tracked)
        self._heap: list[tuple[float, int, Event]] = []
        self._seq = 0
        self._watermark = float("-inf")
        self._armed: OrderedDict[tuple[str, int], _Armed] = OrderedDict()
        self._allow = tuple(a.lower() for a in self.options.allowlist)
        self.late = 0

    @property
    def buffered(self) -> int:
        """Events waiting in the re-order buffer."""
        return len(self._heap)

    def feed(self, ev: Event) -> list[Detection]:
        if ev.time is None:
            return []
        ts = ev.time.timestamp()
        heapq.heappush(self._heap, (ts, self._seq, ev))
        self._seq += 1
        self._watermark = max(self._watermark, ts)
        out: list[Detection] = []
        limit = self._watermark - self.options.reorder
        while self._heap and (
            self._heap[0][0] <= limit or len(self._heap) > self.options.max_buffer
        ):
            out.extend(self._process(heapq.heappop(self._heap)[2]))
        return out

    def finish(self) -> list[Detection]:
        out: list[Detection] = []
        while self._heap:
            out.extend(self._process(heapq.heappop(self._heap)[2]))
        return out

    # -- state machine ------------------------------------------------------------------------

    def _allowed(self, exe: str) -> bool:
        name = tool_name(exe)
        low = exe.lower()
        return any(name == a or fnmatch.fnmatchcase(low, a) for a in self._allow)

    def _exe(self, host: str, pid: int | None, exe: str) -> str:
        if exe:
            return exe
        info = self.lineage.get(host, pid)
        return info[1] if info else ""

    def _process(self, ev: Event) -> list[Detection]:
        assert ev.time is not None
        if isinstance(ev, ProcessEvent):
            self.lineage.note(ev.host, ev.pid, ev.ppid, ev.exe, ev.display_cmdline)
            return []
        if isinstance(ev, FileEvent):
            if _BPF_DEVICE.match(ev.path) and ev.pid is not None:
                self._arm(
                    ev.host,
                    ev.pid,
                    ev.exe,
                    _Step("arm", ev.time, ev.pid, f"open {ev.path}", ev.source),
                )
            return []
        if not isinstance(ev, NetworkEvent):
            return []
        self.lineage.note(ev.host, ev.pid, ev.ppid, ev.exe, "")
        if ev.action == FILTER_ATTACH and ev.pid is not None:
            what = ev.detail or "attach socket filter"
            self._arm(ev.host, ev.pid, ev.exe, _Step("arm", ev.time, ev.pid, what, ev.source))
        elif ev.action == INBOUND:
            self._trigger(ev)
        elif ev.action == CONNECT and ev.pid is not None:
            return self._respond(ev)
        return []

    def _arm(self, host: str, pid: int, exe: str, step: _Step) -> None:
        exe = self._exe(host, pid, exe)
        if self._allowed(exe):
            return
        key = (host, pid)
        if key in self._armed:
            self._armed.move_to_end(key)
            return
        self._armed[key] = _Armed(step, exe)
        if len(self._armed) > self.options.max_tracked:
            self._armed.popitem(last=False)

    def _live(self, key: tuple[str, int], now: datetime) -> _Armed | None:
        armed = self._armed.get(key)
        if armed is None:
            return None
        if (now - armed.arm.time).total_seconds() > self.options.arm_ttl:
            del self._armed[key]
            return None
        return armed

    def _trigger(self, ev: NetworkEvent) -> None:
        assert ev.time is not None
        if ev.pid is not None:
            keys = [(ev.host, ev.pid)]
        else:
            keys = [k for k in self._armed if k[0] == ev.host]
        step = _Step(
            "trigger",
            ev.time,
            ev.pid,
            "inbound " + (ev.detail or ev.protocol or "packet"),
            ev.source,
            ev.remote_addr,
            ev.remote_port,
        )
        for key in keys:
            armed = self._live(key, ev.time)
            if armed is None or armed.arm.time > ev.time:
                continue
            armed.triggers.append(step)
            del armed.triggers[:-_MAX_TRIGGERS]

    def _respond(self, ev: NetworkEvent) -> list[Detection]:
        assert ev.time is not None and ev.pid is not None
        for pid in (ev.pid, *self.lineage.ancestors(ev.host, ev.pid)):
            armed = self._live((ev.host, pid), ev.time)
            if armed is None:
                continue
            for trig in reversed(armed.triggers):
                delta = (ev.time - trig.time).total_seconds()
                if 0 <= delta <= self.options.window:
                    armed.triggers.remove(trig)
                    return [self._detection(ev, pid, armed, trig)]
        return []

    def _detection(self, ev: NetworkEvent, pid: int, armed: _Armed, trig: _Step) -> Detection:
        assert ev.time is not None
        resp = _Step(
            "respond",
            ev.time,
            ev.pid,
            f"connect {ev.protocol or ''}".strip(),
            ev.source,
            ev.remote_addr,
            ev.remote_port,
        )
        same = bool(trig.remote_addr) and trig.remote_addr == ev.remote_addr
        info = self.lineage.get(ev.host, pid)
        chain = [armed.arm.to_dict(), trig.to_dict(), resp.to_dict()]
        summary = {
            "callback_matches_trigger": same,
            "responder_is_descendant": ev.pid != pid,
            "window_seconds": self.options.window,
        }
        where = "the trigger's source" if same else "an address other than the trigger's source"
        return Detection(
            category=BEACON,
            severity=DEFAULT_SEVERITY[BEACON],
            analytic="AN0464",
            data_component="DS0029:Network Connection Creation",
            techniques=T_SOCKET_FILTER,
            reason=f"a process armed a packet filter ({armed.arm.what}), received an inbound "
            f"packet, then connected out to {where} within {self.options.window:g}s",
            rule_id="an0464-filter-trigger-connect",
            source=ev.source,
            platform=ev.platform,
            host=ev.host,
            time=ev.time,
            pid=pid,
            ppid=info[0] if info else None,
            exe=armed.exe,
            cmdline=info[2] if info else "",
            evidence=(*chain, summary),
        )

"""AN0464: arm -> trigger -> respond, with out-of-order input, expiring windows and allowlists."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from cloudfw.telemetry.correlate import CorrelationOptions, Correlator
from cloudfw.telemetry.detect import Detector
from cloudfw.telemetry.detection import Detection
from cloudfw.telemetry.events import (
    CONNECT,
    FILTER_ATTACH,
    INBOUND,
    Event,
    FileEvent,
    NetworkEvent,
    ProcessEvent,
    file_ref,
)

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def proc(t: float, pid: int, ppid: int, exe: str, line: int = 1, host: str = "h1") -> ProcessEvent:
    return ProcessEvent(file_ref("t.jsonl", line), "linux", host=host, time=at(t), pid=pid,
                        ppid=ppid, exe=exe, argv=(exe,))  # fmt: skip


def net(t: float, action: str, pid: int | None, addr: str = "", port: int | None = None,
        line: int = 1, host: str = "h1") -> NetworkEvent:  # fmt: skip
    return NetworkEvent(file_ref("t.jsonl", line), "linux", action, host=host, time=at(t), pid=pid,
                        remote_addr=addr, remote_port=port)  # fmt: skip


def bpf(t: float, pid: int, exe: str = "", line: int = 1, host: str = "h1") -> FileEvent:
    return FileEvent(file_ref("t.jsonl", line), "macos", "/dev/bpf4", host=host, time=at(t),
                     pid=pid, exe=exe)  # fmt: skip


def run(events: list[Event], **opts: float) -> list[Detection]:
    det = Detector(correlation=CorrelationOptions(**opts))  # type: ignore[arg-type]
    out: list[Detection] = []
    for ev in events:
        out.extend(det.feed(ev))
    out.extend(det.finish())
    return out


def chain(callback: str = "203.0.113.5", delay: float = 2.0) -> list[Event]:
    return [
        proc(0, 100, 1, "/dev/shm/x", line=1),
        net(1, FILTER_ATTACH, 100, line=2),
        net(50, INBOUND, 100, "203.0.113.5", 5555, line=3),
        proc(50.5, 101, 100, "/bin/sh", line=4),
        net(50 + delay, CONNECT, 101, callback, 443, line=5),
    ]


def test_chain_with_child_and_same_address() -> None:
    [d] = run(chain())
    assert (d.category, d.analytic, d.pid, d.exe) == ("bpf_trigger", "AN0464", 100, "/dev/shm/x")
    assert d.techniques == ("T1205.002", "T1205")
    steps = [e.get("step") for e in d.evidence]
    assert steps == ["arm", "trigger", "respond", None]
    assert [e.get("source") for e in d.evidence[:3]] == ["t.jsonl:2", "t.jsonl:3", "t.jsonl:5"]
    summary = d.evidence[3]
    assert summary["callback_matches_trigger"] is True
    assert summary["responder_is_descendant"] is True


def test_callback_to_other_address_still_fires() -> None:
    [d] = run(chain(callback="198.51.100.9"))
    assert d.evidence[3]["callback_matches_trigger"] is False
    assert "other than" in d.reason


def test_window_boundary() -> None:
    assert len(run(chain(delay=30.0), window=30.0)) == 1  # exactly at the window: inside
    assert run(chain(delay=30.001), window=30.0) == []  # just expired


def test_out_of_order_within_reorder_buffer() -> None:
    events = chain()
    shuffled = [events[4], events[2], events[0], events[3], events[1]]  # respond first
    [d] = run(shuffled, reorder=120.0)
    assert d.pid == 100


def test_random_order_many_hosts() -> None:
    events: list[Event] = [
        ev.__class__(**{**_fields(ev), "host": f"h{h}"}) for h in range(20) for ev in chain()
    ]
    random.Random(7).shuffle(events)
    found = run(events, reorder=1000.0)
    assert sorted(d.host for d in found) == sorted(f"h{h}" for h in range(20))


def _fields(ev: Event) -> dict[str, object]:
    return {name: getattr(ev, name) for name in ev.__slots__}  # type: ignore[union-attr]


def test_respond_before_trigger_does_not_fire() -> None:
    events = [
        net(0, FILTER_ATTACH, 100),
        net(5, CONNECT, 100, "203.0.113.5", 443),
        net(6, INBOUND, 100, "203.0.113.5", 5555),
    ]
    assert run(events) == []


def test_trigger_before_arm_does_not_count() -> None:
    events = [
        net(0, INBOUND, 100, "203.0.113.5", 5555),
        net(1, FILTER_ATTACH, 100),
        net(2, CONNECT, 100, "203.0.113.5", 443),
    ]
    assert run(events) == []


def test_allowlisted_capture_tools() -> None:
    tools = ("/usr/sbin/tcpdump", "/Applications/Wireshark.app/Contents/MacOS/dumpcap",
             "/usr/bin/tshark", "/usr/sbin/openvpn", "/opt/CrowdStrike/falcon-sensor")  # fmt: skip
    for exe in tools:
        events = [
            bpf(0, 300, exe),
            net(1, INBOUND, 300, "192.0.2.1", 53),
            net(2, CONNECT, 300, "192.0.2.1", 443),
        ]
        assert run(events) == [], exe


def test_allowlist_from_lineage_and_policy() -> None:
    events = [proc(0, 300, 1, "/opt/acme/bin/netprobe"), bpf(1, 300),
              net(2, INBOUND, 300, "192.0.2.1"), net(3, CONNECT, 300, "192.0.2.1", 80)]  # fmt: skip
    assert len(run(events)) == 1
    opts = CorrelationOptions(allowlist=("/opt/acme/bin/*",))
    c = Correlator(opts)
    found = [d for ev in events for d in c.feed(ev)] + c.finish()
    assert found == []


def test_inbound_without_pid_applies_to_armed_processes_on_host() -> None:
    events = [
        bpf(0, 400, "/tmp/.x"),
        net(10, INBOUND, None, "203.0.113.9", 1234),  # e.g. a pf log line
        net(11, CONNECT, 400, "203.0.113.9", 8080),
    ]
    [d] = run(events)
    assert d.pid == 400 and d.host == "h1"


def test_other_host_and_unrelated_process_do_not_fire() -> None:
    events = [
        bpf(0, 400, "/tmp/.x"),
        net(10, INBOUND, 400, "203.0.113.9", 1234),
        net(11, CONNECT, 400, "203.0.113.9", 8080, host="h2"),
        net(12, CONNECT, 999, "203.0.113.9", 8080),
    ]
    assert run(events) == []


def test_one_detection_per_trigger() -> None:
    events = [*chain(), net(53, CONNECT, 101, "203.0.113.5", 443)]
    assert len(run(events)) == 1


def test_arm_ttl_expires() -> None:
    events = [net(0, FILTER_ATTACH, 100), net(100, INBOUND, 100, "203.0.113.5"),
              net(101, CONNECT, 100, "203.0.113.5", 1)]  # fmt: skip
    assert run(events, arm_ttl=50.0) == []
    assert len(run(events, arm_ttl=500.0)) == 1


def test_buffer_is_bounded() -> None:
    c = Correlator(CorrelationOptions(max_buffer=10, reorder=1e9))
    for i in range(1000):
        c.feed(net(i, CONNECT, 5, "192.0.2.1", 80))
    assert c.buffered <= 11

"""Bad input never escapes as a traceback: every parser either parses or raises a located
`HostParseError`, whatever bytes it is given (fuzzed mutations of the real fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers import BY_NAME, parse_file

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"
SAMPLES = {
    "iptables": FIX / "linux-web-01" / "iptables-save.txt",
    "ufw": FIX / "linux-web-01" / "ufw-status.txt",
    "pf": FIX / "loose" / "bsd-gw-01.pf.conf",
    "socketfilterfw": FIX / "mac-laptop-01" / "socketfilterfw-apps.txt",
    "alf-plist": FIX / "mac-laptop-01" / "com.apple.alf.plist",
    "windows": FIX / "win-srv-01" / "windows-firewall-rules.json",
    "netsh": FIX / "win-srv-01" / "netsh-allprofiles.txt",
    "osquery": FIX / "loose" / "fleet.osquery.log",
    "firewalld": FIX / "loose" / "rhel-app-02.firewalld.txt",
    "nftables": FIX / "loose" / "k8s-edge-01.nft.json",
    "system-profiler": FIX / "loose" / "mac-sp-14.system_profiler.txt",
}


def mutate(data: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for pos, length, insert in cuts:
        p = pos % (len(out) + 1)
        out[p : p + length] = insert
    return bytes(out)


cuts_st = st.lists(
    st.tuples(st.integers(0, 1 << 16), st.integers(0, 40), st.binary(max_size=12)
              | st.sampled_from([b"!", b"{", b"}", b'"', b"\n", b"-j", b"port", b"/", b":"])),
    min_size=1,
    max_size=6,
)  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=cuts_st)
def test_mutated_input_parses_or_fails_located(
    fmt: str, cuts: list[tuple[int, int, bytes]]
) -> None:
    data = mutate(SAMPLES[fmt].read_bytes(), cuts)
    for forced in (fmt, None):
        try:
            parse_file(data, "fuzz.txt", "h", forced)
        except HostParseError as exc:
            assert str(exc).startswith("fuzz.txt"), str(exc)


def test_every_format_rejects_the_others() -> None:
    """A wrong --input-format is an error, never an empty success."""
    for fmt, path in SAMPLES.items():
        data = path.read_bytes()
        for other in BY_NAME:
            if other == fmt or {fmt, other} <= {"iptables", "ip6tables"}:
                continue
            if {fmt, other} <= {"socketfilterfw", "system-profiler"} or other == "pf-info":
                continue
            with pytest.raises(HostParseError):
                parse_file(data, "x", "h", other)

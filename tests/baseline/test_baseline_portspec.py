"""Protocol and port text of rule specs, ICMP type/code included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudfw.model import Intervals, PortError, icmp_space
from cloudfw.policy.portspec import (
    parse_protocols,
    parse_spec_ports,
    ports_token,
    protocol_token,
)

ICMP = Intervals.of((1, 1))
ICMP_BOTH = Intervals.of((1, 1), (58, 58))
TCP = Intervals.of((6, 6))


def test_icmp_forms() -> None:
    assert parse_spec_ports("type 8", ICMP) == icmp_space(8, None)
    assert parse_spec_ports("type 3 code 4", ICMP) == icmp_space(3, 4)
    assert parse_spec_ports("type 3 code 0-5", ICMP) == Intervals.of((768, 773))
    assert parse_spec_ports("type 0-8", ICMP_BOTH) == Intervals.of((0, 8 << 8 | 255))
    assert parse_spec_ports("type 8, type 0", ICMP) == icmp_space(8, None) | icmp_space(0, None)
    assert parse_spec_ports("all", ICMP) == Intervals.of((0, 65535))


@pytest.mark.parametrize("text", ["8", "type", "type 256", "type 3 code 300", "type 4-3"])
def test_icmp_errors(text: str) -> None:
    with pytest.raises(PortError):
        parse_spec_ports(text, ICMP)


def test_numeric_ports_for_other_protocols() -> None:
    assert parse_spec_ports(443, TCP) == Intervals.of((443, 443))
    assert parse_spec_ports("8", Intervals.of((1, 1), (6, 6))) == Intervals.of((8, 8))
    assert ports_token(TCP, Intervals.of((80, 80), (443, 443))) == "80,443"


def test_icmp_tokens() -> None:
    assert ports_token(ICMP, icmp_space(8, None)) == "type 8"
    assert ports_token(ICMP, Intervals.of((3 << 8 | 200, 5 << 8 | 3))) == (
        "type 3 code 200-255,type 4,type 5 code 0-3"
    )
    assert protocol_token(ICMP_BOTH) == "icmp,icmpv6"
    assert protocol_token(Intervals.of((6, 6), (50, 51))) == "tcp,50-51"


@given(st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 1500)), max_size=4))
def test_icmp_round_trip(spans: list[tuple[int, int]]) -> None:
    iv = Intervals.from_iter((lo, min(lo + w, 65535)) for lo, w in spans)
    if not iv:
        return
    assert parse_spec_ports(ports_token(ICMP, iv), ICMP) == iv


@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 20)), min_size=1, max_size=4))
def test_protocol_round_trip(spans: list[tuple[int, int]]) -> None:
    iv = Intervals.from_iter((lo, min(lo + w, 255)) for lo, w in spans)
    assert parse_protocols(protocol_token(iv)) == iv

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    PortError,
    icmp_space,
    parse_ports,
    parse_protocol,
)
from cloudfw.model.ports import ports_label, protocol_label


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("22", ((22, 22),)),
        ("80,443", ((80, 80), (443, 443))),
        ("1024-65535", ((1024, 65535),)),
        ("*", ((0, 65535),)),
        ("20-21,21-25", ((20, 25),)),
    ],
)
def test_parse_ports(text: str, spans: tuple[tuple[int, int], ...]) -> None:
    assert parse_ports(text).spans == spans


@pytest.mark.parametrize("bad", ["70000", "-5", "25-20", "ssh", "1-2-3"])
def test_parse_ports_rejects(bad: str) -> None:
    with pytest.raises(PortError):
        parse_ports(bad)


def test_protocols() -> None:
    assert parse_protocol("-1") == ALL_PROTOCOLS
    assert parse_protocol("TCP").spans == ((6, 6),)
    assert parse_protocol(17).spans == ((17, 17),)
    assert protocol_label(parse_protocol("icmpv6")) == "icmpv6"
    with pytest.raises(PortError):
        parse_protocol("256")
    with pytest.raises(PortError):
        parse_protocol("bogus")


@given(st.integers(0, 255), st.integers(0, 255))
def test_icmp_encoding(t: int, c: int) -> None:
    one = icmp_space(t, c)
    anycode = icmp_space(t, None)
    assert anycode.covers(one)
    assert icmp_space(None, None) == ALL_PORTS
    assert ports_label(parse_protocol("icmp"), one) == f"type {t} code {c}"
    assert ports_label(parse_protocol("icmp"), anycode) == f"type {t}"

"""Property tests for the interval, address and port algebra."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from cloudfw.model import ANY, EMPTY, AddressSet, Intervals
from cloudfw.model.addr import INTERNET, PRIVATE

BOUND = 300

spans = st.lists(
    st.tuples(st.integers(0, BOUND), st.integers(0, BOUND)).map(lambda t: (min(t), max(t))),
    max_size=6,
)
ivs = spans.map(Intervals.from_iter)


def members(iv: Intervals) -> set[int]:
    return {n for lo, hi in iv.spans for n in range(lo, hi + 1)}


@given(ivs, ivs)
def test_interval_ops_match_python_sets(a: Intervals, b: Intervals) -> None:
    assert members(a | b) == members(a) | members(b)
    assert members(a & b) == members(a) & members(b)
    assert members(a - b) == members(a) - members(b)
    assert a.covers(b) == (members(b) <= members(a))
    assert a.intersects(b) == bool(members(a) & members(b))
    assert (a.size()) == len(members(a))


@given(ivs)
def test_interval_normal_form(a: Intervals) -> None:
    for (_, hi1), (lo2, _) in zip(a.spans, a.spans[1:], strict=False):
        assert hi1 + 1 < lo2, "spans must be disjoint and non-adjacent"
    assert Intervals.from_iter(a.spans) == a


@given(ivs, ivs, ivs)
def test_interval_laws(a: Intervals, b: Intervals, c: Intervals) -> None:
    assert a | b == b | a
    assert a & b == b & a
    assert (a | b) | c == a | (b | c)
    assert a & (b | c) == (a & b) | (a & c)
    assert (a - b) | (a & b) == a
    assert (a - b) & b == Intervals()
    assert a - (b | c) == (a - b) - c


@given(ivs, st.integers(0, BOUND))
def test_interval_membership(a: Intervals, n: int) -> None:
    assert (n in a) == (n in members(a))


v4_nets = st.builds(
    lambda addr, plen: ipaddress.ip_network(f"{ipaddress.IPv4Address(addr)}/{plen}", strict=False),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
v6_nets = st.builds(
    lambda addr, plen: ipaddress.ip_network(f"{ipaddress.IPv6Address(addr)}/{plen}", strict=False),
    st.integers(0, 2**128 - 1),
    st.integers(0, 128),
)
symbols = st.builds(
    AddressSet.symbol, st.sampled_from(["sg", "service-tag", "network-tag"]), st.sampled_from("abc")
)
addr_sets = st.lists(
    st.one_of(
        v4_nets.map(lambda n: AddressSet.parse(str(n))),
        v6_nets.map(lambda n: AddressSet.parse(str(n))),
        symbols,
    ),
    max_size=4,
).map(lambda xs: AddressSet.parse_many([]) if not xs else _union(xs))


def _union(xs: list[AddressSet]) -> AddressSet:
    out = EMPTY
    for x in xs:
        out = out | x
    return out


@given(addr_sets, addr_sets, addr_sets)
def test_address_laws(a: AddressSet, b: AddressSet, c: AddressSet) -> None:
    assert a | b == b | a
    assert a & (b | c) == (a & b) | (a & c)
    assert (a - b) | (a & b) == a
    assert (a - b).intersects(b) is False
    assert (a | b).covers(a)
    assert a.covers(a & b)
    assert ANY.covers(a)
    assert (a - ANY).is_empty()


@given(v4_nets, v6_nets)
def test_ipv4_and_ipv6_never_mix(n4: ipaddress.IPv4Network, n6: ipaddress.IPv6Network) -> None:
    a4, a6 = AddressSet.parse(str(n4)), AddressSet.parse(str(n6))
    assert not a4.intersects(a6)
    assert (a4 - a6) == a4
    assert (a4 | a6).v4 == a4.v4 and (a4 | a6).v6 == a6.v6


@given(addr_sets)
def test_tokens_round_trip(a: AddressSet) -> None:
    assert AddressSet.parse_many(list(a.to_tokens())) == a


@given(v4_nets)
def test_covers_matches_ipaddress(n: ipaddress.IPv4Network) -> None:
    outer = AddressSet.parse("10.0.0.0/8")
    assert outer.covers(AddressSet.parse(str(n))) == n.subnet_of(ipaddress.ip_network("10.0.0.0/8"))


def test_internet_classification() -> None:
    assert AddressSet.parse("0.0.0.0/0").is_internet()
    assert AddressSet.parse("::/0").is_internet()
    assert ANY.is_internet()
    assert INTERNET.is_internet()
    assert not PRIVATE.is_internet()
    assert not AddressSet.parse("10.0.0.0/8").is_internet()
    assert not AddressSet.parse("8.8.8.0/24").is_internet()
    assert (AddressSet.parse("0.0.0.0/0") - AddressSet.parse("1.2.3.0/24")).is_internet()
    assert not AddressSet.symbol("sg", "sg-1").is_internet()
    assert AddressSet.parse("8.8.0.0/16").widest_public_prefix() == 16
    assert AddressSet.parse("10.0.0.0/8").widest_public_prefix() is None

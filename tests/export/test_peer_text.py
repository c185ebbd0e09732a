"""The one peer renderer (`cloudfw.model.humanize`): complements, cuts, and the way back."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudfw.model import ANY, AddressError, AddressSet, Intervals
from cloudfw.model.addr import FULL_V4, FULL_V6, INTERNET, PUBLIC_V4, PUBLIC_V6, Peer
from cloudfw.model.humanize import (
    expand,
    parse_protocol_label,
    peers_text,
    protocols_text,
    tokens_text,
    traffic_text,
)
from cloudfw.model.ports import ALL_PROTOCOLS, parse_protocol, protocol_label


def _net(version: int, addr: int, plen: int) -> Intervals:
    net = ipaddress.ip_network((addr, plen), strict=False)
    return Intervals.of((int(net.network_address), int(net.broadcast_address)))


def _nets(version: int) -> st.SearchStrategy[Intervals]:
    bits = 32 if version == 4 else 128
    one = st.builds(lambda a, p: _net(version, a, p), st.integers(0, (1 << bits) - 1),
                    st.integers(0, bits))  # fmt: skip
    union = lambda xs: Intervals.from_iter(s for x in xs for s in x.spans)  # noqa: E731
    return st.lists(one, max_size=5).map(union)


def _family(version: int) -> st.SearchStrategy[Intervals]:
    """A few CIDRs, the whole family less a few, or the public space less a few."""
    full, public = (FULL_V4, PUBLIC_V4) if version == 4 else (FULL_V6, PUBLIC_V6)
    nets = _nets(version)
    return st.one_of(nets, nets.map(lambda x: full - x), nets.map(lambda x: public - x))


symbols = st.frozensets(
    st.builds(Peer, st.sampled_from(["sg", "service-tag", "network-tag", "unresolved"]),
              st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True)),
    max_size=3,
)  # fmt: skip
peer_sets = st.one_of(
    st.just(ANY),
    st.builds(AddressSet, _family(4), _family(6), symbols),
)
PRIVATE_HOLES = (
    AddressSet.parse("0.0.0.0/0") - AddressSet.parse_many(["10.0.0.0/8", "192.168.0.0/16"])
).to_tokens()
#: the longest item a rendering lists: an IPv6 CIDR (39 + "/128"), or a symbol of up to 40
ITEM = 44
PART = len("internet-v6 except ") + len(", +1000000 more")


def bound(limit: int) -> int:
    """However many CIDRs a set has, a rendering cut at ``limit`` is at most this long: three
    parts (IPv4, IPv6, symbols), each a base and ``limit`` items plus "+N more"."""
    return 3 * (PART + limit * (ITEM + 2)) + 2 * len("; ")


@given(peer_sets)
def test_an_uncut_rendering_expands_back_to_the_set(peers: AddressSet) -> None:
    text = peers_text(peers)
    assert expand(text) == peers, text
    if peers:  # a finding without peers has an empty cell
        assert tokens_text(peers.to_tokens()) == text


@given(peer_sets, st.integers(1, 8))
def test_a_cut_rendering_is_bounded_whatever_the_set(peers: AddressSet, limit: int) -> None:
    text = peers_text(peers, limit)
    assert len(text) <= bound(limit), text
    if "more" not in text:
        assert expand(text) == peers


@given(peer_sets, st.integers(1, 80))
def test_a_width_is_never_exceeded(peers: AddressSet, width: int) -> None:
    assert len(peers_text(peers, 6, width)) <= width


@given(peer_sets)
def test_never_more_items_than_the_cidr_list(peers: AddressSet) -> None:
    """The complement is chosen only when it lists fewer items than the plain CIDRs."""
    text = peers_text(peers)
    items = text.replace("; ", ", ").replace(" except ", ", ").split(", ")
    assert len(items) <= len(peers.to_tokens()) + 2  # the bases "internet-v4" / "::/0"


@pytest.mark.parametrize(
    ("tokens", "text"),
    [
        (("::/0",), "::/0"),
        ((AddressSet.parse("::/0") - AddressSet.parse("::1")).to_tokens(), "::/0 except ::1/128"),
        (PRIVATE_HOLES, "0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16"),
        (INTERNET.to_tokens(), "internet"),
        (AddressSet(v4=PUBLIC_V4).to_tokens(), "internet-v4"),
        (("0.0.0.0/0", "::/0"), "0.0.0.0/0, ::/0"),
        (("*",), "any"),
        (("10.0.0.0/8", "sg:sg-1"), "10.0.0.0/8, sg:sg-1"),
        (
            (*(AddressSet.parse("0.0.0.0/0") - AddressSet.parse("10.0.0.0/8")).to_tokens(), "::/0"),
            "0.0.0.0/0 except 10.0.0.0/8; ::/0",
        ),
        ((), ""),
    ],
)
def test_examples(tokens: tuple[str, ...], text: str) -> None:
    assert tokens_text(tokens) == text


def test_long_lists_are_cut_with_a_count() -> None:
    tokens = tuple(f"198.51.100.{4 * i}/31" for i in range(20))
    assert tokens_text(tokens, 3) == "198.51.100.0/31, 198.51.100.4/31, 198.51.100.8/31, +17 more"
    with pytest.raises(AddressError, match="was cut"):
        expand(tokens_text(tokens, 3))
    # a width shortens the list before it clips anything
    assert tokens_text(tokens, 6, 42) == "198.51.100.0/31, 198.51.100.4/31, +18 more"
    assert tokens_text(tokens, 6, 41) == "198.51.100.0/31, +19 more"
    # tokens that are not peers are listed as they are, with the same cut
    assert tokens_text(("not a peer", "b", "c"), 2) == "not a peer, b, +1 more"


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("0-5,7-16,18-255", "all protocols except tcp, udp"),
        ("all", "all"),
        ("tcp,udp", "tcp,udp"),
        ("1-100", "1-100"),
        ("0-57,59-255", "all protocols except icmpv6"),
        ("6,132", "tcp,sctp"),
    ],
)
def test_protocol_names(label: str, text: str) -> None:
    protocols = parse_protocol_label(label)
    assert protocols is not None and protocols_text(protocols) == text


@given(st.lists(st.integers(0, 255), min_size=1, max_size=12))
def test_protocol_labels_read_back(numbers: list[int]) -> None:
    protocols = Intervals.from_iter((n, n) for n in numbers)
    assert parse_protocol_label(protocol_label(protocols)) == protocols
    assert parse_protocol_label(protocol_label(ALL_PROTOCOLS - protocols)) == (
        ALL_PROTOCOLS - protocols
    )


def test_traffic_cells() -> None:
    assert traffic_text("0-5,7-16,18-255", "all") == "all protocols except tcp, udp"
    assert traffic_text("tcp", "22") == "tcp/22"
    assert traffic_text("all", "all") == "all/all"
    assert traffic_text("icmp", "type 8") == "icmp/type 8"
    assert traffic_text("weird", "1") == "weird/1"
    assert parse_protocol("tcp") == parse_protocol_label("tcp")

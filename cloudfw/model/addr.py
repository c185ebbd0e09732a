"""Address sets: IPv4 and IPv6 interval sets plus symbolic peers that cannot be resolved yet.

`AddressSet` is the peer (or local) dimension of a rule. Numeric addresses are exact interval sets,
one per family, so IPv4 and IPv6 never mix. Symbolic peers (a referenced security group, a service
tag, a GCP network tag, a prefix list, an application security group, ...) are kept as opaque atoms:
they are never silently dropped, and set algebra treats each atom as its own member.

``ANY`` is *universal*: it also contains every symbolic peer, so ``X - ANY`` is empty for every X.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from cloudfw.model.errors import ModelError
from cloudfw.model.intervals import Intervals

V4_MAX = (1 << 32) - 1
V6_MAX = (1 << 128) - 1
#: "the internet" is at least this share of public IPv4 or of public IPv6
INTERNET_THRESHOLD = 0.5

SYMBOL_KINDS = frozenset(
    {"sg", "prefix-list", "service-tag", "network-tag", "service-account", "asg", "unresolved"}
)


class AddressError(ModelError):
    """An address, CIDR or peer token that cannot be parsed."""


@dataclass(frozen=True, slots=True, order=True)
class Peer:
    """A symbolic peer: ``kind`` is one of SYMBOL_KINDS, ``value`` the provider's identifier."""

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


_NONE = Intervals()


@dataclass(frozen=True, slots=True)
class AddressSet:
    v4: Intervals = _NONE
    v6: Intervals = _NONE
    symbols: frozenset[Peer] = frozenset()
    universal: bool = False

    # -- construction -------------------------------------------------------------------------
    @staticmethod
    def parse(token: str) -> AddressSet:
        """Parse one token: a CIDR, an address, ``*`` (ANY), ``internet`` (the public address
        space, as Azure's ``Internet`` tag), or ``kind:value`` for a symbol."""
        return _parse_token(token.strip())

    @staticmethod
    def parse_many(tokens: list[str] | tuple[str, ...]) -> AddressSet:
        out = EMPTY
        for t in tokens:
            out = out | AddressSet.parse(t)
        return out

    @staticmethod
    def symbol(kind: str, value: str) -> AddressSet:
        if kind not in SYMBOL_KINDS:
            raise AddressError(f"unknown peer kind {kind!r}")
        return AddressSet(symbols=frozenset({Peer(kind, value)}))

    # -- algebra --------------------------------------------------------------------------------
    def __or__(self, other: AddressSet) -> AddressSet:
        if self.universal or other.universal:
            return ANY
        return AddressSet(self.v4 | other.v4, self.v6 | other.v6, self.symbols | other.symbols)

    def __and__(self, other: AddressSet) -> AddressSet:
        if self.universal:
            return other
        if other.universal:
            return self
        return AddressSet(self.v4 & other.v4, self.v6 & other.v6, self.symbols & other.symbols)

    def __sub__(self, other: AddressSet) -> AddressSet:
        if other.universal:
            return EMPTY
        if self.universal:
            # ANY minus numeric ranges: the rest of the numeric space, and still every symbol
            # except those removed explicitly. Symbols cannot be enumerated, so we keep universal
            # semantics only when nothing symbolic was removed and no numeric range was removed.
            if not other.v4 and not other.v6 and not other.symbols:
                return ANY
            return AddressSet(FULL_V4 - other.v4, FULL_V6 - other.v6, frozenset())
        return AddressSet(self.v4 - other.v4, self.v6 - other.v6, self.symbols - other.symbols)

    def is_empty(self) -> bool:
        return not (self.universal or self.v4 or self.v6 or self.symbols)

    def __bool__(self) -> bool:
        return not self.is_empty()

    def covers(self, other: AddressSet) -> bool:
        if self.universal:
            return True
        if other.universal:
            return False
        return (
            self.v4.covers(other.v4) and self.v6.covers(other.v6) and other.symbols <= self.symbols
        )

    def intersects(self, other: AddressSet) -> bool:
        return not (self & other).is_empty()

    # -- questions checks ask -----------------------------------------------------------------
    def public(self) -> AddressSet:
        """The numeric part of this set that is routable on the internet (IPv4-mapped IPv6
        addresses count as the IPv4 addresses they map)."""
        return AddressSet(self.measured_v4() & PUBLIC_V4, self.numeric_v6() & PUBLIC_V6)

    def measured_v4(self) -> Intervals:
        """The IPv4 addresses this set reaches: its IPv4 part and its IPv4-mapped IPv6 part
        (``::ffff:a.b.c.d``)."""
        mapped = self.numeric_v6() & MAPPED_V4
        if not mapped:
            return self.numeric_v4()
        shifted = Intervals.from_iter(
            (lo - _MAPPED_BASE, hi - _MAPPED_BASE) for lo, hi in mapped.spans
        )
        return self.numeric_v4() | shifted

    def numeric_v4(self) -> Intervals:
        return FULL_V4 if self.universal else self.v4

    def numeric_v6(self) -> Intervals:
        return FULL_V6 if self.universal else self.v6

    def internet_share(self) -> float:
        """Largest share (0..1) of either family's public space that this set contains."""
        return max(_cached_share(self))

    def is_internet(self, threshold: float = INTERNET_THRESHOLD) -> bool:
        """True when the set holds at least ``threshold`` of the public IPv4 or IPv6 space.

        ``0.0.0.0/0`` and ``::/0`` hold all of it; ``0.0.0.0/0`` minus a few denied ranges still
        counts, while an office /24 does not.
        """
        return is_internet_share(_cached_share(self), threshold)

    def widest_public_prefix(self) -> int | None:
        """Shortest prefix length among the CIDR blocks of the public part (None if no public)."""
        best: int | None = None
        for net in self.public().networks():
            plen = net.prefixlen if net.version == 4 else net.prefixlen - 96
            best = plen if best is None else min(best, plen)
        return best

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for lo, hi in self.numeric_v4().spans:
            nets.extend(
                ipaddress.summarize_address_range(
                    ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)
                )
            )
        for lo, hi in self.numeric_v6().spans:
            nets.extend(
                ipaddress.summarize_address_range(
                    ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi)
                )
            )
        return nets

    def to_tokens(self) -> tuple[str, ...]:
        """Canonical string tokens; ``AddressSet.parse_many(x.to_tokens()) == x``."""
        if self.universal:
            return ("*",)
        toks = [str(n) for n in self.networks()]
        toks.extend(str(p) for p in sorted(self.symbols))
        return tuple(toks)

    def __str__(self) -> str:
        return ", ".join(self.to_tokens()) or "(none)"


#: (share of public IPv4, share of public IPv6), each 0..1
Share = tuple[float, float]


def public_share(a: AddressSet) -> Share:
    """How much of the public IPv4 and of the public IPv6 space ``a`` holds: the one measure of
    "how open" that the checks (through their per-run cache) and the change events use."""
    s4 = (a.measured_v4() & PUBLIC_V4).size() / PUBLIC_V4_SIZE
    s6 = (a.numeric_v6() & PUBLIC_V6).size() / PUBLIC_V6_SIZE
    return (s4, s6)


def is_internet_share(share: Share, threshold: float = INTERNET_THRESHOLD) -> bool:
    """A set whose `public_share` is ``share`` is internet-wide at ``threshold``."""
    return share[0] >= threshold or share[1] >= threshold


@lru_cache(maxsize=65536)
def _cached_share(a: AddressSet) -> Share:
    """Cached: the same peer sets recur across thousands of rules and exposures."""
    return public_share(a)


def _net_span(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int]:
    return int(net.network_address), int(net.broadcast_address)


@lru_cache(maxsize=65536)
def _parse_token(tok: str) -> AddressSet:
    if tok in ("*", "any", "ANY"):
        return ANY
    if tok.lower() == "internet":
        return INTERNET
    if not tok:
        raise AddressError("empty address")
    kind, sep, value = tok.partition(":")
    if sep and kind in SYMBOL_KINDS:
        if not value:
            raise AddressError(f"empty {kind} reference in {tok!r}")
        return AddressSet.symbol(kind, value)
    if "-" in tok and "/" not in tok:
        lo_s, _, hi_s = tok.partition("-")
        try:
            lo, hi = ipaddress.ip_address(lo_s.strip()), ipaddress.ip_address(hi_s.strip())
        except ValueError as exc:
            raise AddressError(f"bad address range {tok!r}") from exc
        if lo.version != hi.version or int(lo) > int(hi):
            raise AddressError(f"bad address range {tok!r}")
        span = Intervals.of((int(lo), int(hi)))
        return AddressSet(v4=span) if lo.version == 4 else AddressSet(v6=span)
    try:
        net = ipaddress.ip_network(tok, strict=False)
    except ValueError as exc:
        raise AddressError(f"bad CIDR or address {tok!r}") from exc
    span = Intervals.of(_net_span(net))
    return AddressSet(v4=span) if net.version == 4 else AddressSet(v6=span)


def _cidrs(*cidrs: str) -> Intervals:
    return Intervals.from_iter(_net_span(ipaddress.ip_network(c)) for c in cidrs)


FULL_V4 = Intervals.of((0, V4_MAX))
FULL_V6 = Intervals.of((0, V6_MAX))
EMPTY = AddressSet()
ANY = AddressSet(FULL_V4, FULL_V6, frozenset(), universal=True)
ANY_V4 = AddressSet(v4=FULL_V4)
ANY_V6 = AddressSet(v6=FULL_V6)

# Not routable on the public internet (RFC 6890 special-purpose registries, abridged).
NON_PUBLIC_V4 = _cidrs(
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)  # fmt: skip
# The public IPv6 space is the global unicast space IANA allocates, 2000::/3, less the blocks of
# IANA's IPv6 Special-Purpose Address Registry inside it that are not globally reachable (a more
# specific entry overrides the block it sits in): 2001::/23 (IETF protocol assignments) except
# Teredo, the PCP / TURN / DNS-SD anycast addresses, AMT, AS112-v6, ORCHIDv2 and DETs;
# 2001:db8::/32 and 3fff::/20 (documentation). Everything outside 2000::/3 (ULA, link-local,
# multicast, loopback, IPv4-mapped, ...) is not public IPv6.
GLOBAL_UNICAST_V6 = _cidrs("2000::/3")
_IETF_REACHABLE = _cidrs(
    "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32",
    "2001:4:112::/48", "2001:20::/28", "2001:30::/28",
)  # fmt: skip
NON_PUBLIC_V6 = (
    (FULL_V6 - GLOBAL_UNICAST_V6)
    | (_cidrs("2001::/23") - _IETF_REACHABLE)
    | _cidrs("2001:db8::/32", "3fff::/20")
)
#: ``::ffff:0:0/96``: IPv4-mapped IPv6 addresses, measured as the IPv4 addresses they map
MAPPED_V4 = _cidrs("::ffff:0:0/96")
_MAPPED_BASE = MAPPED_V4.spans[0][0]
PRIVATE_V4 = _cidrs("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
PRIVATE_V6 = _cidrs("fc00::/7")
PUBLIC_V4 = FULL_V4 - NON_PUBLIC_V4
PUBLIC_V6 = FULL_V6 - NON_PUBLIC_V6
PUBLIC_V4_SIZE = PUBLIC_V4.size()
PUBLIC_V6_SIZE = PUBLIC_V6.size()

PRIVATE = AddressSet(PRIVATE_V4, PRIVATE_V6)
INTERNET = AddressSet(PUBLIC_V4, PUBLIC_V6)

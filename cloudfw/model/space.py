"""Traffic spaces: unions of boxes over (protocol, port, peer, local, interfaces).

A `Box` is a product of four sets and a set of interface pairs: ``ifaces`` is a bit set over the
(inbound, outbound) interface classes of the rule set the box belongs to (`IfaceTable`), and
``EVERY_IFACE`` (all bits) outside host firewalls that bind rules to interfaces. Box difference
is exact: ``A - B`` splits A along each dimension in turn, so evaluation under any ordered
semantics stays precise. Each allowed box remembers the rule that allowed it, so a finding can
name the rule that opened a port.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudfw.model.addr import ANY, EMPTY, AddressSet
from cloudfw.model.iface import EVERY_IFACE
from cloudfw.model.intervals import Intervals
from cloudfw.model.ports import ALL_PORTS, ALL_PROTOCOLS


@dataclass(frozen=True, slots=True)
class Box:
    protocols: Intervals
    ports: Intervals
    peers: AddressSet
    local: AddressSet
    rule_key: str = ""
    ifaces: int = EVERY_IFACE

    def is_empty(self) -> bool:
        return (
            not self.ifaces
            or self.protocols.is_empty()
            or self.ports.is_empty()
            or self.peers.is_empty()
            or (self.local.is_empty())
        )

    def intersect(self, other: Box) -> Box | None:
        f = self.ifaces & other.ifaces
        if not f:
            return None
        p = self.protocols & other.protocols
        if not p:
            return None
        q = self.ports & other.ports
        if not q:
            return None
        a = self.peers & other.peers
        if a.is_empty():
            return None
        b = self.local & other.local
        if b.is_empty():
            return None
        return Box(p, q, a, b, self.rule_key, f)

    def minus(self, other: Box) -> list[Box]:
        """``self - other`` as a list of disjoint boxes (empty when fully covered)."""
        f_in = self.ifaces & other.ifaces
        if not f_in:
            return [self]
        p_in = self.protocols & other.protocols
        if not p_in:
            return [self]
        q_in = self.ports & other.ports
        if not q_in:
            return [self]
        a_in = self.peers & other.peers
        if a_in.is_empty():
            return [self]
        b_in = self.local & other.local
        if b_in.is_empty():
            return [self]
        out: list[Box] = []
        k = self.rule_key
        f_out = self.ifaces & ~other.ifaces
        if f_out:
            out.append(Box(self.protocols, self.ports, self.peers, self.local, k, f_out))
        p_out = self.protocols - other.protocols
        if p_out:
            out.append(Box(p_out, self.ports, self.peers, self.local, k, f_in))
        q_out = self.ports - other.ports
        if q_out:
            out.append(Box(p_in, q_out, self.peers, self.local, k, f_in))
        a_out = self.peers - other.peers
        if not a_out.is_empty():
            out.append(Box(p_in, q_in, a_out, self.local, k, f_in))
        b_out = self.local - other.local
        if not b_out.is_empty():
            out.append(Box(p_in, q_in, a_in, b_out, k, f_in))
        return out

    def contains_point(self, protocol: int, port: int | None) -> bool:
        if protocol not in self.protocols:
            return False
        return port is None or port in self.ports


EVERYTHING = Box(ALL_PROTOCOLS, ALL_PORTS, ANY, ANY)


@dataclass(frozen=True, slots=True)
class Space:
    """A union of boxes. Boxes may overlap (ALLOW_UNION keeps one box per allowing rule)."""

    boxes: tuple[Box, ...] = ()

    def is_empty(self) -> bool:
        return not self.boxes

    def peers_for(self, protocols: Intervals, ports: Intervals) -> AddressSet:
        """Peers allowed to reach any of ``protocols``/``ports``."""
        out = EMPTY
        for b in self.boxes:
            if b.protocols.intersects(protocols) and b.ports.intersects(ports):
                out = out | b.peers
        return out

    def on_ifaces(self, bits: int) -> Space:
        """The part of this space on the interface pairs ``bits``, no longer tied to its rule
        set's interface classes (every box's ``ifaces`` becomes ``EVERY_IFACE``): what to stack
        with another enforcement point's space."""
        if bits == EVERY_IFACE and all(b.ifaces == EVERY_IFACE for b in self.boxes):
            return self
        return Space(tuple(
            Box(b.protocols, b.ports, b.peers, b.local, b.rule_key)
            for b in self.boxes
            if b.ifaces & bits
        ))  # fmt: skip

    def restrict(self, protocols: Intervals, ports: Intervals) -> Space:
        probe = Box(protocols, ports, ANY, ANY)
        kept = []
        for b in self.boxes:
            i = b.intersect(probe)
            if i is not None:
                kept.append(i)
        return Space(tuple(kept))

    def rule_keys(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for b in self.boxes:
            seen.setdefault(b.rule_key, None)
        return tuple(seen)

    def allows(self, protocol: int, port: int | None, peer: AddressSet) -> bool:
        return any(b.contains_point(protocol, port) and b.peers.covers(peer) for b in self.boxes)

    def covers(self, box: Box) -> bool:
        """True when ``box`` lies entirely inside this space."""
        rest = [box]
        for b in self.boxes:
            nxt: list[Box] = []
            for r in rest:
                nxt.extend(r.minus(b))
            rest = nxt
            if not rest:
                return True
        return not rest

    def __or__(self, other: Space) -> Space:
        return Space(self.boxes + other.boxes)

    def intersect(self, other: Space) -> Space:
        """Stack two enforcement points: traffic must pass both. Keeps ``self``'s rule keys."""
        out = []
        for a in self.boxes:
            for b in other.boxes:
                i = a.intersect(b)
                if i is not None:
                    out.append(i)
        return Space(tuple(out))

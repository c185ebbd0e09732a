"""Network interfaces: what a host rule is bound to, what a host has, and the interface classes
one rule set's rules tell apart.

A rule may match only traffic that arrives on (``in_iface``) or leaves by (``out_iface``) some
interfaces: iptables ``-i eth1`` / ``-o docker0`` / ``! -i lo``, nftables ``iifname "wg*"``, pf
``on { em0 em1 }`` / ``on egress``, ufw ``on wg0``. `IfaceMatch` holds one such condition; its
names are exact interface names, prefix patterns written ``eth*`` (iptables spells it ``eth+``),
or interface groups written ``group:NAME`` (pf: ``egress``, or the driver group ``em`` that holds
em0, em1, ...).

Evaluation needs no list of the host's interfaces. `IfaceTable` cuts the interface names into
*classes*: two interfaces are in the same class when every condition of the rule set treats
them alike. The classes are the exact names the rules mention, one stand-in per prefix pattern
and group, the interfaces the host is known to have, and one stand-in for "any other
interface". Each traffic box then carries a bit set over (inbound class, outbound class) pairs
(`Box.ifaces`), so first-match walks stay exact in one pass: a rule bound to ``docker0`` never
shadows one bound to ``br-1a2b``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import combinations

EVERY_IFACE = -1  # a box's ``ifaces`` when it holds every interface pair (all bits set)
OTHER = "(other)"  # the stand-in for interfaces no condition of the rule set names
GROUP = "group:"
_DRIVER = re.compile(r"^(.*?)\d+$")
_MAX_GROUP_SUBSETS = 3  # groups whose every combination gets its own stand-in


@dataclass(frozen=True, slots=True)
class Interface:
    """One interface of a host: collected (``ip -j addr``, ``ifconfig``, ``Get-NetIPAddress``) or
    a stand-in for a class of interfaces (``synthetic``).

    ``addresses`` are CIDR strings; ``groups`` pf-style interface groups (``egress`` is the group
    of interfaces holding a default route); ``default_route`` says whether a default route leaves
    by it (None: the routes were not collected).
    """

    name: str
    addresses: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    default_route: bool | None = None
    synthetic: bool = False

    @property
    def loopback(self) -> bool:
        return self.name == "lo" or bool(re.fullmatch(r"lo\d+", self.name)) or "lo" in self.groups

    @property
    def public_addresses(self) -> tuple[str, ...]:
        """The addresses routable on the internet (global unicast, not special-purpose)."""
        out = []
        for a in self.addresses:
            try:
                ip = ipaddress.ip_interface(a).ip
            except ValueError:
                continue
            if ip.is_global:
                out.append(a)
        return tuple(out)

    @property
    def internet_facing(self) -> bool:
        """Holds a public address or the default route (and is not loopback)."""
        return not self.loopback and (self.default_route is True or bool(self.public_addresses))

    def in_group(self, group: str) -> bool:
        if group in self.groups:
            return True
        # pf: every interface is in its driver's group (em0 -> em)
        return not self.synthetic and _driver(self.name) == group

    def label(self) -> str:
        return "any other interface" if self.name == OTHER else self.name


def _driver(name: str) -> str:
    """``em0`` -> ``em``; "" for a name without a unit number."""
    m = _DRIVER.match(name)
    return m.group(1) if m else ""


def _name_matches(pattern: str, iface: Interface) -> bool:
    if pattern.startswith(GROUP):
        return iface.in_group(pattern[len(GROUP) :])
    if pattern.endswith("*"):
        return iface.name != OTHER and iface.name.startswith(pattern[:-1])
    return iface.name == pattern


@dataclass(frozen=True, slots=True, order=True)
class IfaceClause:
    """Any of ``names`` (see the module docstring for their forms) or, when ``negated``, none of
    them. A positive clause without names matches no interface."""

    names: tuple[str, ...]
    negated: bool = False

    def matches(self, iface: Interface) -> bool:
        return any(_name_matches(n, iface) for n in self.names) != self.negated

    def flipped(self) -> IfaceClause:
        return IfaceClause(self.names, not self.negated)

    def __str__(self) -> str:
        names = " ".join(n.removeprefix(GROUP) for n in self.names)
        body = names if len(self.names) == 1 else "{" + names + "}"
        return ("!" if self.negated else "") + body


def _exact(names: tuple[str, ...]) -> bool:
    return not any(n.endswith("*") or n.startswith(GROUP) for n in names)


@dataclass(frozen=True, slots=True)
class IfaceMatch:
    """The interfaces one side of a rule matches: every clause holds. Most rules have one clause
    (``-i eth1``, ``! -i lo``, ``on { em0 em1 }``); conditions conjoined by a jump into a user
    chain or by an anchor add clauses."""

    clauses: tuple[IfaceClause, ...]

    @staticmethod
    def of(names: Iterable[str], negated: bool = False) -> IfaceMatch:
        """One clause, normalized: iptables ``eth+`` becomes ``eth*``; names sorted, unique."""
        norm = {n[:-1] + "*" if n.endswith("+") else n for n in names}
        return IfaceMatch((IfaceClause(tuple(sorted(norm)), negated),))

    def matches(self, iface: Interface) -> bool:
        return all(c.matches(iface) for c in self.clauses)

    def never(self) -> bool:
        """Provably matches no interface (a positive clause left without names)."""
        return any(not c.negated and not c.names for c in self.clauses)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted({n for c in self.clauses for n in c.names}))

    def __and__(self, other: IfaceMatch) -> IfaceMatch:
        """Both hold. Exact names are intersected and negated clauses merged, so the common
        cases (``-o docker0`` and ``! -o br-1``, ``! -i lo`` and ``! -i docker0``) stay one
        clause; anything else is kept as further clauses."""
        pos: tuple[str, ...] | None = None
        neg: set[str] = set()
        rest: list[IfaceClause] = []
        for c in (*self.clauses, *other.clauses):
            if c.negated:
                neg.update(c.names)
            elif _exact(c.names):
                pos = c.names if pos is None else tuple(n for n in pos if n in c.names)
            else:
                rest.append(c)
        clauses: list[IfaceClause] = []
        if pos is not None:
            out = IfaceClause(tuple(neg), True)
            pos = tuple(n for n in pos if out.matches(Interface(n)))
            neg = {n for n in neg if not _exact((n,))}  # exact ones are gone from ``pos``
            clauses.append(IfaceClause(pos))
        clauses.extend(sorted(set(rest)))
        if neg:
            clauses.append(IfaceClause(tuple(sorted(neg)), True))
        return IfaceMatch(tuple(clauses))

    def negations(self) -> tuple[IfaceMatch, ...]:
        """``not self`` as alternatives (any one of them holds): one per clause."""
        return tuple(IfaceMatch((c.flipped(),)) for c in self.clauses)

    def __str__(self) -> str:
        return " and ".join(str(c) for c in self.clauses)


def conjoin(a: IfaceMatch | None, b: IfaceMatch | None) -> IfaceMatch | None:
    """Both conditions (None: every interface)."""
    return b if a is None else a if b is None else a & b


def _classes(matches: list[IfaceMatch], known: tuple[Interface, ...]) -> tuple[Interface, ...]:
    """Stand-ins for every class of interfaces the ``matches`` tell apart, the known ones first.

    A name no condition mentions exactly either starts with some mentioned prefix (then it acts
    like the stand-in of its longest such prefix) or with none (then like ``OTHER``); group
    memberships the snapshot does not show are covered by one stand-in per combination of the
    mentioned groups (each group alone when there are many).
    """
    exact: set[str] = set()
    prefixes: set[str] = set()
    groups: set[str] = set()
    for m in matches:
        for n in m.names():
            if n.startswith(GROUP):
                groups.add(n[len(GROUP) :])
            elif n.endswith("*"):
                prefixes.add(n)
            else:
                exact.add(n)
    gs = sorted(groups)
    if len(gs) <= _MAX_GROUP_SUBSETS:
        combos = [c for k in range(len(gs) + 1) for c in combinations(gs, k)]
    else:
        combos = [(), *((g,) for g in gs)]
    out: list[Interface] = list(known)
    seen = {k.name for k in known}
    for name in sorted(exact - seen):
        driver = (_driver(name),) if _driver(name) else ()
        out.extend(Interface(name, groups=tuple(sorted({*driver, *c})), synthetic=True)
                   for c in combos)  # fmt: skip
    for name in [*sorted(prefixes), OTHER]:
        out.extend(Interface(name, groups=c, synthetic=True) for c in combos)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class IfaceTable:
    """The interface classes of one rule set: ``inbound`` for ``in_iface`` conditions,
    ``outbound`` for ``out_iface`` ones (a side no rule constrains has the one class ``OTHER``),
    and the distinct conditions of each side (``in_names`` / ``out_names``). Bit
    ``i * len(outbound) + o`` of a box's ``ifaces`` stands for traffic that arrives on class
    ``i`` and leaves by class ``o``."""

    inbound: tuple[Interface, ...]
    outbound: tuple[Interface, ...]
    in_names: tuple[str, ...] = ()
    out_names: tuple[str, ...] = ()

    @staticmethod
    def build(
        in_matches: Iterable[IfaceMatch | None],
        out_matches: Iterable[IfaceMatch | None],
        known: tuple[Interface, ...] = (),
    ) -> IfaceTable:
        ins = [m for m in in_matches if m is not None]
        outs = [m for m in out_matches if m is not None]
        one = (Interface(OTHER, synthetic=True),)
        return IfaceTable(
            _classes(ins, known) if ins else one,
            _classes(outs, known) if outs else one,
            tuple(sorted({n for m in ins for n in m.names()})),
            tuple(sorted({n for m in outs for n in m.names()})),
        )

    def mask(self, in_iface: IfaceMatch | None, out_iface: IfaceMatch | None) -> int:
        """The pairs a rule with these conditions matches."""
        n_out = len(self.outbound)
        outs = 0
        for o, c in enumerate(self.outbound):
            if out_iface is None or out_iface.matches(c):
                outs |= 1 << o
        bits = 0
        for i, c in enumerate(self.inbound):
            if in_iface is None or in_iface.matches(c):
                bits |= outs << (i * n_out)
        return bits

    def side_mask(self, inbound: bool, keep: Callable[[Interface], bool]) -> int:
        """The pairs whose inbound (or outbound) class satisfies ``keep``."""
        n_in, n_out = len(self.inbound), len(self.outbound)
        bits = 0
        if inbound:
            row = (1 << n_out) - 1
            for i, c in enumerate(self.inbound):
                if keep(c):
                    bits |= row << (i * n_out)
            return bits
        col = 0
        for i in range(n_in):
            col |= 1 << (i * n_out)
        for o, c in enumerate(self.outbound):
            if keep(c):
                bits |= col << o
        return bits

    def classes_of(self, bits: int, inbound: bool) -> tuple[Interface, ...]:
        """The inbound (or outbound) classes that some pair of ``bits`` uses."""
        side = self.inbound if inbound else self.outbound
        if bits == EVERY_IFACE:
            return side
        return tuple(c for c in side if bits & self.class_bits(inbound, c))

    def class_bits(self, inbound: bool, cls: Interface) -> int:
        """The pairs whose inbound (or outbound) class is ``cls`` (one of this table's)."""
        return self.side_mask(inbound, lambda x: x is cls)

    def class_of(self, iface: Interface, inbound: bool = True) -> Interface:
        """The class a real interface falls in: itself when the table lists it, else the class
        that every condition of that side treats as it does."""
        side, names = (self.inbound, self.in_names) if inbound else (self.outbound, self.out_names)
        for c in side:
            if c.name == iface.name and not c.synthetic:
                return c
        want = tuple(_name_matches(n, iface) for n in names)
        for c in side:
            if c.synthetic and tuple(_name_matches(n, c) for n in names) == want:
                return c
        return side[-1]  # only with many groups, whose combinations are not all stood in for


def facing_classes(
    table: IfaceTable, inbound: bool, facing: Iterable[Interface] | None
) -> tuple[Interface, ...]:
    """The classes internet traffic may arrive on (``inbound``) or leave by: those of the
    interfaces known to face the internet, or, when that is not known (``facing`` None), every
    class but loopback."""
    side = table.inbound if inbound else table.outbound
    if facing is None:
        return tuple(c for c in side if not c.loopback)
    out: list[Interface] = []
    for i in facing:
        c = table.class_of(i, inbound)
        if not c.loopback and c not in out:
            out.append(c)
    return tuple(out)

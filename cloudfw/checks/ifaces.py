"""Where the internet can reach a rule set whose rules are bound to interfaces.

A host rule such as ``-i eth1 -j ACCEPT`` opens traffic only on eth1; whether that is an exposure
depends on which interface faces the internet. The exposure checks are therefore judged once per
*view*: one interface class (`IfaceTable`) through which internet traffic may arrive (ingress)
or leave (egress), with the allowed boxes cut down to that class.

* The baseline says which interfaces face the internet (``policy.hosts.internet_interfaces``), or
  the snapshot lists the host's interfaces: only those facing the internet (a public address or
  the default route, `Interface.internet_facing`) are views. No such interface: nothing is
  exposed.
* Otherwise every class but loopback is a view, and a finding that holds only on some of them
  *assumes* one of those faces the internet: it says so and is graded one step lower
  (`annotate`). A rule of every interface is exposed on every view, so it assumes nothing.
  A class in pf's ``egress`` group assumes nothing either: that group holds the interfaces of
  the default route, which face the internet by definition (``pass in on egress ...``).

Rule sets with no interface-bound rule and no interface list have one view, every interface:
exactly the judgement without interfaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from cloudfw.model import EVERY_IFACE, Finding, IfaceTable, Interface, RuleSet, Severity
from cloudfw.model.iface import facing_classes

EVERYWHERE_LABEL = ""


EGRESS_GROUP = "egress"  # pf: the group of the interfaces holding a default route


@dataclass(frozen=True)
class View:
    bits: int  # interface pairs of the rule set's table (EVERY_IFACE: no restriction)
    label: str  # the interface class, for messages ("" when every interface)
    certain: bool = False  # the class surely faces the internet (pf's egress group)


EVERYWHERE = View(EVERY_IFACE, EVERYWHERE_LABEL)


@dataclass(frozen=True)
class Views:
    """The views of one rule set: ``inbound`` for ingress checks, ``outbound`` for egress.
    ``known``: which interfaces face the internet is known (baseline or interface list);
    ``bound``: some rule is bound to an interface (the views are interface classes)."""

    inbound: tuple[View, ...]
    outbound: tuple[View, ...]
    known: bool
    bound: bool

    @property
    def plain(self) -> bool:
        """No interface judgement at all: the one view ``EVERYWHERE`` on both sides."""
        return not self.bound and not self.known


PLAIN = Views((EVERYWHERE,), (EVERYWHERE,), known=False, bound=False)


def views_of(rs: RuleSet, baseline_names: tuple[str, ...] | None) -> Views:
    """The views of ``rs``; ``baseline_names`` are the interfaces the baseline says face the
    internet on this host (None: it does not say)."""
    if (
        baseline_names is None
        and not rs.interfaces
        and not any(r.in_iface is not None or r.out_iface is not None for r in rs.rules)
    ):
        return PLAIN  # the common case, decided before building anything
    listed = rs.internet_facing()
    facing: list[Interface] | None = (
        [Interface(n) for n in baseline_names]
        if baseline_names is not None
        else None
        if listed is None
        else list(listed)
    )
    table = rs.iface_table()
    known = facing is not None
    if table is None:
        side = (EVERYWHERE,) if facing is None or facing else ()
        return Views(side, side, known=known, bound=False)
    return Views(_side(table, True, facing), _side(table, False, facing), known=known, bound=True)


def _side(table: IfaceTable, inbound: bool, facing: list[Interface] | None) -> tuple[View, ...]:
    out = []
    for c in facing_classes(table, inbound, facing):
        label = c.label()
        if facing is not None and c.synthetic:  # stands in for named interfaces no rule names
            label = ", ".join(i.name for i in facing if table.class_of(i, inbound) is c)
        elif c.synthetic and (groups := [g for g in c.groups if not c.name.startswith(g)]):
            # one stand-in per combination of the groups the rules name (em1 may be in egress)
            label += f" in group{'s' if len(groups) > 1 else ''} {', '.join(groups)}"
        out.append(View(table.class_bits(inbound, c), label, EGRESS_GROUP in c.groups))
    return tuple(out)


def annotate(
    f: Finding, seen: Iterable[str], views: Views, inbound: bool, implied: Iterable[str] = ()
) -> Finding:
    """A finding seen on the views labelled ``seen``: name the interfaces in its evidence and
    message and, when it rests on an assumption about which interface faces the internet,
    grade it one step lower. ``implied``: views where a broader finding (an ``allow-all`` that
    includes this service) holds it too."""
    if views.plain:
        return f
    side = views.inbound if inbound else views.outbound
    labels = sorted(set(seen) - {EVERYWHERE_LABEL})
    ev = f.evidence
    assert isinstance(ev, dict)  # built by make_finding, still ours to complete
    if views.known:
        ev["internet_interfaces"] = labels
        if not labels:
            return f
        verb = "faces" if len(labels) == 1 else "face"
        return _with_message(f, f"Reachable on {', '.join(labels)}, which {verb} the internet.")
    if set(seen) >= {v.label for v in side}:
        ev["internet_interfaces"] = "any"  # exposed whichever interface faces the internet
        return f
    egress = {v.label for v in side if v.certain}
    if egress and egress & set(labels) and egress <= set(labels) | set(implied):
        # exposed on whichever interface pf's egress group holds (some interface does)
        ev["internet_interfaces"] = sorted(egress & set(labels))
        return _with_message(
            f, "Reachable on pf's egress group, the interfaces of the default route."
        )
    ev["internet_interfaces"] = labels
    ev["interface_assumed"] = True
    which = " or ".join(labels)
    verb = "faces" if len(labels) == 1 else "face"
    note = (
        f"Exposed only if {which} {verb} the internet: the snapshot does not say which "
        "interface does (graded one step lower)."
    )
    lower = Severity(max(int(f.severity) - 1, int(Severity.INFO)))
    return replace(_with_message(f, note), severity=lower)


def _with_message(f: Finding, sentence: str) -> Finding:
    msg = f.message if f.message.endswith(".") else f.message + "."
    return replace(f, message=f"{msg} {sentence}")

"""AWS Network Firewall stateful rule groups (Suricata) -> model rules. Pure.

Suricata rule strings, structured stateful rules (written out as the Suricata rules they are)
and the rules a domain list generates are all read by one reader: the header through
`cloudfw.events.suricata` (variables, ``@`` IP set references, negation, lists, port ranges),
the options through idstools. Options that only label a rule (`NEUTRAL_OPTIONS`) are read;
every other keyword (``content``, ``tls.sni``, ``flowbits``...) makes the rule match less than
its header says: it is kept with its options in ``unresolved``, a pass is assumed to match and a
drop or reject is not applied (``enabled`` False), never guessed the other way. An application
protocol in the header (``tls``, ``http``, ``ssh``...) is the same kind of restriction, on the
transport that carries it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cloudfw.events import suricata
from cloudfw.events.errors import RecordError
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    Action,
    AddressSet,
    Intervals,
    ModelError,
    Rule,
    icmp_space,
    parse_protocol,
)
from cloudfw.model.ports import ICMP, ICMPV6, TCP, UDP
from cloudfw.normalize.aws_nfw_rules import GroupCtx, Match, pair

Raw = Mapping[str, Any]
SURICATA_ACTIONS = {
    "pass": Action.ALLOW,
    "drop": Action.DENY,
    "reject": Action.DENY,
    "alert": Action.LOG,
}
#: options that name or classify a rule without narrowing what it matches
NEUTRAL_OPTIONS = frozenset(
    {
        "msg",
        "sid",
        "rev",
        "gid",
        "classtype",
        "reference",
        "metadata",
        "priority",
        "flow",
        "noalert",
        "target",
    }
)
_T, _U = Intervals.of((TCP, TCP)), Intervals.of((UDP, UDP))
#: application protocols in a Suricata header -> the transports that carry them
APP_PROTOCOLS: dict[str, Intervals] = {
    **dict.fromkeys(
        (
            "http",
            "http2",
            "tls",
            "ssh",
            "ftp",
            "ftp-data",
            "smb",
            "smtp",
            "imap",
            "pop3",
            "dcerpc",
            "rdp",
            "rfb",
            "mqtt",
            "modbus",
            "dnp3",
            "enip",
            "pgsql",
            "telnet",
            "msn",
        ),
        _T,
    ),
    **dict.fromkeys(("ntp", "tftp", "dhcp", "snmp", "ikev2", "sip", "quic"), _U),
    **dict.fromkeys(("dns", "krb5", "nfs"), _T | _U),
}
LIST_PROTOCOLS = {"TLS_SNI": ("tls", "tls.sni"), "HTTP_HOST": ("http", "http.host")}


# -- stateful ----------------------------------------------------------------------------------
Order = Callable[[Action, int], int]


def stateful_texts(group: Raw) -> list[tuple[str, str]]:
    """(label, Suricata rule) for every stateful rule a group holds, in the group's order:
    its rule string line by line, its structured rules, the rules its domain list generates."""
    source = group.get("RulesSource") or {}
    out: list[tuple[str, str]] = []
    text = source.get("RulesString")
    if isinstance(text, str):
        for n, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if s and not s.startswith("#"):
                out.append((f"line {n}", s))
    for i, r in enumerate(source.get("StatefulRules") or ()):
        out.append((f"StatefulRules[{i}]", _five_tuple_text(r)))
    lst = source.get("RulesSourceList")
    if lst:
        out.extend(_domain_list_texts(lst))
    return out


def _five_tuple_text(r: Raw) -> str:
    h = r.get("Header") or {}
    arrow = "<>" if str(h.get("Direction", "FORWARD")).upper() == "ANY" else "->"
    opts = "".join(
        f"{o.get('Keyword')}:{','.join(str(s) for s in o.get('Settings') or ())}; "
        if o.get("Settings")
        else f"{o.get('Keyword')}; "
        for o in r.get("RuleOptions") or ()
    )
    src, sport, dst, dport = (
        _any(h.get(k)) for k in ("Source", "SourcePort", "Destination", "DestinationPort")
    )
    verb, proto = str(r.get("Action", "")).lower(), str(h.get("Protocol", "IP")).lower()
    return f"{verb} {proto} {src} {sport} {arrow} {dst} {dport} ({opts.strip()})"


def _any(value: Any) -> str:
    text = str(value if value is not None else "any").strip()
    return "any" if text.upper() == "ANY" else text


def _domain_list_texts(lst: Raw) -> list[tuple[str, str]]:
    """The rules AWS generates for a domain list (HTTP Host / TLS SNI, from $HOME_NET)."""
    kind = str(lst.get("GeneratedRulesType", "")).upper()
    targets = [str(t) for t in lst.get("Targets") or ()]
    out: list[tuple[str, str]] = []
    for t in lst.get("TargetTypes") or ():
        proto, keyword = LIST_PROTOCOLS.get(str(t), (str(t).lower(), str(t).lower()))
        names = ", ".join(targets)
        action = "pass" if kind == "ALLOWLIST" else ("reject" if kind == "REJECTLIST" else "drop")
        out.append(
            (
                f"{str(t).lower()} {kind.lower()}",
                f"{action} {proto} $HOME_NET any -> $EXTERNAL_NET any ({keyword}; "
                f'msg:"{kind.lower()} {names}";)',
            )
        )
        if kind == "ALLOWLIST":
            out.append(
                (
                    f"{str(t).lower()} default-drop",
                    f'drop {proto} $HOME_NET any -> $EXTERNAL_NET any (msg:"not matching any '
                    f'{t} allowlisted domain"; flow:to_server, established;)',
                )
            )
    return out


def stateful_rules(
    g: GroupCtx, texts: Sequence[tuple[str, str]], order: Order, override: str = ""
) -> list[Rule]:
    """The model rules of a stateful group's Suricata rules, in layer 1; ``order`` gives each
    (action, position) its place in the engine's order."""
    out: list[Rule] = []
    home = g.home
    for i, (label, text) in enumerate(texts):
        where = f"rule group {g.name} {label}"
        read = suricata.parse_rule(text)
        if read is None:
            g.errors.append(f"{where}: not a Suricata rule: {text[:60]!r}")
            continue
        head, parsed = read
        verb, proto, src, sport, arrow, dst, dport = head
        action = SURICATA_ACTIONS.get(verb.lower())
        if action is None:
            g.errors.append(f"{where}: unknown action {verb!r}")
            continue
        if override == "DROP_TO_ALERT" and action is Action.DENY:
            action = Action.LOG
        try:
            m = _match(g, where, parsed, proto, (src, sport, arrow, dst, dport))
        except (RecordError, ModelError, ValueError) as exc:
            g.errors.append(f"{where}: {exc}")
            continue
        sid = parsed.get("sid")
        key = f"{g.name}:sid:{sid}" if sid else f"{g.name}:{label.replace(' ', '-')}"
        msg = str(parsed.get("msg") or "")
        desc = f"{verb.lower()}{': ' + msg if msg else ''}"
        out += pair(
            Match(
                key,
                action,
                m[0],
                m[1],
                m[2],
                m[3],
                order(action, i),
                1,
                desc,
                g.origin(label),
                m[4],
                arrow == "<>",
                home,
            )
        )
    return out


def _match(
    g: GroupCtx, where: str, parsed: Any, proto: str, fields: tuple[str, str, str, str, str]
) -> tuple[Intervals, Intervals, AddressSet, AddressSet, str]:
    src, sport, arrow, dst, dport = fields
    if arrow not in ("->", "<>"):
        raise RecordError(f"unknown direction {arrow!r}")
    narrowed: list[str] = []
    p = proto.lower()
    if p in APP_PROTOCOLS:
        protocols = APP_PROTOCOLS[p]
        narrowed.append(f"{p} traffic")
    else:
        protocols = parse_protocol(p)
    leaf = _leaf(g, where)
    source = suricata.address_space(src, g.ip_vars, f"{where} source", leaf)
    destination = suricata.address_space(dst, g.ip_vars, f"{where} destination", leaf)
    ports = suricata.port_space(dport, g.port_vars, f"{where} destination port")
    if ports is None:
        g.warnings.append(f"{where}: undefined port variable in {dport!r}: every port assumed")
        ports = ALL_PORTS
    if protocols == Intervals.of((ICMP, ICMP)) or protocols == Intervals.of((ICMPV6, ICMPV6)):
        ports = icmp_space(None, None)
    elif protocols == ALL_PROTOCOLS:
        ports = ALL_PORTS
    sports = suricata.port_space(sport, g.port_vars, f"{where} source port")
    if sports != ALL_PORTS:
        narrowed.append(f"source ports {sport}")
    opts = [o["name"] for o in parsed.get("options") or () if o["name"] not in NEUTRAL_OPTIONS]
    if opts:
        narrowed.append("options " + ", ".join(dict.fromkeys(opts)))
    return protocols, ports, source, destination, "; ".join(narrowed)


def _leaf(g: GroupCtx, where: str) -> Callable[[str], AddressSet]:
    def leaf(tok: str) -> AddressSet:
        t = tok.strip()
        if t.startswith("@"):
            ref = g.refs.get(t[1:])
            if ref is None:
                g.warnings.append(f"{where}: IP set reference {t} is not defined: kept symbolic")
                return AddressSet.symbol("unresolved", t)
            return ref
        if t.startswith("$"):
            g.warnings.append(f"{where}: variable {t} is not defined: kept symbolic")
            return AddressSet.symbol("unresolved", t)
        if t.lower() == "any":
            return ANY
        return AddressSet.parse(t)

    return leaf

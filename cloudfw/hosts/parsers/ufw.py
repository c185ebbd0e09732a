"""``ufw status``, ``ufw status verbose`` and ``ufw status numbered``: one CHAIN_FIRST_MATCH rule
set for IN/OUT rules, one for routed (FWD) rules. ``Status: inactive`` makes the rule set
disabled. Rules read in order, as ufw installs them into its user chains; the implicit
before.rules (loopback, established, ICMP, DHCP) are not printed by ufw and are not modeled.

A row is ufw's ``"%-26s %-12s%-26s%s%s" % (to, action, from, attributes, comment)``: a cell
wider than its column leaves a single space. Cells are ``[address] [port[/proto] | application]
[(v6)] [on IFACE]``; verbose rows print an application's ports and its name in parentheses
(``22/tcp (OpenSSH)``, ``80,443/tcp (Nginx Full (v6))``); plain and numbered rows print only the
name (``OpenSSH``), resolved from the stock profiles (`ufw_apps`). Numbered rows start ``[ n]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import HostPart, check_lines, decode_text, host_asset
from cloudfw.hosts.parsers.netmatch import ports_from
from cloudfw.hosts.parsers.ufw_apps import PortSet, lookup
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY_V4,
    ANY_V6,
    Action,
    AddressError,
    AddressSet,
    Direction,
    EvalSemantics,
    IfaceMatch,
    Logging,
    PortError,
    Rule,
    RuleSet,
    SourceRef,
    parse_protocol,
)

NAME = "ufw"
_ROW = re.compile(
    r"^(?:\[\s*\d+\]\s+)?(?P<to>\S.*?)\s+"
    r"(?P<action>(?:ALLOW|DENY|REJECT|LIMIT)(?: (?:IN|OUT|FWD))?)\s+(?P<from>\S.*?)"
    r"(?:\s+\((?P<attr>(?:log|log-all|out)(?:, (?:log|log-all|out))*)\))?"
    r"(?:\s+# (?P<comment>.*))?$"
)
_HEADER = re.compile(r"^To\s+Action\s+From$|^--\s+-+\s+-+$")
_APP = re.compile(r"^(?P<rest>.*?)\s*\((?P<app>[^()]+?)(?P<v6>\s+\(v6\))?\)$")
_ADDR = re.compile(r"^(?P<addr>[0-9a-fA-F:.]*[.:][0-9a-fA-F:.]*(?:/\d+)?)(?:/(?P<proto>[a-z]+))?$")
_ANY = re.compile(r"^Anywhere(?:/(?P<proto>[a-z]+))?$")
STOCK_DEFAULTS = "deny (incoming), allow (outgoing), disabled (routed)"


def sniff(data: bytes) -> bool:
    head = data[:2048].decode("utf-8", "replace").lstrip()
    return head.startswith("Status: active") or head.startswith("Status: inactive")


def parse(data: bytes, location: str, host: str) -> list[HostPart]:
    lines = check_lines(decode_text(data, location), location)
    facts: dict[str, str] = {}
    defaults = {"incoming": "deny", "outgoing": "allow", "routed": "disabled"}
    logging = Logging.UNKNOWN
    main: list[Rule] = []
    routed: list[Rule] = []
    in_table = saw_defaults = False
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("Status:"):
            facts["ufw.status"] = s.split(":", 1)[1].strip().lower()
        elif s.startswith("Logging:"):
            logging = Logging.OFF if "off" in s.lower() else Logging.ON
        elif s.startswith("Default:"):
            saw_defaults = True
            for m in re.finditer(r"(\w+) \((incoming|outgoing|routed)\)", s):
                defaults[m.group(2)] = m.group(1).lower()
        elif s.startswith("New profiles:"):
            continue
        elif _HEADER.match(s):
            in_table = True
        elif in_table:
            for rule in _row(s, i, location, len(main) + len(routed) + 1):
                (routed if rule.description.startswith("FWD") else main).append(rule)
        else:
            raise HostParseError(location, f"unrecognized ufw status line {s[:60]!r}", i)
    status = facts.get("ufw.status")
    if status not in ("active", "inactive"):
        raise HostParseError(location, "no 'Status: active|inactive' line", 1)
    active = status == "active"
    part = HostPart(host=host, facts=facts, sources=[location])
    if active and not saw_defaults:
        part.warnings.append(
            f"{location}: 'ufw status' without 'verbose' does not print the default policies: "
            f"ufw's stock defaults assumed ({STOCK_DEFAULTS})"
        )

    def act(word: str) -> Action:
        return Action.ALLOW if word in ("allow", "accept") else Action.DENY

    part.rulesets.append(
        RuleSet(
            asset=host_asset(host, "ufw", "ufw", {"status": status}),
            semantics=EvalSemantics.CHAIN_FIRST_MATCH,
            rules=tuple(main),
            default_ingress=act(defaults["incoming"]),
            default_egress=act(defaults["outgoing"]),
            logging=logging,
            enabled=active,
        )
    )
    if routed or defaults["routed"] not in ("disabled", "deny", "reject"):
        part.rulesets.append(
            RuleSet(
                asset=host_asset(
                    host, "ufw:routed", "ufw:routed", {"status": status, "hook": "forward"}
                ),
                semantics=EvalSemantics.CHAIN_FIRST_MATCH,
                rules=tuple(routed),
                default_ingress=act(defaults["routed"]),
                default_egress=Action.DENY,
                logging=logging,
                enabled=active,
            )
        )
    return [part]


@dataclass
class Side:
    """One cell of a row: addresses, port sets, the interface, what it names and what cloudfw
    could not resolve."""

    addr: AddressSet
    sets: list[PortSet]
    iface: str = ""
    note: str = ""
    unresolved: str = ""


def _side(text: str) -> Side:
    t = text.strip()
    iface = ""
    m = re.search(r"\s+on\s+(\S+)$", t)
    if m:
        iface, t = m.group(1), t[: m.start()].strip()
    v6 = False
    note = ""
    app = _APP.match(t)
    if app and app.group("app") != "v6":  # verbose: '22/tcp (OpenSSH)', '... (Nginx Full (v6))'
        note, v6, t = f"application {app.group('app')}", bool(app.group("v6")), app.group("rest")
    if t.endswith("(v6)"):
        v6, t = True, t[: -len("(v6)")].strip()
    addr = ANY_V6 if v6 else ANY_V4
    protos = ALL_PROTOCOLS
    first, _, rest = t.partition(" ")
    a = _ANY.match(first) or (_ADDR.match(first) if _port(first) is None else None)
    if a is not None:
        if "addr" in a.groupdict():
            addr = AddressSet.parse(a.group("addr"))
        protos = parse_protocol(a.group("proto")) if a.group("proto") else protos
    else:
        rest = t
    if not rest:
        return Side(addr, [(ALL_PORTS, protos)], iface, note)
    port = _port(rest)
    if port is not None:
        return Side(addr, [port if port[1] != ALL_PROTOCOLS else (port[0], protos)], iface, note)
    sets = lookup(rest)  # plain and numbered rows name the application only
    if sets is not None:
        return Side(addr, sets, iface, f"application {rest}")
    why = f"application {rest!r} is not a stock profile: all ports assumed"
    return Side(addr, [(ALL_PORTS, protos)], iface, f"application {rest}", why)


def _port(token: str) -> PortSet | None:
    """``22``, ``80,443/tcp``, ``6000:6007/tcp`` -> (ports, protocols); None if not a port."""
    port_s, _, proto_s = token.partition("/")
    iv = ports_from(port_s) if " " not in token else None
    if iv is None:
        return None
    return iv, parse_protocol(proto_s) if proto_s else ALL_PROTOCOLS


def _row(s: str, i: int, location: str, order: int) -> list[Rule]:
    m = _ROW.match(s)
    if not m:
        raise HostParseError(location, f"unrecognized ufw rule row {s[:60]!r}", i)
    words = m.group("action").split()
    verb, way = words[0], (words[1] if len(words) > 1 else "IN")
    try:
        to, frm = _side(m.group("to")), _side(m.group("from"))
    except (AddressError, PortError) as exc:
        raise HostParseError(location, str(exc), i) from None
    direction = Direction.EGRESS if way == "OUT" else Direction.INGRESS
    peers, local = (frm.addr, to.addr) if direction is Direction.INGRESS else (to.addr, frm.addr)
    notes = [way if way == "FWD" else "", to.note, frm.note, m.group("comment") or ""]
    if any(p != ALL_PORTS for p, _ in frm.sets):
        notes.append("source port not modeled")
    if verb == "LIMIT":
        notes.append("rate limited")
    unres = " ".join(x for x in (to.unresolved, frm.unresolved) if x)
    # ``ufw allow in on wg0 ...`` prints the interface beside the destination; a routed rule
    # (``ufw route allow in on wg0 out on eth0``) prints the out-interface there and the
    # in-interface beside the source
    in_name = to.iface if way == "IN" else frm.iface if way == "FWD" else ""
    out_name = to.iface if way in ("OUT", "FWD") else ""
    src_protos = ALL_PROTOCOLS
    for _, p in frm.sets:
        src_protos = src_protos & p
    logs = Logging.ON if "log" in (m.group("attr") or "") else Logging.UNKNOWN
    out = []
    for n, (ports, protos) in enumerate(to.sets, 1):
        out.append(
            Rule(
                key=f"#{order}" + (f"~{n}" if len(to.sets) > 1 else ""),
                direction=direction,
                action=Action.ALLOW if verb in ("ALLOW", "LIMIT") else Action.DENY,
                protocols=protos & src_protos,
                ports=ports,
                peers=peers,
                local=local,
                order=order,
                logging=logs,
                description="; ".join(x for x in notes if x),
                origin=SourceRef("file", location, i),
                unresolved=unres,
                in_iface=IfaceMatch.of([in_name]) if in_name else None,
                out_iface=IfaceMatch.of([out_name]) if out_name else None,
            )
        )
    return out

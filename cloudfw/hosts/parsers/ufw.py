"""``ufw status verbose``: one CHAIN_FIRST_MATCH rule set for IN/OUT rules, one for routed
(FWD) rules. ``Status: inactive`` makes the rule set disabled. Rules read in order, as ufw
installs them into its user chains; the implicit before.rules (loopback, established, ICMP,
DHCP) are not printed by ufw and are not modeled."""

from __future__ import annotations

import re

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import HostPart, check_lines, decode_text, host_asset
from cloudfw.hosts.parsers.netmatch import ports_from
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
    Intervals,
    Logging,
    PortError,
    Rule,
    RuleSet,
    SourceRef,
    parse_ports,
    parse_protocol,
)

NAME = "ufw"
APPS: dict[str, tuple[str, str]] = {
    "openssh": ("22", "tcp"), "nginx full": ("80,443", "tcp"), "nginx http": ("80", "tcp"),
    "nginx https": ("443", "tcp"), "apache": ("80", "tcp"), "apache full": ("80,443", "tcp"),
    "apache secure": ("443", "tcp"), "postfix": ("25", "tcp"), "samba": ("137,138,139,445", "all"),
    "cups": ("631", "tcp"), "bind9": ("53", "all"), "openvpn": ("1194", "udp"),
}  # fmt: skip
_ROW = re.compile(
    r"^(?P<to>.+?)\s{2,}(?P<action>(ALLOW|DENY|REJECT|LIMIT)(\s+(IN|OUT|FWD))?)"
    r"\s{2,}(?P<from>.+?)(\s+#\s*(?P<comment>.*))?$"
)


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
    in_table = False
    for i, line in enumerate(lines, 1):
        s = line.rstrip()
        if not s.strip():
            continue
        if s.startswith("Status:"):
            facts["ufw.status"] = s.split(":", 1)[1].strip().lower()
        elif s.startswith("Logging:"):
            logging = Logging.OFF if "off" in s.lower() else Logging.ON
        elif s.startswith("Default:"):
            for m in re.finditer(r"(\w+) \((incoming|outgoing|routed)\)", s):
                defaults[m.group(2)] = m.group(1).lower()
        elif s.startswith("New profiles:"):
            continue
        elif re.match(r"^To\s+Action\s+From", s) or re.match(r"^--\s+-+\s+--", s):
            in_table = True
        elif in_table:
            rule = _row(s, i, location, len(main) + len(routed) + 1)
            (routed if rule.description.startswith("FWD") else main).append(rule)
        else:
            raise HostParseError(location, f"unrecognized ufw status line {s.strip()[:60]!r}", i)
    status = facts.get("ufw.status")
    if status not in ("active", "inactive"):
        raise HostParseError(location, "no 'Status: active|inactive' line", 1)
    active = status == "active"

    def act(word: str) -> Action:
        return Action.ALLOW if word in ("allow", "accept") else Action.DENY

    out = [
        RuleSet(
            asset=host_asset(host, "ufw", "ufw", {"status": status}),
            semantics=EvalSemantics.CHAIN_FIRST_MATCH,
            rules=tuple(main),
            default_ingress=act(defaults["incoming"]),
            default_egress=act(defaults["outgoing"]),
            logging=logging,
            enabled=active,
        )
    ]
    if routed or defaults["routed"] not in ("disabled", "deny", "reject"):
        out.append(
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
    return [HostPart(host=host, rulesets=out, facts=facts, sources=[location])]


Side = tuple[AddressSet, Intervals, Intervals, str, bool, str]


def _side(text: str) -> Side:
    """``[addr] [port[/proto]] [on IF] [(v6)]`` or an application name -> (addresses, ports,
    protocols, note, unresolved, interface)."""
    t = text.strip()
    v6 = "(v6)" in t
    t = t.replace("(v6)", "").strip()
    note = ""
    m = re.search(r"\s+on\s+(\S+)$", t)
    iface = ""
    if m:
        iface = m.group(1)
        t = t[: m.start()].strip()
    fam = ANY_V6 if v6 else ANY_V4
    addr, ports, protos = fam, ALL_PORTS, ALL_PROTOCOLS
    app = APPS.get(t.lower())
    if app is not None:
        ports = parse_ports(app[0])
        protos = parse_protocol(app[1])
        return addr, ports, protos, note, False, iface
    toks = t.split()
    if not toks:
        return addr, ports, protos, note, False, iface
    if toks[0] != "Anywhere" and (
        re.match(r"^[0-9a-fA-F:.]+(/\d+)?$", toks[0]) and ("." in toks[0] or ":" in toks[0])
    ):
        addr = AddressSet.parse(toks[0])
        toks = toks[1:]
    elif toks[0] == "Anywhere":
        toks = toks[1:]
    if toks:
        pp = toks[0]
        port_s, _, proto_s = pp.partition("/")
        iv = ports_from(port_s)
        if iv is None or len(toks) > 1:
            return addr, ALL_PORTS, ALL_PROTOCOLS, f"application {t!r} not known", True, iface
        ports = iv
        protos = parse_protocol(proto_s) if proto_s else ALL_PROTOCOLS
    return addr, ports, protos, note, False, iface


def _row(s: str, i: int, location: str, order: int) -> Rule:
    m = _ROW.match(s.strip())
    if not m:
        raise HostParseError(location, f"unrecognized ufw rule row {s.strip()[:60]!r}", i)
    words = m.group("action").split()
    verb, way = words[0], (words[1] if len(words) > 1 else "IN")
    try:
        to_addr, ports, protos, note_to, unres_to, if_to = _side(m.group("to"))
        from_addr, sports, _, note_from, unres_from, if_from = _side(m.group("from"))
    except (AddressError, PortError) as exc:
        raise HostParseError(location, str(exc), i) from None
    direction = Direction.EGRESS if way == "OUT" else Direction.INGRESS
    peers, local = (from_addr, to_addr) if direction is Direction.INGRESS else (to_addr, from_addr)
    notes = [way if way == "FWD" else "", note_to, note_from, m.group("comment") or ""]
    if sports != ALL_PORTS:
        notes.append("source port not modeled")
    if verb == "LIMIT":
        notes.append("rate limited")
    unres = " ".join(n for n in (note_to if unres_to else "", note_from if unres_from else "") if n)
    # ``ufw allow in on wg0 ...`` prints the interface beside the destination; a routed rule
    # (``ufw route allow in on wg0 out on eth0``) prints the out-interface there and the
    # in-interface beside the source
    in_name = if_to if way == "IN" else if_from if way == "FWD" else ""
    out_name = if_to if way in ("OUT", "FWD") else ""
    return Rule(
        key=f"#{order}",
        direction=direction,
        action=Action.ALLOW if verb in ("ALLOW", "LIMIT") else Action.DENY,
        protocols=protos,
        ports=ports,
        peers=peers,
        local=local,
        order=order,
        description="; ".join(n for n in notes if n),
        origin=SourceRef("file", location, i),
        unresolved=unres,
        in_iface=IfaceMatch.of([in_name]) if in_name else None,
        out_iface=IfaceMatch.of([out_name]) if out_name else None,
    )

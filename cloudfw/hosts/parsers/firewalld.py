"""``firewall-cmd --list-all-zones`` (and ``--list-all``): one CHAIN_FIRST_MATCH rule set per
active zone, in the current layout and in EL7's (firewalld 0.3: no ``target:`` line, so a zone
keeps its stock target: ``block`` rejects, ``drop`` drops, ``trusted`` accepts, others default).

Order inside a zone follows firewalld: rich rules with a negative priority, then rich deny
rules, then rich allow rules, then services and ports; the zone target decides the rest
(``default``/``REJECT``/``DROP`` deny; ``ACCEPT`` allows what reaches the zone, so a zone
bound to interfaces or sources gets a final accept bound likewise). ``protocols`` and
``source-ports`` open too (a source port is not modeled: every port of its protocol counts). A
zone's rules are bound to the interfaces it binds; the default zone's to its own and every
interface no other zone binds.
Zones that bind no interface and no source filter nothing and produce no rule set."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import HostPart, check_lines, decode_text, host_asset
from cloudfw.hosts.parsers.netmatch import icmp_from
from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
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

NAME = "firewalld"
SERVICES: dict[str, list[tuple[str, str]]] = {
    "ssh": [("22", "tcp")], "http": [("80", "tcp")], "https": [("443", "tcp")],
    "dhcpv6-client": [("546", "udp")], "dhcp": [("67", "udp")], "cockpit": [("9090", "tcp")],
    "mdns": [("5353", "udp")], "dns": [("53", "tcp"), ("53", "udp")],
    "samba-client": [("137-138", "udp")],
    "samba": [("139,445", "tcp"), ("137-138", "udp")], "mysql": [("3306", "tcp")],
    "postgresql": [("5432", "tcp")], "rdp": [("3389", "tcp")], "ms-wbt": [("3389", "tcp")],
    "vnc-server": [("5900-5903", "tcp")], "nfs": [("2049", "tcp")], "ntp": [("123", "udp")],
    "smtp": [("25", "tcp")], "ftp": [("21", "tcp")], "telnet": [("23", "tcp")],
    "redis": [("6379", "tcp")], "mongodb": [("27017", "tcp")], "kube-apiserver": [("6443", "tcp")],
    "ipp-client": [("631", "udp")], "ipp": [("631", "tcp")], "snmp": [("161", "udp")],
    "elasticsearch": [("9200,9300", "tcp")], "memcache": [("11211", "tcp")],
}  # fmt: skip
_HEADER = re.compile(r"^(\S+)(\s+\((active|default)(,\s*(active|default))?\))?\s*$")


#: targets of the stock zones, for the EL7 layout (firewalld 0.3), which prints no target line
STOCK_TARGETS = {"block": "%%REJECT%%", "drop": "DROP", "trusted": "ACCEPT"}
_EL7 = re.compile(
    r"^[\w.-]+(?: \((?:default|active)(?:, (?:default|active))?\))?\n  interfaces: .*\n"
    r"(?:  sources: .*\n)?  services: ",
    re.M,
)


def sniff(data: bytes) -> bool:
    """firewalld 0.4 and later print ``target:``; EL7's 0.3 does not, but has the same zone
    blocks (a header, then ``interfaces:``, ``sources:``, ``services:``)."""
    head = data[:4096].decode("utf-8", "replace").replace("\r\n", "\n")
    if re.search(r"^\s+target: ", head, re.M) and re.search(r"^\s+services: ", head, re.M):
        return True
    return bool(_EL7.search(head))


def parse(data: bytes, location: str, host: str) -> list[HostPart]:
    lines = check_lines(decode_text(data, location), location)
    zones: list[dict[str, object]] = []
    cur: dict[str, object] | None = None
    in_rich = False
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not line[0].isspace():
            m = _HEADER.match(line)
            if not m:
                raise HostParseError(location, f"bad zone header {line[:60]!r}", i)
            # zone fields live apart from our own keys: a field called "name:" or "rich:" in a
            # damaged file must not overwrite them
            cur = {"name": m.group(1), "active": "active" in line, "line": i, "rich": [],
                   "fields": {}, "default": "default" in line}  # fmt: skip
            zones.append(cur)
            in_rich = False
            continue
        if cur is None:
            raise HostParseError(location, "zone field before any zone header", i)
        s = line.strip()
        if in_rich and s.startswith("rule"):
            rich = cur["rich"]
            assert isinstance(rich, list)
            rich.append((i, s))
            continue
        key, sep, val = s.partition(":")
        if not sep:
            raise HostParseError(location, f"unrecognized firewalld line {s[:60]!r}", i)
        in_rich = key == "rich rules"
        fields = cur["fields"]
        assert isinstance(fields, dict)
        fields[key] = (val.strip(), i)
    if not zones:
        raise HostParseError(location, "no zones in firewall-cmd output")
    part = HostPart(host=host, sources=[location])
    bound = sorted({n for z in zones for n in _val(z, "interfaces")[0].split()})
    for z in zones:
        rs = _zone(z, location, host, bound)
        if rs is None:
            part.warnings.append(f"{location}: zone {z['name']} binds nothing (not evaluated)")
        else:
            part.rulesets.append(rs)
    return [part]


def _val(z: dict[str, object], key: str) -> tuple[str, int]:
    fields = z["fields"]
    assert isinstance(fields, dict)
    v = fields.get(key, ("", int(str(z["line"]))))
    assert isinstance(v, tuple)
    return str(v[0]), int(v[1])


def _zone(z: dict[str, object], location: str, host: str, bound: list[str]) -> RuleSet | None:
    """One zone's rule set. A zone that binds interfaces (and no sources) filters traffic that
    arrives on them; the default zone also takes every interface no other zone binds."""
    name = str(z["name"])
    ifaces, _ = _val(z, "interfaces")
    sources, sline = _val(z, "sources")
    if not (z["active"] or ifaces or sources):
        return None
    on: IfaceMatch | None = None
    others = [n for n in bound if n not in ifaces.split()]
    if z["default"]:  # its own interfaces and every interface no other zone binds
        on = IfaceMatch.of(others, negated=True) if others else None
    elif ifaces and not sources:
        on = IfaceMatch.of(ifaces.split())
    try:
        zone_peers = ANY if ifaces or not sources else AddressSet.parse_many(sources.split())
    except AddressError as exc:
        raise HostParseError(location, f"zone {name} sources: {exc}", sline) from None
    early: list[Rule] = []
    denies: list[Rule] = []
    allows: list[Rule] = []
    rich = z["rich"]
    assert isinstance(rich, list)
    for line, text in rich:
        prio, rule = _rich(text, line, location, zone_peers)
        (early if prio < 0 else denies if rule.action is Action.DENY else allows).append(rule)
    opened: list[Rule] = []
    svc_text, sv_line = _val(z, "services")
    for svc in svc_text.split():
        spec = SERVICES.get(svc)
        if spec is None:
            opened.append(
                Rule(
                    key=f"service:{svc}",
                    direction=Direction.INGRESS,
                    action=Action.ALLOW,
                    peers=zone_peers,
                    description=f"service {svc}",
                    origin=SourceRef("file", location, sv_line),
                    unresolved=f"service {svc!r} not known: all ports assumed",
                )
            )
            continue
        for n, (ports, proto) in enumerate(spec):
            opened.append(
                Rule(
                    key=f"service:{svc}" + (f"~{n + 1}" if len(spec) > 1 else ""),
                    direction=Direction.INGRESS,
                    action=Action.ALLOW,
                    protocols=parse_protocol(proto),
                    ports=parse_ports(ports),
                    peers=zone_peers,
                    description=f"service {svc}",
                    origin=SourceRef("file", location, sv_line),
                )
            )
    proto_text, pr_line = _val(z, "protocols")
    for proto in proto_text.split():
        try:
            protos = parse_protocol(proto)
        except PortError as exc:
            raise HostParseError(location, f"zone {name} protocols: {exc}", pr_line) from None
        opened.append(Rule(key=f"protocol:{proto}", direction=Direction.INGRESS,
                           action=Action.ALLOW, protocols=protos, peers=zone_peers,
                           origin=SourceRef("file", location, pr_line)))  # fmt: skip
    sp_text, sp_line = _val(z, "source-ports")
    for tok in sp_text.split():
        proto = tok.partition("/")[2] or "tcp"
        try:
            protos = parse_protocol(proto)
        except PortError as exc:
            raise HostParseError(location, f"zone {name} source-ports: {exc}", sp_line) from None
        opened.append(
            Rule(key=f"source-port:{tok}", direction=Direction.INGRESS, action=Action.ALLOW,
                 protocols=protos, peers=zone_peers, origin=SourceRef("file", location, sp_line),
                 unresolved=f"source port {tok} not modeled: every {proto} port assumed open")
        )  # fmt: skip
    port_text, p_line = _val(z, "ports")
    for tok in port_text.split():
        p, _, proto = tok.partition("/")
        try:
            opened.append(
                Rule(
                    key=f"port:{tok}",
                    direction=Direction.INGRESS,
                    action=Action.ALLOW,
                    protocols=parse_protocol(proto or "tcp"),
                    ports=parse_ports(p),
                    peers=zone_peers,
                    origin=SourceRef("file", location, p_line),
                )
            )
        except PortError as exc:
            raise HostParseError(location, f"zone {name} ports: {exc}", p_line) from None
    fields = z["fields"]
    assert isinstance(fields, dict)
    tags = {"interfaces": ifaces, "sources": sources}
    if "target" in fields:
        target, t_line = _val(z, "target")
    else:  # EL7: no target line; the stock zones keep their stock target
        target, t_line = STOCK_TARGETS.get(name, "default"), int(str(z["line"]))
        tags["target_printed"] = "no (firewalld 0.3): stock target"
    tags["target"] = target
    default = Action.ALLOW if target.upper() == "ACCEPT" else Action.DENY
    if default is Action.ALLOW and (on is not None or zone_peers != ANY):
        # target ACCEPT admits what reaches the zone: its interfaces or sources, not every
        # packet the host sees
        opened.append(
            Rule(key="target:ACCEPT", direction=Direction.INGRESS, action=Action.ALLOW,
                 peers=zone_peers, description=f"zone {name} target ACCEPT",
                 origin=SourceRef("file", location, t_line), builtin=True)
        )  # fmt: skip
        default = Action.DENY
    rules = tuple(
        replace(r, order=n, in_iface=on)
        for n, r in enumerate([*early, *denies, *allows, *opened], 1)
    )
    return RuleSet(
        asset=host_asset(host, f"firewalld:{name}", f"firewalld:{name}", tags),
        semantics=EvalSemantics.CHAIN_FIRST_MATCH,
        rules=rules,
        default_ingress=default,
        default_egress=Action.ALLOW,
        logging=Logging.ON if any(r.logging is Logging.ON for r in rules) else Logging.OFF,
    )


def _rich(text: str, line: int, location: str, zone_peers: AddressSet) -> tuple[int, Rule]:
    try:
        toks = shlex.split(text)
    except ValueError as exc:
        raise HostParseError(location, f"rich rule quoting: {exc}", line) from None
    kv: dict[str, str] = {}
    words: list[str] = []
    ctx = ""
    for t in toks:
        k, sep, v = t.partition("=")
        if sep:
            kv[f"{ctx}.{k}" if ctx else k] = v
        else:
            words.append(t)
            if t in (
                "source",
                "destination",
                "service",
                "port",
                "protocol",
                "icmp-type",
                "log",
                "audit",
                "forward-port",
                "source-port",
                "masquerade",
                "icmp-block",
            ):
                ctx = t
            elif t.lower() == "not":
                kv[f"{ctx}.not"] = "1"
    verdict = next((w for w in reversed(words) if w in ("accept", "reject", "drop", "mark")), "")
    if not verdict:
        raise HostParseError(location, f"rich rule without accept/reject/drop: {text[:60]!r}", line)
    fam = kv.get("family", "")
    peers = zone_peers & (ANY_V4 if fam == "ipv4" else ANY_V6 if fam == "ipv6" else ANY)
    local = ANY
    protocols, ports = ALL_PROTOCOLS, ALL_PORTS
    unresolved = ""
    try:
        if "source.address" in kv:
            a = AddressSet.parse(kv["source.address"])
            peers = peers & (ANY - a if "source.not" in kv else a)
        if "source.ipset" in kv:
            peers = AddressSet.symbol("unresolved", f"ipset:{kv['source.ipset']}")
        if "destination.address" in kv:
            d = AddressSet.parse(kv["destination.address"])
            local = ANY - d if "destination.not" in kv else d
        if "service.name" in kv:
            spec = SERVICES.get(kv["service.name"])
            if spec is None:
                unresolved = f"service {kv['service.name']!r} not known: all ports assumed"
            else:
                ports = Intervals()
                protocols = Intervals()
                for p, proto in spec:
                    ports, protocols = ports | parse_ports(p), protocols | parse_protocol(proto)
        if "port.port" in kv:
            ports = parse_ports(kv["port.port"])
            protocols = parse_protocol(kv.get("port.protocol", "tcp"))
        if "protocol.value" in kv:
            protocols = parse_protocol(kv["protocol.value"])
        if "icmp-type.name" in kv:
            iv = icmp_from(kv["icmp-type.name"], fam == "ipv6")
            if iv is None:
                raise PortError(f"unknown ICMP type {kv['icmp-type.name']!r}")
            protocols, ports = parse_protocol("icmpv6" if fam == "ipv6" else "icmp"), iv
    except (AddressError, PortError) as exc:
        raise HostParseError(location, f"rich rule: {exc}", line) from None
    try:
        prio = int(kv.get("priority", "0") or 0)
    except ValueError:
        raise HostParseError(location, f"rich rule priority {kv['priority']!r}", line) from None
    action = {"accept": Action.ALLOW, "mark": Action.LOG}.get(verdict, Action.DENY)
    if "source-port" in words and action is Action.DENY:
        unresolved = "source port not modeled"
    return prio, Rule(
        key=f"rich:{line}",
        direction=Direction.INGRESS,
        action=action,
        protocols=protocols,
        ports=ports,
        peers=peers,
        local=local,
        enabled=not (unresolved and action is Action.DENY),
        logging=Logging.ON if "log" in words or "audit" in words else Logging.OFF,
        description=text,
        origin=SourceRef("file", location, line),
        unresolved=unresolved,
    )

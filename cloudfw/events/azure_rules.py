"""The rule content of Azure Activity Log bodies (``properties.requestbody`` / ``responseBody``).
Pure: no I/O.

* An NSG rule write (``securityRules/write``): its direction, access, ports and peers.
* An NSG-level write (``networkSecurityGroups/write``, what ARM templates and Terraform inline
  rules send) carries the whole rule list: one content per rule, named after it. Each rule keeps
  its own direction and access; an allow rule is internet-wide (`any_peer`) only if it still is
  after the deny rules of the same direction with a lower priority number that cover its ports.
  A write without ``securityRules`` (tags, location) has no rule content.
* A Firewall Policy rule collection group (``ruleCollections``) and classic Azure Firewall rule
  collections (``natRuleCollections`` ...; or one collection, for ``.../networkRuleCollections/
  write``) are one content: their rules in the firewall's order (DNAT, then network, then
  application rules; collections by priority), reported by `events.normal.effect`. A DNAT rule
  publishes its translated port to its sources: an ingress allow. A network rule's peers are its
  sources (direction not said: a firewall filters both ways). An application rule is an egress
  allow or deny to its FQDNs on its protocols' ports (Http 80, Https 443, Mssql 1433).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudfw.events.normal import (
    Written,
    any_peer,
    dedupe,
    effect,
    obj,
    range_specs,
    seq,
    strs,
    text,
)
from cloudfw.model import PortSpec

DIRECTIONS = {"inbound": "ingress", "outbound": "egress"}
ACTIONS = {"allow": "allow", "deny": "deny", "dnat": "allow"}  # SNAT decides nothing
APP_PORTS = {"http": 80, "https": 443, "mssql": 1433}
NAT, NETWORK, APPLICATION = 0, 1, 2
RULE_TYPES = {"natrule": NAT, "networkrule": NETWORK, "applicationrule": APPLICATION}
COLLECTIONS = ("ruleCollections", "natRuleCollections", "networkRuleCollections",
               "applicationRuleCollections")  # fmt: skip
TCP_UNKNOWN = PortSpec("tcp", None, None)
LAST = 1 << 31  # a missing priority sorts after every other


@dataclass(frozen=True, slots=True)
class Content:
    """What one operation (or one rule of an NSG-level write) says about a rule."""

    name: str  # "" for the operation's own resource, else the NSG rule's name
    direction: str
    rule_action: str
    peers: tuple[str, ...]
    ports: tuple[PortSpec, ...]
    any_peer: bool


NO_CONTENT = Content("", "", "", (), (), False)


def _priority(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return LAST


def _nsg_rule(p: Mapping[str, Any], f: str) -> tuple[str, Written]:
    direction = DIRECTIONS.get(text(p.get("direction")).lower(), "")
    side = "destination" if direction == "egress" else "source"
    peers = strs(p.get(f"{side}AddressPrefix"), f"{f}.{side}AddressPrefix") + strs(
        p.get(f"{side}AddressPrefixes"), f"{f}.{side}AddressPrefixes"
    )
    for g in seq(p.get(f"{side}ApplicationSecurityGroups"), f"{f}.applicationSecurityGroups"):
        if isinstance(g, Mapping) and g.get("id"):
            peers.append(str(g["id"]))
    ranges = strs(p.get("destinationPortRange"), f"{f}.destinationPortRange") + strs(
        p.get("destinationPortRanges"), f"{f}.destinationPortRanges"
    )
    ports: list[PortSpec] = []
    if p.get("protocol") is not None:
        if text(p.get("protocol")) == "*" and all(r.strip() == "*" for r in ranges):
            ranges = []
        ports = range_specs(p["protocol"], ranges, f"{f}.destinationPortRange")
    return direction, (text(p.get("access")).lower(), peers, ports)


def _content(name: str, direction: str, w: Written, wide: bool) -> Content:
    return Content(name, direction, w[0], dedupe(w[1]), tuple(dict.fromkeys(w[2])), wide)


def _nsg(p: Mapping[str, Any]) -> list[Content]:
    rules = []
    for i, r in enumerate(seq(p.get("securityRules"), "requestbody.properties.securityRules")):
        f = f"securityRules[{i}]"
        r = obj(r, f)
        rp = obj(r.get("properties", r), f"{f}.properties")
        direction, w = _nsg_rule(rp, f)
        rules.append(
            (_priority(rp.get("priority")), i, text(r.get("name")) or str(i), direction, w)
        )
    if not rules:  # an empty list removes every custom rule: which ones, the log does not say
        return [NO_CONTENT]
    out = []
    for prio, i, name, direction, w in rules:
        earlier = [x for q, j, _, d, x in rules if d == direction and (q, j) < (prio, i)]
        wide = effect([x for x in earlier if x[0] == "deny"] + [w]).any_peer
        out.append(_content(name, direction, w, wide))
    return out


def _ip_protocols(r: Mapping[str, Any], f: str) -> list[str]:
    key = "ipProtocols" if "ipProtocols" in r else "protocols"
    return [str(p).split(":", 1)[0] for p in strs(r.get(key), f"{f}.{key}")]


def _proto_specs(protos: list[str], ports: list[str], f: str) -> list[PortSpec]:
    return [
        s
        for proto in protos
        for s in range_specs("all" if proto.lower() == "any" else proto, ports, f)
    ]


def _app_ports(r: Mapping[str, Any], f: str) -> list[PortSpec]:
    out: list[PortSpec] = []
    for i, p in enumerate(seq(r.get("protocols"), f"{f}.protocols")):
        if isinstance(p, str):  # "Https:443"
            kind, _, num = p.partition(":")
            p = {"protocolType": kind, "port": num or None}
        p = obj(p, f"{f}.protocols[{i}]")
        default = APP_PORTS.get(text(p.get("protocolType")).lower())
        port = text(p.get("port") or default or "")
        # an unknown protocol type without a port: tcp, ports not said
        out += range_specs("tcp", [port], f"{f}.protocols[{i}]") if port else [TCP_UNKNOWN]
    return out or [PortSpec("tcp", 80, 80), PortSpec("tcp", 443, 443)]


def _kind(r: Mapping[str, Any]) -> int:
    kind = RULE_TYPES.get(text(r.get("ruleType")).lower())
    if kind is not None:
        return kind
    if any(k in r for k in ("translatedAddress", "translatedPort", "translatedFqdn")):
        return NAT
    if "targetFqdns" in r or "fqdnTags" in r:
        return APPLICATION
    return NETWORK


def _firewall_rule(r: Mapping[str, Any], action: str, f: str) -> tuple[int, str, Written]:
    kind = _kind(r)
    sources = strs(r.get("sourceAddresses"), f"{f}.sourceAddresses") + strs(
        r.get("sourceIpGroups"), f"{f}.sourceIpGroups"
    )
    if kind == NAT:
        port = text(r.get("translatedPort")) or ",".join(strs(r.get("destinationPorts"), f))
        ports = _proto_specs(_ip_protocols(r, f), port.split(","), f"{f}.translatedPort")
        return kind, "ingress", (action, sources, ports)
    if kind == APPLICATION:
        dests = [t for k in ("targetFqdns", "destinationAddresses", "fqdnTags", "webCategories",
                             "targetUrls") for t in strs(r.get(k), f"{f}.{k}")]  # fmt: skip
        return kind, "egress", (action, dests, _app_ports(r, f))
    dports = strs(r.get("destinationPorts"), f"{f}.destinationPorts")
    return kind, "", (action, sources, _proto_specs(_ip_protocols(r, f), dports, f))


def _collections(p: Mapping[str, Any]) -> Content:
    lists = [(k, seq(p.get(k), k)) for k in COLLECTIONS if k in p]
    if not lists:  # one classic collection: {priority, action, rules}
        lists = [("collection", [p])]
    items = []
    for key, colls in lists:
        for ci, c in enumerate(colls):
            c = obj(c, f"{key}[{ci}]")
            cp = obj(c.get("properties"), f"{key}[{ci}].properties") if "rules" not in c else c
            kind = text(obj(cp.get("action"), f"{key}[{ci}].action").get("type")).lower()
            action, prio = ACTIONS.get(kind, ""), _priority(cp.get("priority"))
            for ri, r in enumerate(seq(cp.get("rules"), f"{key}[{ci}].rules")):
                f = f"{key}[{ci}].rules[{ri}]"
                rule_kind, direction, w = _firewall_rule(obj(r, f), action, f)
                items.append(((rule_kind, prio, ci, ri), direction, w))
    items.sort(key=lambda it: it[0])
    eff = effect(w for _, _, w in items)
    shown = {d for _, d, w in items if w[0] == eff.action}
    direction = shown.pop() if len(shown) == 1 else ""
    return _content("", direction, (eff.action, eff.peers, eff.ports), eff.any_peer)


def contents(body: Mapping[str, Any]) -> list[Content]:
    """The rule content of one operation's body (see the module docstring)."""
    if not body:
        return [NO_CONTENT]
    p = obj(body.get("properties", body), "requestbody.properties")
    if "securityRules" in p:
        return _nsg(p)
    if any(k in p for k in COLLECTIONS) or ("rules" in p and "action" in p):
        return [_collections(p)]
    direction, w = _nsg_rule(p, "requestbody.properties")
    return [_content("", direction, w, any_peer(w[1]))]

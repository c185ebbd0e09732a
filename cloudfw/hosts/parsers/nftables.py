"""``nft -j list ruleset`` (libnftables JSON).

Every base chain of type ``filter`` on the input, forward or output hook becomes one
CHAIN_FIRST_MATCH rule set (chains of the ``ip``/``ip6`` families see one address family; ``inet``
sees both). Regular chains reached by ``jump``/``goto`` are flattened in place, exactly as for
iptables. Named sets and maps are resolved from the same document; each rule's expressions are
read by `nft_expr`. A ruleset with no table (what a host with nothing loaded prints) or with no
filter base chain is valid input: it filters nothing, which the host's assembly reports when no
other firewall source filters either (fact ``nftables.filter``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers.base import HostPart, load_json
from cloudfw.hosts.parsers.chains import ChainTable, build_ruleset
from cloudfw.hosts.parsers.nft_expr import NftError, Sets, rewrites_destination, rule_alternatives
from cloudfw.model import ANY_V4, ANY_V6, Direction

NAME = "nftables"
HOOKS = {"input": Direction.INGRESS, "forward": Direction.INGRESS, "output": Direction.EGRESS}
IP_FAMILIES = ("ip", "ip6", "inet")
#: objects a listing holds (libnftables-json(5)); anything else is not nft output
OBJECTS = {"metainfo", "table", "chain", "rule", "set", "map", "element", "flowtable", "counter",
           "quota", "ct helper", "limit", "ct timeout", "ct expectation", "synproxy",
           "secmark"}  # fmt: skip
Key = tuple[str, str]  # (family, table)


def sniff(data: bytes) -> bool:
    head = data[:512].decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
    return head.startswith("{") and '"nftables"' in head


def parse(data: bytes, location: str, host: str) -> list[HostPart]:
    doc = load_json(data, location)
    items = doc.get("nftables") if isinstance(doc, Mapping) else None
    if not isinstance(items, list):
        raise HostParseError(location, "no top-level 'nftables' array")
    tables: dict[Key, ChainTable] = {}
    sets: dict[Key, Sets] = {}
    bases: list[tuple[str, str, str, str, str]] = []  # family, table, chain, hook, policy
    rules: list[tuple[int, Mapping[str, Any]]] = []
    for i, obj in enumerate(items):
        if not isinstance(obj, Mapping) or len(obj) != 1:
            raise HostParseError(location, f"nftables[{i}]: expected an object with one key")
        kind, body = next(iter(obj.items()))
        if kind not in OBJECTS:
            raise HostParseError(location, f"nftables[{i}]: unknown object {kind!r}")
        if kind != "metainfo" and not isinstance(body, Mapping):
            raise HostParseError(location, f"nftables[{i}].{kind}: expected an object")
        try:
            _collect(kind, body, tables, sets, bases)
        except (KeyError, TypeError) as exc:
            raise HostParseError(
                location, f"nftables[{i}].{kind}: missing or bad field {exc}"
            ) from None
        if kind == "rule":
            rules.append((i, body))
    dnat = any(rewrites_destination(body) for _, body in rules)
    for i, body in rules:
        key = (str(body.get("family")), str(body.get("table")))
        found, chain = tables.get(key), body.get("chain")
        if found is None or not isinstance(chain, str) or chain not in found.rules:
            raise HostParseError(location, f"nftables[{i}]: rule for unknown chain {chain!r}")
        try:
            found.rules[chain].extend(
                rule_alternatives(body, i, location, sets.get(key, {}), set(found.rules), dnat)
            )
        except NftError as exc:
            raise HostParseError(location, f"nftables[{i}]: {exc}") from None
    part = HostPart(host=host, sources=[location])
    xt = sorted({r.line for t in tables.values() for rs in t.rules.values() for r in rs
                 if r.assumed.startswith("xt ")})  # fmt: skip
    if xt:
        part.warnings.append(
            f"{location}: {len(xt)} rules hold iptables-nft xt state matches whose options nft -j "
            f"does not print (nftables[{xt[0]}] first), taken as reply-only; iptables-save of "
            "this host shows them exactly"
        )
    for fam, tab, chain, hook, policy in bases:
        other = ANY_V6 if fam == "ip" else ANY_V4 if fam == "ip6" else None
        rtype = f"nftables:{fam} {tab}/{chain}"
        part.rulesets.append(
            build_ruleset(
                tables[(fam, tab)],
                chain,
                HOOKS[hook],
                rtype,
                other,
                location,
                host,
                policy == "accept",
                hook,
            )
        )
    if not part.rulesets:
        part.facts["nftables.filter"] = (
            "no table"
            if not tables
            else "no filter base chain on the input, forward or output hook"
        )
    return [part]


def _collect(
    kind: str,
    body: Mapping[str, Any],
    tables: dict[Key, ChainTable],
    sets: dict[Key, Sets],
    bases: list[tuple[str, str, str, str, str]],
) -> None:
    if kind == "table":
        tables.setdefault((body["family"], body["name"]), ChainTable())
    elif kind == "chain":
        t = tables.setdefault((body["family"], body["table"]), ChainTable())
        t.rules.setdefault(body["name"], [])
        t.policies[body["name"]] = str(body.get("policy", "-"))
        if (
            body["family"] in IP_FAMILIES  # arp, bridge, netdev: not IP filtering
            and body.get("type", "filter") == "filter"
            and body.get("hook") in HOOKS
        ):
            policy = str(body.get("policy", "accept"))
            bases.append((body["family"], body["table"], body["name"], body["hook"], policy))
    elif kind in ("set", "map"):
        elems = body.get("elem", [])
        if not isinstance(elems, list):
            raise TypeError("'elem' is not an array")
        sets.setdefault((body["family"], body["table"]), {})[str(body["name"])] = elems
    elif kind == "element":  # `add element` objects extend a set
        target = sets.setdefault((body["family"], body["table"]), {})
        target.setdefault(str(body["name"]), []).extend(body.get("elem", []))

"""``nft -j list ruleset`` as nft writes it (issue 13): ICMP/ICMPv6 type and code sets, named sets,
maps and verdict maps, ct state sets, unknown statements refused by array index, iptables-nft
``xt`` expressions, and a ruleset with no tables. The documents have the shapes nft 1.0.6 prints;
`test_real_nft_agrees` lets nft judge the valid and invalid ones where it can run."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudfw.hosts.audit import HostAuditRequest, audit_hosts
from cloudfw.hosts.errors import HostParseError
from cloudfw.hosts.parsers import parse_file
from cloudfw.model import AddressSet, Direction, RuleSet
from cloudfw.policy.catalog import load_catalog
from cloudfw.policy.config import PolicyConfig

V4, V6 = AddressSet.parse("8.8.8.8"), AddressSet.parse("2001:4860::8888")
TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58
META = {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5",
                     "json_schema_version": 1}}  # fmt: skip


def _m(left: dict[str, Any], right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


def pl(proto: str, fld: str) -> dict[str, Any]:
    return {"payload": {"protocol": proto, "field": fld}}


ACCEPT: dict[str, Any] = {"accept": None}


def doc(*rules: list[dict[str, Any]], sets: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """One inet table with a drop-policy input chain, a regular chain ``web`` and the rules."""
    items: list[dict[str, Any]] = [META, {"table": {"family": "inet", "name": "f", "handle": 1}}]
    for s in sets:
        kind = "map" if "map" in s else "set"
        items.append({kind: {"family": "inet", "table": "f", "handle": 9, **s}})
    items.append({"chain": {"family": "inet", "table": "f", "name": "web", "handle": 2}})
    items.append(
        {
            "chain": {
                "family": "inet",
                "table": "f",
                "name": "input",
                "handle": 3,
                "type": "filter",
                "hook": "input",
                "prio": 0,
                "policy": "drop",
            }
        }
    )
    items.append(
        {
            "rule": {
                "family": "inet",
                "table": "f",
                "chain": "web",
                "handle": 4,
                "expr": [_m(pl("tcp", "dport"), 80), ACCEPT],
            }
        }
    )
    for n, expr in enumerate(rules):
        items.append({"rule": {"family": "inet", "table": "f", "chain": "input",
                               "handle": 10 + n, "expr": expr}})  # fmt: skip
    return {"nftables": items}


def inp(d: dict[str, Any]) -> RuleSet:
    parts = parse_file(json.dumps(d).encode(), "r.json", "h", "nftables")
    return next(rs for p in parts for rs in p.rulesets if rs.asset.resource_type.endswith("input"))


def opens(rs: RuleSet, proto: int, port: int, peer: AddressSet = V4) -> bool:
    return rs.allowed(Direction.INGRESS).allows(proto, port, peer)


def icmp(t: int, code: int = 0) -> int:
    return t << 8 | code  # ICMP type and code ride in the port dimension


ICMP_SETS = doc(
    [_m(pl("icmpv6", "type"), {"set": ["nd-router-advert", "nd-neighbor-solicit", 200]}), ACCEPT],
    [_m(pl("icmp", "type"), "destination-unreachable"),
     _m(pl("icmp", "code"), {"set": ["frag-needed", 13]}), ACCEPT],
    [_m(pl("icmp", "type"), {"set": ["echo-request", "echo-reply"]}), ACCEPT],
)  # fmt: skip


def test_icmp_type_and_code_sets() -> None:
    rs = inp(ICMP_SETS)
    assert opens(rs, ICMPV6, icmp(134), V6) and opens(rs, ICMPV6, icmp(200, 7), V6)
    assert not opens(rs, ICMPV6, icmp(128), V6) and not opens(rs, ICMPV6, icmp(134), V4)
    assert opens(rs, ICMP, icmp(3, 4)) and opens(rs, ICMP, icmp(3, 13))
    assert not opens(rs, ICMP, icmp(3, 3)) and opens(rs, ICMP, icmp(8))


NAMED = doc(
    [_m(pl("ip", "saddr"), "@admins"), _m(pl("tcp", "dport"), "@svc"), ACCEPT],
    [_m({"concat": [pl("ip", "saddr"), pl("tcp", "dport")]}, "@pairs"), ACCEPT],
    [{"vmap": {"key": pl("tcp", "dport"), "data": {"set": [[443, ACCEPT],
                                                           [80, {"jump": {"target": "web"}}]]}}}],
    [{"vmap": {"key": pl("udp", "dport"), "data": "@udpmap"}}],
    sets=(
        {"name": "admins", "type": "ipv4_addr", "flags": ["interval"],
         "elem": ["192.0.2.5", {"prefix": {"addr": "198.51.100.0", "len": 24}}]},
        {"name": "svc", "type": "inet_service", "flags": ["interval"],
         "elem": [22, {"range": [8000, 8010]}]},
        {"name": "pairs", "type": ["ipv4_addr", "inet_service"],
         "elem": [{"concat": ["203.0.113.9", 5432]}]},
        {"name": "udpmap", "type": "inet_service", "map": "verdict",
         "elem": [[53, ACCEPT], [161, {"drop": None}]]},
    ),
)  # fmt: skip


def test_named_sets_concatenations_and_verdict_maps() -> None:
    rs = inp(NAMED)
    admin, other = AddressSet.parse("198.51.100.7"), AddressSet.parse("203.0.113.9")
    assert opens(rs, TCP, 22, admin) and opens(rs, TCP, 8005, admin) and not opens(rs, TCP, 22)
    assert opens(rs, TCP, 5432, other) and not opens(rs, TCP, 5432)
    assert opens(rs, TCP, 443) and opens(rs, TCP, 80) and not opens(rs, TCP, 81)
    assert opens(rs, UDP, 53) and not opens(rs, UDP, 161)


CT_STATE = doc(
    [_m({"ct": {"key": "state"}}, {"set": ["established", "related"]}), ACCEPT],
    [_m({"ct": {"key": "state"}}, ["established", "related"], op="in"), ACCEPT],
    [{"vmap": {"key": {"ct": {"key": "state"}}, "data": {"set": [["invalid", {"drop": None}],
                                                                 ["established", ACCEPT]]}}}],
    [_m({"ct": {"key": "state"}}, "new"), _m(pl("tcp", "dport"), 22), ACCEPT],
    [_m({"meta": {"key": "nfproto"}}, "ipv6"), _m(pl("th", "dport"), 53), ACCEPT],
)  # fmt: skip


def test_ct_state_sets_and_family() -> None:
    rs = inp(CT_STATE)
    assert opens(rs, TCP, 22) and not opens(rs, TCP, 23)  # replies-only accepts open nothing
    assert opens(rs, UDP, 53, V6) and not opens(rs, UDP, 53, V4) and not opens(rs, ICMPV6, 53, V6)


BAD: list[tuple[dict[str, Any], str]] = [
    (doc([_m(pl("tcp", "dport"), 22), {"acept": None}]),
     r"r\.json: nftables\[5\]: expr\[1\]: Unknown statement object 'acept'"),
    (doc([_m(pl("icmpv6", "type"), {"set": ["nd-router-advet"]}), ACCEPT]),
     r"nftables\[5\]: expr\[0\] \(match\): Could not parse icmpv6 type 'nd-router-advet'"),
    (doc([_m(pl("tcp", "dprot"), 22), ACCEPT]), r"nftables\[5\]: .*unknown tcp payload field"),
    (doc([_m(pl("tcp", "dport"), 22), {"jump": {"target": "nope"}}]),
     r"nftables\[5\]: .*jump to unknown chain 'nope'"),
]  # fmt: skip


@pytest.mark.parametrize(("d", "error"), BAD)
def test_what_nft_refuses_is_an_error_with_its_index(d: dict[str, Any], error: str) -> None:
    with pytest.raises(HostParseError, match=error):
        inp(d)


def _nft() -> str:
    if shutil.which("nft") is None or shutil.which("unshare") is None:
        return "nft or unshare is not installed (Debian: nftables, util-linux)"
    res = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return "" if res.returncode == 0 else "no unprivileged network namespaces here"


@pytest.mark.parametrize(("d", "valid"), [(ICMP_SETS, True), (NAMED, True), (CT_STATE, True),
                                          *((d, False) for d, _ in BAD)])  # fmt: skip
def test_real_nft_agrees(d: dict[str, Any], valid: bool, tmp_path: Path) -> None:
    why = _nft()
    if why:
        pytest.skip(why)
    f = tmp_path / "r.json"
    f.write_text(json.dumps(d), encoding="utf-8")
    res = subprocess.run(["unshare", "-rn", "nft", "-j", "-c", "-f", str(f)], capture_output=True,
                         text=True, check=False, timeout=60)  # fmt: skip
    assert (res.returncode == 0) is valid, res.stderr


def test_xt_conntrack_is_not_a_match_all_accept() -> None:
    xt = {"xt": {"type": "match", "name": "conntrack"}}
    parts = parse_file(json.dumps(doc([xt, ACCEPT], [xt, _m(pl("tcp", "dport"), 22), ACCEPT]))
                       .encode(), "r.json", "h", "nftables")  # fmt: skip
    rs = next(r for r in parts[0].rulesets if r.asset.resource_type.endswith("input"))
    assert not opens(rs, TCP, 22) and not opens(rs, UDP, 53)
    rule = next(r for r in rs.rules if "xt conntrack" in r.description)
    assert not rule.enabled and "worst case" in rule.unresolved and "NEW" in rule.unresolved
    assert "xt state matches" in parts[0].warnings[0]


NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _audit(tmp: Path, files: dict[str, str]) -> Any:
    host = tmp / "h1"
    host.mkdir()
    for name, text in files.items():
        (host / name).write_text(text, encoding="utf-8")
    manifest = {"schema": "cloudfw.host-bundle/1", "host": "h1", "files": []}
    (host / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return audit_hosts(HostAuditRequest((host,), PolicyConfig(), load_catalog(), NOW))


def test_a_ruleset_with_no_tables_filters_nothing(tmp_path: Path) -> None:
    rep = _audit(tmp_path, {"nft.json": json.dumps({"nftables": [META]})})
    assert all(c.status.value == "ok" for c in rep.coverage)
    assert "firewall-disabled" in {f.check for f in rep.findings}
    assert any("no nftables filtering" in w for w in rep.warnings)


def test_a_host_with_no_rule_set_is_not_clean(tmp_path: Path) -> None:
    addr = [
        {
            "ifindex": 2,
            "ifname": "eth0",
            "flags": ["UP"],
            "addr_info": [
                {"family": "inet", "local": "192.0.2.10", "prefixlen": 24, "scope": "global"}
            ],
        }
    ]
    rep = _audit(tmp_path, {"ip-addr.json": json.dumps(addr)})  # fmt: skip
    bad = [c for c in rep.coverage if c.status.value != "ok"]
    assert bad and "no firewall rule set" in bad[0].reason and not rep.findings


def test_a_verdict_map_too_large_to_expand_is_one_worst_case_rule() -> None:
    big = [[p, ACCEPT] for p in range(10000, 15000)] + [[22, {"drop": None}]]
    rs = inp(doc([{"vmap": {"key": pl("tcp", "dport"), "data": {"set": big}}}]))
    assert len(rs.rules) == 1 and rs.rules[0].unresolved.startswith("accept assumed to match")
    assert opens(rs, TCP, 12345) and opens(rs, TCP, 22)  # a superset: the drop is not applied


def test_ct_status_dnat_matches_only_what_a_dnat_rule_rewrites() -> None:
    # firewalld's nftables ruleset starts its input chain with `ct status dnat accept`
    rs = inp(doc([_m({"ct": {"key": "status"}}, "dnat", op="in"), ACCEPT]))
    assert not opens(rs, TCP, 22) and "no dnat" in rs.rules[-1].description
    d = doc([_m({"ct": {"key": "status"}}, "dnat", op="in"), ACCEPT])
    d["nftables"].append(
        {
            "rule": {
                "family": "inet",
                "table": "f",
                "chain": "web",
                "handle": 99,
                "expr": [{"dnat": {"addr": "10.0.0.2", "port": 80}}],
            }
        }
    )
    assert opens(inp(d), TCP, 22)  # a dnat rule exists: not modeled, assumed to match


def test_malformed_objects_are_located_errors() -> None:
    d = doc([_m(pl("tcp", "dport"), 22), ACCEPT])
    d["nftables"][-1]["rule"]["chain"] = ["input"]
    with pytest.raises(HostParseError, match=r"nftables\[5\]: rule for unknown chain"):
        inp(d)
    with pytest.raises(HostParseError, match=r"nftables\[5\]: expr\[0\] \(vmap\)"):
        inp(doc([{"vmap": {"key": pl("tcp", "dport"), "data": {"set": [[22, "accept"]]}}}]))

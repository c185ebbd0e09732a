"""Property test: a normalized NSG allows exactly what Azure's first-match-by-priority would."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.model import AddressSet, Direction, parse_protocol
from cloudfw.normalize.azure import SubscriptionData, normalize_subscription

NSG_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/p"
PORTS: list[list[str]] = [["*"], ["22"], ["80-443"], ["22", "3389"], ["1000-2000"]]
SOURCES: list[list[str]] = [["*"], ["Internet"], ["10.0.0.0/8"], ["52.1.0.0/16"],
                            ["52.1.0.0/16", "10.0.0.0/8"], ["0.0.0.0/0"]]  # fmt: skip
PROTOCOLS = ["Tcp", "Udp", "*"]
PROBE_PORTS = [22, 80, 443, 1500, 3389, 8080]
PROBE_IPS = ["10.1.2.3", "52.1.9.9", "8.8.8.8", "192.168.1.1"]

rule_st = st.tuples(
    st.sampled_from(PROTOCOLS), st.sampled_from(range(len(PORTS))),
    st.sampled_from(range(len(SOURCES))), st.booleans(),
)  # fmt: skip


def _rule(i: int, prio: int, proto: str, pi: int, si: int, allow: bool) -> dict[str, Any]:
    ports, srcs = PORTS[pi], SOURCES[si]
    p: dict[str, Any] = {
        "protocol": proto, "sourcePortRange": "*", "destinationAddressPrefix": "*",
        "access": "Allow" if allow else "Deny", "priority": prio, "direction": "Inbound",
    }  # fmt: skip
    # alternate the singular and plural ARM fields
    if len(ports) == 1 and i % 2 == 0:
        p["destinationPortRange"] = ports[0]
    else:
        p["destinationPortRanges"] = ports
    if len(srcs) == 1 and i % 3 == 0:
        p["sourceAddressPrefix"] = srcs[0]
    else:
        p["sourceAddressPrefixes"] = srcs
    return {"name": f"r{i}", "properties": p}


def _matches_src(tok: str, ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if tok in ("*", "0.0.0.0/0"):
        return True
    if tok == "Internet":
        return addr.is_global
    return addr in ipaddress.ip_network(tok)


def _matches_port(tok: str, port: int) -> bool:
    if tok == "*":
        return True
    lo, _, hi = tok.partition("-")
    return int(lo) <= port <= int(hi or lo)


def _azure_decides(
    rules: list[tuple[int, str, int, int, bool]], proto: str, port: int, ip: str
) -> bool:
    for _prio, rp, pi, si, allow in sorted(rules):
        if rp != "*" and rp.lower() != proto:
            continue
        if not any(_matches_port(t, port) for t in PORTS[pi]):
            continue
        if not any(_matches_src(t, ip) for t in SOURCES[si]):
            continue
        return allow
    return False  # defaults: VirtualNetwork / AzureLoadBalancer never match these probes; deny


@settings(max_examples=60, deadline=None)
@given(
    st.lists(rule_st, min_size=0, max_size=6),
    st.lists(st.integers(100, 4096), min_size=6, max_size=6, unique=True),
)
def test_first_match_by_priority(specs: list[tuple[str, int, int, bool]], prios: list[int]) -> None:
    rules = [_rule(i, prios[i], *s) for i, s in enumerate(specs)]
    nsg = {"id": NSG_ID, "name": "p", "location": "x", "properties": {"securityRules": rules}}
    res = normalize_subscription(SubscriptionData(subscription="s", nsgs=[nsg], flow_logs=None))
    assert res.errors == ()
    (rs,) = res.rulesets
    space = rs.allowed(Direction.INGRESS)
    plain = [(prios[i], *s) for i, s in enumerate(specs)]
    for proto in ("tcp", "udp"):
        number = parse_protocol(proto).spans[0][0]
        for port in PROBE_PORTS:
            for ip in PROBE_IPS:
                want = _azure_decides(plain, proto, port, ip)
                got = space.allows(number, port, AddressSet.parse(ip))
                assert got == want, (proto, port, ip)

"""NSG normalization on the recorded fixture JSON: rules, allowed spaces, attachments, logging."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from azure_support import BROKEN, PROD, load, sub_list

from cloudfw.model import (
    ALL_PORTS,
    ALL_PROTOCOLS,
    ANY,
    INTERNET,
    Action,
    AddressSet,
    Direction,
    EvalSemantics,
    Logging,
    RuleSet,
    parse_ports,
    parse_protocol,
)
from cloudfw.normalize.azure import SubscriptionData, normalize_subscription
from cloudfw.normalize.azure_common import AzureNormalizeError, Doc, address

TCP = parse_protocol("tcp")
WATCHERS = f"subscriptions/{PROD}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network"


def prod_data(**over: Any) -> SubscriptionData:
    flow_logs = load(f"{WATCHERS}/networkWatchers/NetworkWatcher_westeurope/flowLogs") + load(
        f"{WATCHERS}/networkWatchers/NetworkWatcher_eastus/flowLogs"
    )
    base: dict[str, Any] = {
        "subscription": PROD,
        "nsgs": sub_list(PROD, "networkSecurityGroups"),
        "network_interfaces": sub_list(PROD, "networkInterfaces"),
        "public_ips": sub_list(PROD, "publicIPAddresses"),
        "virtual_networks": sub_list(PROD, "virtualNetworks"),
        "flow_logs": flow_logs,
    }
    base.update(over)
    return SubscriptionData(**base)


def by_name(data: SubscriptionData) -> dict[str, RuleSet]:
    res = normalize_subscription(data)
    assert res.errors == ()
    return {rs.asset.name: rs for rs in res.rulesets}


@pytest.fixture(scope="module")
def nsgs() -> dict[str, RuleSet]:
    return by_name(prod_data())


def test_asset_shape_and_semantics(nsgs: dict[str, RuleSet]) -> None:
    web = nsgs["nsg-web"]
    a = web.asset
    assert (a.provider, a.account, a.region, a.resource_type, a.parent) == (
        "azure", PROD, "westeurope", "network-security-group", "rg-prod",
    )  # fmt: skip
    assert a.resource_id.endswith("/networkSecurityGroups/nsg-web")
    assert a.tags == (("env", "prod"), ("role", "web"))
    assert web.semantics is EvalSemantics.PRIORITY_FIRST_MATCH
    assert (web.default_ingress, web.default_egress) == (Action.DENY, Action.DENY)
    assert web.is_default is False
    assert web.log_scope == web.asset


def test_custom_and_default_rules_keyed_and_ordered(nsgs: dict[str, RuleSet]) -> None:
    web = nsgs["nsg-web"]
    keys = {r.key: r for r in web.rules}
    assert set(keys) == {
        "allow-https-internet", "allow-ssh-admin", "deny-rdp",
        "default:AllowVnetInBound", "default:AllowAzureLoadBalancerInBound",
        "default:DenyAllInBound",
        "default:AllowVnetOutBound", "default:AllowInternetOutBound", "default:DenyAllOutBound",
    }  # fmt: skip
    assert keys["allow-ssh-admin"].order == 110
    assert keys["default:DenyAllInBound"].order == 65500
    assert keys["default:DenyAllInBound"].action is Action.DENY
    assert keys["default:AllowInternetOutBound"].direction is Direction.EGRESS
    assert keys["default:AllowInternetOutBound"].peers == INTERNET
    assert keys["default:AllowVnetInBound"].peers == AddressSet.symbol(
        "service-tag", "VirtualNetwork"
    )
    assert keys["allow-ssh-admin"].description == "temporary admin access"


def test_allowed_space_first_match(nsgs: dict[str, RuleSet]) -> None:
    space = nsgs["nsg-web"].allowed(Direction.INGRESS)
    assert space.peers_for(TCP, parse_ports("22")) == ANY  # `*` source
    https = space.peers_for(TCP, parse_ports("443"))
    assert https.covers(INTERNET) and not https.universal
    rdp = space.peers_for(TCP, parse_ports("3389"))  # denied at 120; only the default VNet/LB
    assert rdp.public().is_empty()
    assert not rdp.is_internet()


def test_plural_ports_and_prefixes(nsgs: dict[str, RuleSet]) -> None:
    (rule,) = [r for r in nsgs["nsg-mgmt"].rules if r.key == "rdp-winrm-partners"]
    assert rule.ports == parse_ports("3389,5985-5986")
    assert rule.protocols == TCP
    assert rule.peers == AddressSet.parse_many(["52.100.10.0/24", "52.100.20.0/24"])
    assert rule.local == ANY


def test_star_ports_mean_all_ports(nsgs: dict[str, RuleSet]) -> None:
    (rule,) = [r for r in nsgs["nsg-jumpbox"].rules if r.key == "tcp-any-port-internet"]
    assert rule.ports == ALL_PORTS
    assert rule.protocols == TCP
    assert rule.peers == INTERNET


def test_asg_peers_and_synthesized_defaults(nsgs: dict[str, RuleSet]) -> None:
    app = nsgs["nsg-app"]
    (rule,) = [r for r in app.rules if r.key == "web-to-app-8080"]
    assert {p.kind for p in rule.peers.symbols} == {"asg"}
    assert next(iter(rule.peers.symbols)).value.endswith("/applicationSecurityGroups/asg-web")
    assert next(iter(rule.local.symbols)).value.endswith("/applicationSecurityGroups/asg-app")
    # ARM omitted defaultSecurityRules for nsg-app: the six standard ones are synthesized
    defaults = sorted(r.key for r in app.rules if r.key.startswith("default:"))
    assert len(defaults) == 6 and "default:DenyAllOutBound" in defaults


def test_shadowed_allow_any_opens_nothing(nsgs: dict[str, RuleSet]) -> None:
    rs = nsgs["nsg-legacy-shadow"]
    assert [r.key for r in rs.rules_for(Direction.INGRESS)][:2] == ["deny-all-inbound", "allow-any"]
    assert rs.allowed(Direction.INGRESS).is_empty()


def test_attachments_subnet_and_nic(nsgs: dict[str, RuleSet]) -> None:
    atts = {a.resource_type: a for a in nsgs["nsg-web"].attachments}
    assert set(atts) == {"subnet", "network-interface"}
    assert atts["subnet"].resource_id.endswith("/subnets/snet-web")
    nic = atts["network-interface"]
    assert nic.private_ips == ("10.0.1.4",)
    assert nic.public_ips == ("20.50.1.10",)  # resolved from the listed public IP resource
    assert nic.instance_id.endswith("/virtualMachines/vm-web-1")
    # a dynamic public IP without an address is kept as its resource id: still public
    (jump,) = nsgs["nsg-jumpbox"].attachments
    assert jump.is_public and jump.public_ips[0].endswith("/publicIPAddresses/pip-jump")


def test_flow_log_state(nsgs: dict[str, RuleSet]) -> None:
    assert nsgs["nsg-web"].logging is Logging.ON  # VNet flow log on vnet-prod
    assert nsgs["nsg-app"].logging is Logging.ON  # NSG flow log
    assert nsgs["nsg-legacy-shadow"].logging is Logging.OFF  # its flow log is disabled
    unknown = by_name(prod_data(flow_logs=None))
    assert {rs.logging for rs in unknown.values()} == {Logging.UNKNOWN}
    none = by_name(prod_data(flow_logs=[]))
    assert {rs.logging for rs in none.values()} == {Logging.OFF}


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("*", ANY), ("Any", ANY), ("0.0.0.0/0", ANY), ("Internet", INTERNET),
        ("VirtualNetwork", AddressSet.symbol("service-tag", "VirtualNetwork")),
        ("AzureLoadBalancer", AddressSet.symbol("service-tag", "AzureLoadBalancer")),
        ("Storage.WestEurope", AddressSet.symbol("service-tag", "Storage.WestEurope")),
        ("10.1.0.0/16", AddressSet.parse("10.1.0.0/16")),
        ("2001:db8::/32", AddressSet.parse("2001:db8::/32")),
    ],
)  # fmt: skip
def test_address_tokens(token: str, expected: AddressSet) -> None:
    assert address(token, Doc({}, "rid", "p"), "f") == expected


def test_internet_counts_but_virtual_network_does_not() -> None:
    assert address("Internet", Doc({}, "r", ""), "f").is_internet()
    assert address("*", Doc({}, "r", ""), "f").is_internet()
    assert not address("VirtualNetwork", Doc({}, "r", ""), "f").is_internet()


def test_bad_address_names_resource_and_field() -> None:
    with pytest.raises(AzureNormalizeError) as ei:
        address(
            "10.0.0.300/24", Doc({}, "/subscriptions/x/nsg", "properties"), "sourceAddressPrefix"
        )
    assert str(ei.value).startswith(
        "/subscriptions/x/nsg: properties.sourceAddressPrefix: bad address"
    )


def test_malformed_nsgs_are_errors_and_the_rest_is_kept() -> None:
    res = normalize_subscription(
        SubscriptionData(subscription=BROKEN, nsgs=sub_list(BROKEN, "networkSecurityGroups"))
    )
    assert [rs.asset.name for rs in res.rulesets] == ["nsg-ok"]
    msgs = sorted(str(e) for e in res.errors)
    assert len(msgs) == 3
    assert msgs[0].endswith("nsg-bad-types: properties.securityRules[0].properties.priority: "
                            "expected an integer, got 'high'")  # fmt: skip
    assert msgs[1].endswith("nsg-no-properties: properties: missing")
    assert msgs[2].endswith(
        "nsg-rules-not-a-list: properties.securityRules: expected a list, got 'allow everything'"
    )


def test_missing_ports_and_unknown_protocol_are_located_errors() -> None:
    nsg = copy.deepcopy(sub_list(PROD, "networkSecurityGroups")[0])
    props = nsg["properties"]["securityRules"][1]["properties"]
    del props["destinationPortRange"]
    bad_proto = copy.deepcopy(sub_list(PROD, "networkSecurityGroups")[0])
    bad_proto["properties"]["securityRules"][0]["properties"]["protocol"] = "Quic"
    no_id = {"name": "nameless", "properties": {}}
    res = normalize_subscription(SubscriptionData(subscription=PROD, nsgs=[nsg, bad_proto, no_id]))
    assert res.rulesets == ()
    text = [str(e) for e in res.errors]
    assert "securityRules[1].properties.destinationPortRange: missing" in text[0]
    assert "securityRules[0].properties.protocol[0]: unknown protocol 'Quic'" in text[1]
    assert text[2] == "(network security group 'nameless'): id: missing or not a string: None"


def test_icmp_rule_ignores_port_fields() -> None:
    nsg = copy.deepcopy(sub_list(PROD, "networkSecurityGroups")[0])
    nsg["properties"]["securityRules"][0]["properties"].update(
        protocol="Icmp", destinationPortRange="443"
    )
    rs = by_name(SubscriptionData(subscription=PROD, nsgs=[nsg]))["nsg-web"]
    (rule,) = [r for r in rs.rules if r.key == "allow-https-internet"]
    assert rule.protocols == parse_protocol("icmp") and rule.ports == ALL_PORTS
    assert ALL_PROTOCOLS.covers(rule.protocols)

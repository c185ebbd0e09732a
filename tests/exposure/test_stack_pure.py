"""Pure stacking cases on hand-built rule sets: host layer, DNAT without SNAT info, stateless."""

from __future__ import annotations

from exposure_builders import IN, OUT, eni, nacl, open_nacl, rule, sg

from cloudfw.exposure import build_paths, effective_exposure
from cloudfw.model import Action, Asset, Attachment, EvalSemantics, RuleSet


def _host(name: str, rules: list[object], enabled: bool = True) -> RuleSet:
    return RuleSet(
        Asset("host", "", "", "host-firewall", name),
        EvalSemantics.CHAIN_FIRST_MATCH,
        tuple(rules),  # type: ignore[arg-type]
        default_ingress=Action.ALLOW,
        attachments=(Attachment("host", name, instance_id=name),),
        enabled=enabled,
    )


def test_host_firewall_joined_by_instance_id_is_one_more_layer() -> None:
    att = eni("eni-1", "subnet-1")  # instance id i-eni-1
    group = sg("sg-1", [rule("sgr-ssh", ports="22"), rule("sgr-web", ports="443")], (att,))
    host = _host("i-eni-1", [rule("INPUT:1", IN, Action.DENY, ports="22", order=1)])
    other = _host("i-unrelated", [rule("INPUT:1", IN, Action.DENY, ports="443", order=1)])
    (r,) = effective_exposure(build_paths([group, open_nacl("acl-1", ("subnet-1",)), host, other]))
    assert [x.name for x in r.path.layers] == [
        "subnet:network-acl",
        "interface:security-group",
        "host:host-firewall",
    ]
    assert [(str(e.ports), e.path[-1].rule) for e in r.reachable] == [("443", "(default)")]
    (blocked,) = r.blocked
    assert (blocked.opened_by.rule, blocked.blocked_by.layer, blocked.blocked_by.rule) == (
        "sgr-ssh",
        "host:host-firewall",
        "INPUT:1",
    )


def test_disabled_host_firewall_filters_nothing() -> None:
    att = eni("eni-1", "subnet-1")
    group = sg("sg-1", [rule("sgr-ssh", ports="22")], (att,))
    host = _host("i-eni-1", [rule("INPUT:1", IN, Action.DENY, ports="22", order=1)], enabled=False)
    (r,) = effective_exposure(build_paths([group, host]))
    assert [str(e.ports) for e in r.reachable] == ["22"]


def test_return_path_needs_every_ephemeral_port_for_that_peer() -> None:
    att = eni("eni-1", "subnet-1")
    group = sg("sg-1", [rule("sgr-ssh", ports="22")], (att,))
    acl = nacl(
        "acl-1",
        [
            rule("acl-1:ingress:100", IN, proto="all", order=100),
            # replies allowed to 1.0.0.0/8 on every ephemeral port, elsewhere only partly
            rule(
                "acl-1:egress:100",
                OUT,
                proto="tcp",
                ports="1024-65535",
                peers="1.0.0.0/8",
                order=100,
            ),
            rule("acl-1:egress:110", OUT, proto="tcp", ports="1024-40000", order=110),
        ],
        ("subnet-1",),
    )
    (r,) = effective_exposure(build_paths([group, acl]))
    (e,) = r.exposures
    assert e.peers.to_tokens() == ("1.0.0.0/8",) and not e.internet
    assert r.reachable == ()
    assert {(b.reason, b.blocked_by.rule) for b in r.blocked} == {("return-path", "acl-1:egress:*")}


def test_union_layer_keeps_each_groups_rule() -> None:
    att = eni("eni-1", "subnet-1")
    a = sg("sg-a", [rule("a-22", ports="22")], (att,))
    b = sg("sg-b", [rule("b-22", ports="22", peers="8.8.8.0/24"), rule("b-80", ports="80")], (att,))
    (r,) = effective_exposure(build_paths([b, a]))
    hops = {(str(e.ports), e.path[0].ruleset, e.path[0].rule) for e in r.exposures}
    assert hops == {("22", "sg-a", "a-22"), ("22", "sg-b", "b-22"), ("80", "sg-b", "b-80")}


def test_one_rule_set_as_subnet_layer_and_as_interface_layer_keeps_both_names() -> None:
    nsg = RuleSet(
        Asset("azure", "sub", "westeurope", "network-security-group", "nsg-1"),
        EvalSemantics.PRIORITY_FIRST_MATCH,
        (rule("allow-ssh", ports="22", order=100),),
        attachments=(
            Attachment("subnet", "subnet-1", subnet="subnet-1"),
            Attachment("network-interface", "nic-b", "vm-b", ("10.0.2.4",), ("20.0.0.2",),
                       "subnet-2"),
        ),
    )  # fmt: skip
    nic_a = RuleSet(
        Asset("azure", "sub", "westeurope", "network-security-group", "nsg-a"),
        EvalSemantics.PRIORITY_FIRST_MATCH,
        (rule("allow-any", proto="all", order=100),),
        attachments=(
            Attachment("network-interface", "nic-a", "vm-a", ("10.0.1.4",), ("20.0.0.1",),
                       "subnet-1"),
        ),
    )  # fmt: skip
    results = {r.path.asset.resource_id: r for r in effective_exposure(build_paths([nsg, nic_a]))}
    names = {k: [x.name for x in r.path.layers] for k, r in results.items()}
    assert names == {
        "nic-a": ["subnet:network-security-group", "interface:network-security-group"],
        "nic-b": ["interface:network-security-group"],
    }
    for asset, layer in (("nic-a", "subnet:network-security-group"),
                         ("nic-b", "interface:network-security-group")):  # fmt: skip
        (ssh,) = [e for e in results[asset].reachable if str(e.ports) == "22"]
        assert (ssh.path[0].layer, ssh.path[0].ruleset) == (layer, "nsg-1")

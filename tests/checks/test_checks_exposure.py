"""internet-ingress[<service>], allow-all and wide-public-source, table-driven over the model."""

from __future__ import annotations

from dataclasses import replace

import pytest
from checks_helpers import ALLOW, DENY, OUT, by_check, findings, rule, ruleset

from cloudfw.model import DEFAULT_KEY, Action, EvalSemantics, Finding, Intervals, Severity
from cloudfw.model.rule import Rule

NACL = EvalSemantics.FIRST_MATCH_BY_NUMBER
NSG = EvalSemantics.PRIORITY_FIRST_MATCH
GCP = EvalSemantics.PRIORITY_DENY_WINS_TIES


def exposed(fs: list[Finding]) -> set[str]:
    return {f.check for f in fs if f.check.startswith("internet-ingress[")}


SSH_CASES = [
    ("ipv4 any", [rule("r1", "tcp", "22", ["0.0.0.0/0"])], True, ("r1",), ("0.0.0.0/0",)),
    ("ipv6 any", [rule("r1", "tcp", "22", ["::/0"])], True, ("r1",), ("::/0",)),
    ("port range 20-25", [rule("r1", "tcp", "20-25", ["0.0.0.0/0"])], True, ("r1",), None),
    ("protocol all", [rule("r1", "-1", "*", ["0.0.0.0/0"])], True, ("r1",), None),
    ("tcp all ports", [rule("r1", "tcp", "0-65535", ["0.0.0.0/0"])], True, ("r1",), None),
    ("private only", [rule("r1", "tcp", "22", ["10.0.0.0/8"])], False, (), None),
    ("office /24", [rule("r1", "tcp", "22", ["81.2.69.0/24"])], False, (), None),
    ("sg reference", [rule("r1", "tcp", "22", ["sg:sg-0abc"])], False, (), None),
    ("udp 22 is not ssh", [rule("r1", "udp", "22", ["0.0.0.0/0"])], False, (), None),
    ("other port", [rule("r1", "tcp", "443", ["0.0.0.0/0"])], False, (), None),
    (
        "only the internet-sized rule is named",
        [rule("r1", "tcp", "22", ["0.0.0.0/0"]), rule("r2", "tcp", "22", ["81.2.69.0/24"])],
        True,
        ("r1",),
        ("0.0.0.0/0",),
    ),
    (
        "ipv4 and ipv6 rules both named",
        [rule("a", "tcp", "22", ["0.0.0.0/0"]), rule("b", "tcp", "22", ["::/0"])],
        True,
        ("a", "b"),
        ("0.0.0.0/0", "::/0"),
    ),
    (
        "disabled rule does not count",
        [rule("r1", "tcp", "22", ["0.0.0.0/0"], enabled=False)],
        False,
        (),
        None,
    ),
    (
        "egress rule does not count",
        [rule("r1", "tcp", "22", ["0.0.0.0/0"], direction=OUT)],
        False,
        (),
        None,
    ),
]


@pytest.mark.parametrize(
    ("rules", "fires", "keys", "peers"),
    [c[1:] for c in SSH_CASES],
    ids=[c[0] for c in SSH_CASES],
)
def test_ssh_exposure_table(
    rules: list[Rule], fires: bool, keys: tuple[str, ...], peers: tuple[str, ...] | None
) -> None:
    fs = findings(ruleset(*rules))
    got = by_check(f for f in fs if f.check == "internet-ingress[ssh]")
    # every port open: the ssh exposure is folded into the one allow-all finding
    folded = [f for f in fs if f.check == "allow-all" and "ssh" in f.evidence.get("services", ())]
    assert ("internet-ingress[ssh]" in got or bool(folded)) is fires
    assert not (got and folded), "never both"
    if folded:
        assert folded[0].rule_keys == keys and folded[0].severity >= Severity.HIGH
    if fires and got:
        f = got["internet-ingress[ssh]"]
        assert f.rule_keys == keys
        assert (f.protocol, f.ports, f.direction) == ("tcp", "22", "ingress")
        assert f.severity is Severity.HIGH
        assert f.techniques == ("T1686.001", "T1562.007")
        assert "CIS AWS v6.0 6.3" in f.compliance
        if peers is not None:
            assert f.peers == peers
        assert "sg-1" in f.message and "ssh (tcp/22)" in f.message
        assert "eni-1 (54.1.2.3)" in f.message  # the exposed public attachment
        assert f.evidence["attachments"][0]["public_ips"] == ["54.1.2.3"]  # type: ignore[index]


def test_port_range_reports_every_contained_service_and_only_its_ports() -> None:
    fs = findings(ruleset(rule("r1", "tcp", "20-25", ["0.0.0.0/0"])))
    assert exposed(fs) == {
        "internet-ingress[ftp]",
        "internet-ingress[ssh]",
        "internet-ingress[telnet]",
    }
    ftp = by_check(fs)["internet-ingress[ftp]"]
    assert ftp.ports == "20-21"


def test_multi_protocol_service_lists_open_protocols_only() -> None:
    fs = by_check(findings(ruleset(rule("r1", "udp", "3389", ["0.0.0.0/0"]))))
    rdp = fs["internet-ingress[rdp]"]
    assert (rdp.protocol, rdp.ports) == ("udp", "3389")
    assert "rdp (udp/3389)" in rdp.message


def test_union_of_partial_sources_counts_when_threshold_is_high() -> None:
    rs = ruleset(
        rule("low", "tcp", "22", ["0.0.0.0/1"]),
        rule("high", "tcp", "22", ["128.0.0.0/1"]),
    )
    cfg = {"internet-ingress": {"threshold": 0.9, "services": ["ssh"]}}
    fs = by_check(findings(rs, checks=cfg))
    assert fs["internet-ingress[ssh]"].rule_keys == ("high", "low")
    only_half = ruleset(rule("low", "tcp", "22", ["0.0.0.0/1"]))
    assert "internet-ingress[ssh]" not in by_check(findings(only_half, checks=cfg))


def test_service_selection_and_aliases() -> None:
    rs = ruleset(rule("r1", "tcp", "0-1000", ["0.0.0.0/0"]))
    fs = findings(rs, checks={"internet-ingress": {"services": ["ssh", "cifs"]}})
    assert exposed(fs) == {"internet-ingress[ssh]", "internet-ingress[smb]"}
    everything = ruleset(rule("r1", "-1", "*", ["0.0.0.0/0"]))
    fs = findings(everything, checks={"internet-ingress": {"services": ["ssh", "cifs"]}})
    (aa,) = [f for f in fs if f.check == "allow-all"]
    assert aa.evidence["services"] == ["smb", "ssh"] and not exposed(fs)


def test_critical_service_severity_comes_from_the_catalog() -> None:
    f = by_check(findings(ruleset(rule("r1", "tcp", "6379", ["0.0.0.0/0"]))))
    assert f["internet-ingress[redis]"].severity is Severity.CRITICAL


# -- ordered semantics: the model decides, the check just asks ------------------------------------


def test_nacl_deny_first_hides_later_allow_and_allow_all_stays_quiet() -> None:
    acl = ruleset(
        rule("90", "tcp", "22", ["0.0.0.0/0"], DENY, 90),
        rule("100", "-1", "*", ["0.0.0.0/0"], ALLOW, 100),
        semantics=NACL,
        rid="acl-1",
        rtype="network-acl",
    )
    fs = findings(acl)
    checks = {f.check for f in fs}
    assert "internet-ingress[ssh]" not in checks
    assert "internet-ingress[telnet]" in checks  # everything but tcp/22 is still open
    # Not *all* ports are open (tcp/22 is denied), so allow-all must not fire.
    assert "allow-all" not in checks


def test_nacl_deny_after_allow_does_not_help() -> None:
    acl = ruleset(
        rule("100", "-1", "*", ["0.0.0.0/0"], ALLOW, 100),
        rule("110", "tcp", "22", ["0.0.0.0/0"], DENY, 110),
        semantics=NACL,
    )
    fs = by_check(f for f in findings(acl) if f.check in ("internet-ingress[ssh]", "allow-all"))
    assert "internet-ingress[ssh]" not in fs, "folded into allow-all"
    assert fs["allow-all"].rule_keys == ("100",)
    assert "ssh" in fs["allow-all"].evidence["services"]


def test_nacl_deny_of_private_ranges_still_leaves_the_internet() -> None:
    acl = ruleset(
        rule("90", "-1", "*", ["10.0.0.0/8", "192.168.0.0/16"], DENY, 90),
        rule("100", "tcp", "22", ["0.0.0.0/0"], ALLOW, 100),
        semantics=NACL,
    )
    assert "internet-ingress[ssh]" in exposed(findings(acl))


def test_nacl_deny_of_half_the_internet_is_not_internet_wide() -> None:
    acl = ruleset(
        rule("90", "-1", "*", ["0.0.0.0/1"], DENY, 90),
        rule("100", "tcp", "22", ["0.0.0.0/0"], ALLOW, 100),
        semantics=NACL,
    )
    assert "internet-ingress[ssh]" not in exposed(findings(acl))


def test_azure_like_deny_at_higher_priority_hides_allow_any() -> None:
    nsg = ruleset(
        rule("deny-all-in", "-1", "*", ["*"], DENY, 100),
        rule("allow-any", "-1", "*", ["*"], ALLOW, 200),
        semantics=NSG,
        provider="azure",
        rtype="network-security-group",
    )
    # nothing is exposed; the only finding is the dead allow rule itself
    assert [(f.check, f.rule_keys) for f in findings(nsg)] == [("shadowed-rule", ("allow-any",))]


def test_azure_like_allow_before_deny_is_reported_with_azure_compliance() -> None:
    nsg = ruleset(
        rule("allow-ssh", "tcp", "22", ["*"], ALLOW, 100),
        rule("deny-all-in", "-1", "*", ["*"], DENY, 4096),
        semantics=NSG,
        provider="azure",
        rtype="network-security-group",
    )
    f = by_check(findings(nsg))["internet-ingress[ssh]"]
    assert f.rule_keys == ("allow-ssh",)
    assert "CIS Azure 7.2" in f.compliance
    assert not any(c.startswith("CIS AWS") for c in f.compliance)


@pytest.mark.parametrize(
    ("allow_prio", "deny_prio", "fires"),
    [(1000, 1000, False), (900, 1000, True), (1000, 900, False)],
    ids=["tie: deny wins", "allow first", "deny first"],
)
def test_gcp_like_deny_wins_ties(allow_prio: int, deny_prio: int, fires: bool) -> None:
    net = ruleset(
        rule("allow-ssh", "tcp", "22", ["0.0.0.0/0"], ALLOW, allow_prio),
        rule("deny-ssh", "tcp", "22", ["0.0.0.0/0"], DENY, deny_prio),
        semantics=GCP,
        provider="gcp",
        rtype="vpc-network",
    )
    fs = by_check(f for f in findings(net) if f.check.startswith("internet-ingress"))
    assert ("internet-ingress[ssh]" in fs) is fires
    if fires:
        assert fs["internet-ingress[ssh]"].compliance == ("CIS GCP 3.6",)


def test_target_profiles_are_evaluated_and_reported_once() -> None:
    net = ruleset(
        rule("allow-ssh-web", "tcp", "22", ["0.0.0.0/0"], ALLOW, 1000, targets=frozenset({"web"})),
        rule("allow-rdp-all", "tcp", "3389", ["0.0.0.0/0"], ALLOW, 1000),
        rule("deny-rdp-db", "tcp", "3389", ["0.0.0.0/0"], DENY, 900, targets=frozenset({"db"})),
        semantics=GCP,
        provider="gcp",
    )
    fs = by_check(f for f in findings(net) if f.check.startswith("internet-ingress"))
    ssh, rdp = fs["internet-ingress[ssh]"], fs["internet-ingress[rdp]"]
    assert ssh.evidence["targets"] == [["web"]]
    assert "targets: web" in ssh.message
    # rdp is open for untagged and web instances (one finding), closed for db instances
    assert rdp.evidence["targets"] == [[], ["web"]]
    assert "targets" not in rdp.message


def test_disabled_host_firewall_exposes_everything() -> None:
    host = ruleset(
        rule("r1", "tcp", "22", ["10.0.0.0/8"]),
        semantics=EvalSemantics.CHAIN_FIRST_MATCH,
        provider="host",
        rtype="host-firewall",
        enabled=False,
    )
    fs = by_check(f for f in findings(host) if f.check in ("internet-ingress[ssh]", "allow-all"))
    assert set(fs) == {"allow-all"}, "per-service exposures fold into allow-all"
    assert fs["allow-all"].rule_keys == (DEFAULT_KEY,)
    assert "disabled" in fs["allow-all"].message and "ssh" in fs["allow-all"].evidence["services"]
    assert fs["allow-all"].peers == ("*",)


def test_default_allow_action_is_named() -> None:
    host = ruleset(semantics=EvalSemantics.CHAIN_FIRST_MATCH, default_ingress=Action.ALLOW)
    f = by_check(findings(host))["allow-all"]
    assert f.rule_keys == (DEFAULT_KEY,) and "default action" in f.message
    only_ssh = {"internet-ingress": {"services": ["ssh"]}, "allow-all": {"enabled": False}}
    f = by_check(findings(host, checks=only_ssh))["internet-ingress[ssh]"]
    assert f.rule_keys == (DEFAULT_KEY,) and "default action" in f.message


# -- allow-all -------------------------------------------------------------------------------------


def test_allow_all_folds_the_service_exposures() -> None:
    fs = findings(ruleset(rule("r1", "-1", "*", ["0.0.0.0/0"])))
    checks = {f.check for f in fs}
    assert "allow-all" in checks and not any(c.startswith("internet-ingress") for c in checks)
    aa = by_check(fs)["allow-all"]
    assert {"ssh", "rdp", "redis"} <= set(aa.evidence["services"])
    assert (aa.severity, aa.protocol, aa.ports, aa.direction) == (
        Severity.CRITICAL,  # as grave as the gravest folded service (redis)
        "all",
        "all",
        "ingress",
    )


def test_allow_all_from_pieces_that_cover_everything() -> None:
    not_tcp = replace(
        rule("rest", "-1", "*", ["0.0.0.0/0"]), protocols=Intervals.of((0, 5), (7, 255))
    )
    low = rule("tcp-low", "tcp", "0-1023", ["0.0.0.0/0"])
    high = rule("tcp-high", "tcp", "1024-65535", ["0.0.0.0/0", "::/0"])
    rs = ruleset(not_tcp, low, high)
    aa = by_check(findings(rs))["allow-all"]
    assert aa.rule_keys == ("rest", "tcp-high", "tcp-low")
    assert aa.peers == ("0.0.0.0/0",)  # ::/0 reaches only the high tcp ports
    assert "allow-all" not in {f.check for f in findings(ruleset(not_tcp, high))}
    only_ports = ruleset(rule("tcp", "tcp", "0-65535", ["0.0.0.0/0"]), rule("udp", "udp", "*"))
    assert "allow-all" not in {f.check for f in findings(only_ports)}


def test_allow_all_egress_is_opt_in_and_low() -> None:
    rs = ruleset(rule("out", "-1", "*", ["0.0.0.0/0"], direction=OUT))
    assert "allow-all" not in {f.check for f in findings(rs)}
    fs = findings(rs, checks={"allow-all": {"directions": ["egress"]}})
    aa = by_check(fs)["allow-all"]
    assert (aa.severity, aa.direction) == (Severity.LOW, "egress")
    assert "to the internet" in aa.message


# -- wide-public-source ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "params", "fires"),
    [
        ("8.0.0.0/16", {}, False),
        ("8.0.0.0/15", {}, True),
        ("8.8.0.0/20", {"max_prefix": 24}, True),
        ("8.8.8.0/24", {"max_prefix": 24}, False),
        ("0.0.0.0/0", {}, False),  # internet-wide: internet-ingress / allow-all territory
        ("10.0.0.0/8", {}, False),  # private
        ("10.0.0.0/7", {}, True),  # its public half 11.0.0.0/8 is broad
        ("2600:1f00::/48", {}, False),
        ("2600:1f00::/47", {}, True),
        ("2600:1f00::/40", {"max_prefix_v6": 32}, False),
        ("fc00::/7", {}, False),  # unique-local
    ],
)
def test_wide_public_source_boundaries(source: str, params: dict[str, int], fires: bool) -> None:
    rs = ruleset(rule("r1", "tcp", "443", [source]))
    fs = [
        f
        for f in findings(rs, checks={"wide-public-source": params})
        if f.check == "wide-public-source"
    ]
    assert bool(fs) is fires
    if fires:
        assert fs[0].rule_keys == ("r1",) and fs[0].severity is Severity.MEDIUM
        assert fs[0].evidence["broad_blocks"]


def test_wide_public_source_is_ingress_only() -> None:
    rs = ruleset(rule("r1", "tcp", "443", ["8.0.0.0/8"], direction=OUT))
    assert "wide-public-source" not in {f.check for f in findings(rs)}


def test_wide_public_source_judges_what_survives_earlier_denies() -> None:
    acl = ruleset(
        rule("90", "-1", "*", ["8.0.0.0/9"], DENY, 90),
        rule("100", "tcp", "443", ["8.0.0.0/8"], ALLOW, 100),
        semantics=NACL,
    )
    fs = [f for f in findings(acl) if f.check == "wide-public-source"]
    assert fs and fs[0].evidence["broad_blocks"] == ["8.128.0.0/9"]

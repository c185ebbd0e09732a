"""default-group-open, unlogged, shadowed-rule and redundant-rule."""

from __future__ import annotations

import pytest
from checks_helpers import ALLOW, DENY, OUT, asset, findings, rule, ruleset

from cloudfw.model import Action, EvalSemantics, Finding, Logging, Severity

NACL = EvalSemantics.FIRST_MATCH_BY_NUMBER


def only(fs: list[Finding], check: str) -> list[Finding]:
    return [f for f in fs if f.check == check]


# -- default-group-open ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_default", "rules", "keys"),
    [
        (True, [rule("eg", "-1", "*", ["0.0.0.0/0"], direction=OUT)], ("eg",)),
        (
            True,
            [rule("self", "-1", "*", ["sg:sg-1"]), rule("eg", "-1", "*", direction=OUT)],
            ("eg", "self"),
        ),
        (True, [], None),
        (True, [rule("off", "-1", "*", enabled=False)], None),
        (True, [rule("deny", "-1", "*", action=DENY)], None),
        (False, [rule("eg", "-1", "*", ["0.0.0.0/0"], direction=OUT)], None),
    ],
    ids=["egress rule", "both directions", "empty", "disabled rule", "deny only", "not default"],
)
def test_default_group_open(
    is_default: bool, rules: list[object], keys: tuple[str, ...] | None
) -> None:
    rs = ruleset(*rules, is_default=is_default)  # type: ignore[arg-type]
    got = only(findings(rs), "default-group-open")
    if keys is None:
        assert got == []
        return
    (f,) = got
    assert f.rule_keys == keys and f.severity is Severity.MEDIUM
    assert f.compliance == ("CIS AWS v6.0 6.5",)
    assert "default security-group sg-1" in f.message
    assert f.direction == ("both" if len(keys) == 2 else "egress")


def test_default_group_compliance_is_a_lookup_by_provider() -> None:
    rs = ruleset(
        rule("allow-internal", "-1", "*", ["10.128.0.0/9"]), provider="gcp", is_default=True
    )
    (f,) = only(findings(rs), "default-group-open")
    assert f.compliance == ("CIS GCP 3.1",)
    rs_az = ruleset(rule("a", "-1", "*", ["10.0.0.0/8"]), provider="azure", is_default=True)
    assert only(findings(rs_az), "default-group-open")[0].compliance == ()


# -- unlogged --------------------------------------------------------------------------------------


def test_unlogged_rule_level_one_finding_per_enabled_rule() -> None:
    rs = ruleset(
        rule("fw-ssh", "tcp", "22", ["0.0.0.0/0"], logging=Logging.OFF),
        rule("fw-web", "tcp", "443", ["0.0.0.0/0"], logging=Logging.ON),
        rule("fw-old", "tcp", "23", ["0.0.0.0/0"], logging=Logging.OFF, enabled=False),
        rule("fw-deny", "-1", "*", ["0.0.0.0/0"], DENY, 65534, logging=Logging.OFF),
        semantics=EvalSemantics.PRIORITY_DENY_WINS_TIES,
        provider="gcp",
        rtype="vpc-network",
        logging=Logging.OFF,  # rule-level findings take precedence over the rule-set level
    )
    got = only(findings(rs), "unlogged")
    assert sorted(f.rule_keys for f in got) == [("fw-deny",), ("fw-ssh",)]
    ssh = next(f for f in got if f.rule_keys == ("fw-ssh",))
    assert (ssh.protocol, ssh.ports, ssh.peers) == ("tcp", "22", ("0.0.0.0/0",))
    assert ssh.compliance == ()
    assert ssh.techniques == ("T1685.002", "T1562.008")
    assert "does not log" in ssh.message


def test_unlogged_dedupes_by_log_scope() -> None:
    vpc = asset("aws", "vpc-1", "vpc")
    a = ruleset(rule("r"), rid="sg-a", logging=Logging.OFF, log_scope=vpc)
    b = ruleset(rule("r"), rid="sg-b", logging=Logging.OFF, log_scope=vpc)
    c = ruleset(rule("r"), rid="sg-c", logging=Logging.ON, log_scope=vpc)
    d = ruleset(rule("r"), rid="sg-d", logging=Logging.UNKNOWN)
    e = ruleset(rule("r"), rid="acl-e", rtype="network-acl", logging=Logging.OFF)
    got = only(findings(a, b, c, d, e), "unlogged")
    assert [f.asset.resource_id for f in got] == ["vpc-1", "acl-e"]
    scoped = got[0]
    members = [m["resource_id"] for m in scoped.evidence["rulesets"]]  # type: ignore[attr-defined]
    assert members == ["sg-a", "sg-b"]
    assert "sg-a" in scoped.message and "sg-b" in scoped.message
    assert scoped.compliance == ("CIS AWS v6.0 4.7",)
    assert got[1].message == "network-acl acl-e (web) does not log its traffic decisions."


# -- shadowed-rule / redundant-rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            [
                rule("90", "tcp", "22", ["0.0.0.0/0"], DENY, 90),
                rule("100", "tcp", "22", action=ALLOW, order=100),
            ],
            [("shadowed-rule", ("100",))],
        ),
        (
            [
                rule("90", "tcp", "0-1024", action=ALLOW, order=90),
                rule("100", "tcp", "22", action=ALLOW, order=100),
            ],
            [("redundant-rule", ("100",))],
        ),
        (
            [
                rule("80", "tcp", "22", ["0.0.0.0/1"], DENY, 80),
                rule("90", "tcp", "22", ["128.0.0.0/1"], ALLOW, 90),
                rule("100", "tcp", "22", ["0.0.0.0/0"], ALLOW, 100),
            ],
            [("shadowed-rule", ("100",))],  # decided half one way, half the other
        ),
        (
            [
                rule("90", "tcp", "22", ["8.8.8.8/32"], DENY, 90),
                rule("100", "tcp", "22", action=ALLOW, order=100),
            ],
            [],  # partly covered: the rest still matches
        ),
        (
            [
                rule("90", "tcp", "22", action=DENY, order=90, enabled=False),
                rule("100", "tcp", "22", action=ALLOW, order=100),
            ],
            [],  # a disabled rule covers nothing
        ),
    ],
    ids=["shadowed", "redundant", "mixed", "partial", "disabled"],
)
def test_dead_rules_in_ordered_sets(
    rules: list[object], expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    acl = ruleset(*rules, semantics=NACL, rid="acl-1", rtype="network-acl")  # type: ignore[arg-type]
    got = [(f.check, f.rule_keys) for f in findings(acl) if f.check.endswith("-rule")]
    assert got == expected
    for f in findings(acl):
        if f.check.endswith("-rule"):
            assert f.severity is Severity.LOW
            assert "never matches" in f.message
            assert f.evidence["covered_by"]


def test_security_groups_have_no_dead_rules() -> None:
    rs = ruleset(rule("a", "tcp", "0-1024"), rule("b", "tcp", "22"))
    assert not [f for f in findings(rs) if f.check.endswith("-rule")]


def test_dead_rule_needs_to_be_dead_for_every_target_profile() -> None:
    net = ruleset(
        rule("deny-web", "tcp", "22", action=DENY, order=900, targets=frozenset({"web"})),
        rule("allow-ssh", "tcp", "22", action=ALLOW, order=1000),
        rule("allow-web", "tcp", "22", action=ALLOW, order=1000, targets=frozenset({"web"})),
        semantics=EvalSemantics.PRIORITY_DENY_WINS_TIES,
        provider="gcp",
    )
    got = [(f.check, f.rule_keys) for f in findings(net) if f.check.endswith("-rule")]
    # allow-ssh still matches untagged instances; allow-web is dead for every instance it targets
    assert got == [("shadowed-rule", ("allow-web",))]


def test_disabling_checks_removes_their_findings() -> None:
    acl = ruleset(
        rule("90", "tcp", "22", action=DENY, order=90),
        rule("100", "tcp", "22", action=Action.ALLOW, order=100),
        semantics=NACL,
    )
    assert only(findings(acl), "shadowed-rule")
    assert not only(findings(acl, checks={"shadowed-rule": {"enabled": False}}), "shadowed-rule")


# -- default-pass ----------------------------------------------------------------------------------
LAYERED = EvalSemantics.STATELESS_THEN_STATEFUL
GOTO = Action.GOTO_NEXT


def _layered(*rules: object, provider: str = "aws", names: tuple[str, ...] = ("a", "b")) -> object:
    return ruleset(
        *rules,
        semantics=LAYERED,
        provider=provider,
        rid="fw",
        rtype="firewall",  # type: ignore[arg-type]
        layer_names=names,
        default_ingress=ALLOW,
        default_egress=ALLOW,
    )


@pytest.mark.parametrize("provider", ["aws", "gcp", "host"])
def test_default_pass_in_an_early_layer_fires_on_any_provider(provider: str) -> None:
    early = rule("default", "-1", "*", ["*"], layer=0, order=99, description="stateless default")
    drop = rule("drop-db", "tcp", "3306", ["*"], action=DENY, layer=1)
    (f,) = only(findings(_layered(early, drop, provider=provider)), "default-pass")  # type: ignore[arg-type]
    assert f.rule_keys == ("default",) and f.direction == "ingress"
    assert "and never reaches the b layer" in f.message and f.severity is Severity.HIGH
    assert f.evidence["skipped_layers"] == ["b"]  # type: ignore[index]


@pytest.mark.parametrize(
    "rules",
    [
        [
            rule("fwd", "-1", "*", ["*"], action=GOTO, layer=0),
            rule("pass", "-1", "*", ["*"], layer=1),
        ],
        [
            rule("ssh", layer=0),
            rule("rest", "-1", "*", ["*"], action=GOTO, layer=0, order=9),
            rule("late", "-1", "*", ["*"], layer=1),
        ],
        [
            rule("drop", "-1", "*", ["*"], action=DENY, layer=0),
            rule("never", "-1", "*", ["*"], layer=0, order=5),
            rule("x", layer=1),
        ],
        [rule("narrow", "tcp", "0-65535", ["*"], layer=0), rule("x", layer=1)],
    ],
    ids=["forwarded", "only a narrow pass early", "unreachable catch-all", "not every protocol"],
)
def test_default_pass_needs_a_reached_catch_all_before_the_last_layer(rules: list[object]) -> None:
    assert not only(findings(_layered(*rules)), "default-pass")  # type: ignore[arg-type]


def test_default_pass_ignores_single_layer_rule_sets() -> None:
    rs = ruleset(rule("all", "-1", "*", ["*"]), semantics=NACL)
    assert not only(findings(rs), "default-pass")


def test_placeholders_are_named_in_evidence() -> None:
    opaque = rule(
        "managed:x",
        "-1",
        "*",
        ["*"],
        action=Action.LOG,
        layer=1,
        description="AWS managed rule group x",
        unresolved="rules not readable",
    )
    ssh = rule("ssh", layer=1)
    fs = findings(_layered(rule("fwd", "-1", "*", ["*"], action=GOTO), opaque, ssh))  # type: ignore[arg-type]
    exposure = [f for f in fs if f.check in ("allow-all", "internet-ingress[ssh]")]
    assert exposure
    for f in exposure:
        assert f.evidence["not_evaluated"] == [  # type: ignore[index]
            {"rule": "managed:x", "what": "AWS managed rule group x", "why": "rules not readable"}
        ]

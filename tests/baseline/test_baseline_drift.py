"""Drift: unexpectedly-authorized, modified, revoked (semantics in cloudfw.baseline)."""

from __future__ import annotations

from baseline_support import asset, load, rule, ruleset, snapshot

from cloudfw.baseline import DRIFT_CHECKS, drift_findings, entry_matches
from cloudfw.model import Action, Direction, Severity
from cloudfw.policy.baseline import Match

WEB = asset("sg-0web", name="web", tags={"Role": "web", "Env": "prod"})
ACL = asset("acl-0abc", rtype="network-acl")

APPROVE_WEB = """\
version: 1
approved:
  - id: web-https
    match: {provider: aws, resource: "sg-*", tags: {Role: web}}
    rules:
      - {direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0", "::/0"]}
"""


def _checks(findings: list) -> list[tuple[str, str]]:
    return sorted((f.check, f.rule_keys[0]) for f in findings)


def test_approved_rule_is_covered() -> None:
    snap = snapshot(ruleset(WEB, rule("r1", "443", ("0.0.0.0/0",)), rule("r2", "443", ("::/0",))))
    assert drift_findings(snap, load(APPROVE_WEB)) == []


def test_unapproved_rule_is_reported_with_all_fields() -> None:
    snap = snapshot(ruleset(WEB, rule("r1", "443"), rule("r-ssh", "22", ("0.0.0.0/0",))))
    (f,) = drift_findings(snap, load(APPROVE_WEB))
    meta = DRIFT_CHECKS["unexpectedly-authorized"]
    assert (f.check, f.severity, f.asset, f.rule_keys) == (meta.id, Severity.HIGH, WEB, ("r-ssh",))
    assert (f.direction, f.protocol, f.ports, f.peers) == ("ingress", "tcp", "22", ("0.0.0.0/0",))
    assert f.techniques == ("T1686.001", "T1562.007") and f.compliance == meta.compliance
    assert f.remediation == meta.remediation
    assert "r-ssh" in f.message and "'web-https'" in f.message
    assert f.evidence["approved_entries"] == ["web-https (prod.yaml:3)"]
    assert f.evidence["baseline"] == "prod.yaml"


def test_approval_by_tag_match_only() -> None:
    other = asset("sg-0api", tags={"Role": "api"})
    snap = snapshot(ruleset(WEB, rule("a", "443")), ruleset(other, rule("b", "443")))
    (f,) = drift_findings(snap, load(APPROVE_WEB))
    assert f.asset == other and "no approved entry matches" in f.message


def test_range_is_not_covered_by_single_port() -> None:
    snap = snapshot(ruleset(WEB, rule("wide", "80-443")))
    assert _checks(drift_findings(snap, load(APPROVE_WEB))) == [("unexpectedly-authorized", "wide")]


def test_union_of_entries_covers_a_range() -> None:
    text = APPROVE_WEB + (
        "  - id: web-http\n    match: {resource: web}\n"
        "    rules: [{direction: ingress, protocol: tcp, ports: '80-442', peers: '0.0.0.0/0'}]\n"
    )
    snap = snapshot(ruleset(WEB, rule("wide", "80-443")))
    assert drift_findings(snap, load(text)) == []


def test_internal_rules_follow_drift_scope() -> None:
    snap = snapshot(
        ruleset(WEB, rule("int", "5432", ("10.0.0.0/8",)), rule("sym", "22", ("sg:sg-1",)))
    )
    assert drift_findings(snap, load(APPROVE_WEB)) == []
    found = drift_findings(snap, load(APPROVE_WEB + "drift_scope: all\n"))
    assert _checks(found) == [
        ("unexpectedly-authorized", "int"),
        ("unexpectedly-authorized", "sym"),
    ]
    assert {f.severity for f in found} == {Severity.MEDIUM}


def test_disabled_and_deny_rules_open_nothing() -> None:
    snap = snapshot(
        ruleset(WEB, rule("off", "22", enabled=False), rule("d", "22", action=Action.DENY))
    )
    assert drift_findings(snap, load(APPROVE_WEB)) == []


def test_allow_bypass_needs_its_own_approval() -> None:
    snap = snapshot(ruleset(WEB, rule("b", "443", action=Action.ALLOW_BYPASS)))
    assert _checks(drift_findings(snap, load(APPROVE_WEB))) == [("unexpectedly-authorized", "b")]


def test_egress_is_not_covered_by_ingress_approval() -> None:
    snap = snapshot(ruleset(WEB, rule("out", "443", direction=Direction.EGRESS)))
    (f,) = drift_findings(snap, load(APPROVE_WEB))
    assert f.direction == "egress"


PINNED = """\
version: 1
approved:
  - id: web
    match: {resource: sg-0web}
    rules:
      - {rule_id: r-https, direction: ingress, protocol: tcp, ports: "443", peers: "0.0.0.0/0"}
      - {direction: ingress, protocol: tcp, ports: "8443", peers: "0.0.0.0/0"}
"""


def test_modified_by_rule_id_not_also_unexpected() -> None:
    snap = snapshot(ruleset(WEB, rule("r-https", "443,8443")))
    (f,) = drift_findings(snap, load(PINNED))
    assert (f.check, f.rule_keys, f.severity) == ("modified", ("r-https",), Severity.HIGH)
    assert f.evidence["location"] == "prod.yaml:6" and f.evidence["entry"] == "web"
    assert "allow ingress tcp/443 from 0.0.0.0/0" in f.message


def test_pinned_rule_narrowed_or_gone_is_not_drift() -> None:
    narrowed = snapshot(ruleset(WEB, rule("r-https", "443", ("203.0.114.0/24",))))
    assert drift_findings(narrowed, load(PINNED)) == []
    assert drift_findings(snapshot(ruleset(WEB)), load(PINNED)) == []


def test_pinned_rule_changed_direction_is_modified() -> None:
    snap = snapshot(ruleset(WEB, rule("r-https", "443", direction=Direction.EGRESS)))
    assert _checks(drift_findings(snap, load(PINNED))) == [("modified", "r-https")]


REQUIRE = """\
version: 1
required:
  - id: edge-deny-ssh
    match: {provider: aws, resource: acl-0abc}
    rules:
      - {direction: ingress, action: deny, protocol: tcp, ports: "22", peers: ["0.0.0.0/0"]}
"""


def test_required_deny_present() -> None:
    deny = rule("100", "0-1024", ("0.0.0.0/0",), action=Action.DENY)
    assert drift_findings(snapshot(ruleset(ACL, deny)), load(REQUIRE)) == []


def test_revoked_missing_resource() -> None:
    found = drift_findings(snapshot(ruleset(WEB, rule("a", "443"))), load(REQUIRE))
    assert _checks(found) == [
        ("revoked", "edge-deny-ssh.rules[0]"),
        ("unexpectedly-authorized", "a"),
    ]
    (f,) = [f for f in found if f.check == "revoked"]
    assert (f.check, f.severity, f.asset.resource_id, f.asset.provider) == (
        "revoked",
        Severity.HIGH,
        "acl-0abc",
        "aws",
    )
    assert "is gone" in f.message and f.evidence["location"] == "prod.yaml:3"
    assert (f.protocol, f.ports, f.peers) == ("tcp", "22", ("0.0.0.0/0",))


def test_revoked_missing_rule() -> None:
    allow = rule("100", "22", ("10.0.0.0/8",))
    (f,) = drift_findings(snapshot(ruleset(ACL, allow)), load(REQUIRE))
    assert (f.check, f.asset, f.rule_keys) == ("revoked", ACL, ("edge-deny-ssh.rules[0]",))
    assert "is missing" in f.message and f.evidence["location"] == "prod.yaml:6"


def test_revoked_partly_present() -> None:
    half = rule("100", "22", ("0.0.0.0/1",), action=Action.DENY)
    (f,) = drift_findings(snapshot(ruleset(ACL, half)), load(REQUIRE))
    assert "only partly present" in f.message and f.evidence["partly_covered_by"] == ["100"]


def test_required_entry_for_uncollected_provider_is_not_evaluated() -> None:
    gcp = asset("fw-1", provider="gcp", account="proj")
    assert drift_findings(snapshot(ruleset(gcp)), load(REQUIRE)) == []


def test_entry_matching_rules() -> None:
    a = asset("sg-0web", name="web-[prod]", tags={"Role": "web"})
    assert entry_matches(Match(), a)
    assert entry_matches(Match(provider="aws", region="us-*", resource="web-[[]prod]"), a)
    assert entry_matches(Match(resource_type="security-*", tags={"Role": "web"}), a)
    assert not entry_matches(Match(provider="AWS"), a)
    assert not entry_matches(Match(tags={"Role": "web", "Env": "prod"}), a)
    assert not entry_matches(Match(account="999*"), a)
    assert entry_matches(Match(hosts="sg-0w*"), a) and not entry_matches(Match(hosts="h*"), a)

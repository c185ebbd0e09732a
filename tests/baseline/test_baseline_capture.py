"""Capture: a baseline approving the current state yields zero drift against that state."""

from __future__ import annotations

import ipaddress
import os
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

from baseline_support import KNOWN, asset, load, rule, ruleset, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.baseline import capture_baseline, drift_findings
from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Coverage,
    CoverageStatus,
    Direction,
    EvalSemantics,
    Intervals,
    Rule,
    RuleSet,
    Severity,
    Snapshot,
)
from cloudfw.policy.config import PolicyConfig

TODAY = date(2026, 11, 22)
GOLDEN = Path(__file__).parent / "golden" / "capture.yaml"


def _fixed() -> Snapshot:
    web = asset("sg-0web", name="web", tags={"Role": "web"})
    nsg = asset(
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/"
        "Microsoft.Network/networkSecurityGroups/nsg-app",
        provider="azure",
        account="0b1f6471-1bf0-4dda-aec3-cb9272f09590",
        region="westeurope",
        rtype="nsg",
    )
    return snapshot(
        ruleset(
            web,
            rule("sgr-1", "443", ("0.0.0.0/0", "::/0")),
            rule("sgr-2", "22", ("10.0.0.0/8",)),
            rule("sgr-3", "all", ("sg:sg-0lb",), proto="all", direction=Direction.EGRESS),
        ),
        ruleset(
            nsg,
            rule("deny-all", "all", ("*",), proto="all", action=Action.DENY, order=4096),
            rule("allow-http", "80,8080-8089", ("*",), order=100),
        ),
        coverage=(
            Coverage("aws", "123456789012/us-east-1", CoverageStatus.OK, resources=1),
            Coverage("aws", "123456789012/eu-west-1", CoverageStatus.OK),
            Coverage(
                "azure", "subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590", CoverageStatus.OK
            ),
        ),
    )


def test_capture_matches_golden() -> None:
    text = capture_baseline(
        _fixed(),
        policy=PolicyConfig(Severity.MEDIUM, {"allow-all": {"enabled": False}}),
        today=TODAY,
    )
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_capture_loads_and_round_trips() -> None:
    snap = _fixed()
    b = load(capture_baseline(snap, today=TODAY))
    assert [e.id for e in b.approved] == ["web", "nsg-app"]
    assert b.scope == {
        "aws": {"accounts": ["123456789012"], "regions": ["eu-west-1", "us-east-1"]},
        "azure": {"subscriptions": ["0b1f6471-1bf0-4dda-aec3-cb9272f09590"]},
    }
    assert b.required == () and b.exceptions == () and b.drift_scope == "public"
    assert all(s.rule_id for e in b.approved for s in e.rules)
    assert drift_findings(snap, b) == []


def test_drift_after_capture_shows_changes() -> None:
    snap = _fixed()
    b = load(capture_baseline(snap, today=TODAY))
    web = snap.rulesets[0]
    widened = replace(
        web, rules=(rule("sgr-1", "443-444", ("0.0.0.0/0",)), *web.rules[1:], rule("sgr-9", "3389"))
    )
    found = drift_findings(replace(snap, rulesets=(widened, snap.rulesets[1])), b)
    assert sorted((f.check, f.rule_keys) for f in found) == [
        ("modified", ("sgr-1",)),
        ("unexpectedly-authorized", ("sgr-9",)),
    ]


def test_incomplete_snapshot_is_flagged_in_the_header() -> None:
    snap = replace(
        _fixed(),
        coverage=(Coverage("aws", "123456789012/ap-south-1", CoverageStatus.ERROR, "throttled"),),
    )
    text = capture_baseline(snap, today=TODAY)
    assert "# WARNING: the snapshot is incomplete" in text and "ap-south-1: throttled" in text
    load(text)


def test_empty_snapshot_captures_a_valid_baseline() -> None:
    b = load(capture_baseline(snapshot(), today=TODAY))
    assert b.approved == () and b.version == 1


# -- properties ------------------------------------------------------------------------------

_spans = st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 400)), max_size=3)
ports_st = _spans.map(lambda xs: Intervals.from_iter((lo, min(lo + w, 65535)) for lo, w in xs))
protos_st = st.one_of(
    st.sampled_from(
        [
            Intervals.of((6, 6)),
            Intervals.of((17, 17)),
            Intervals.of((1, 1)),
            Intervals.of((0, 255)),
            Intervals.of((6, 6), (17, 17)),
            Intervals.of((50, 51)),
        ]
    ),
    st.integers(0, 255).map(lambda n: Intervals.of((n, n))),
)


@st.composite
def peer_token(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        a = draw(st.ip_addresses(v=4))
        return str(ipaddress.ip_network(f"{a}/{draw(st.integers(0, 32))}", strict=False))
    if kind == 1:
        a = draw(st.ip_addresses(v=6))
        return str(ipaddress.ip_network(f"{a}/{draw(st.integers(0, 128))}", strict=False))
    if kind == 2:
        return draw(st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "192.168.1.0/24", "::/0"]))
    if kind == 3:
        return "*"
    return f"sg:{draw(st.sampled_from(['sg-1', 'sg-2', 'a b', 'x:y']))}"


@st.composite
def rule_st(draw: st.DrawFn, n: int) -> Rule:
    peers = AddressSet.parse_many(draw(st.lists(peer_token(), max_size=3)))
    return Rule(
        key=draw(st.sampled_from([f"r{n}", f"r{n}", "dup", "", "we*ird[key]?"])),
        direction=draw(st.sampled_from(list(Direction))),
        action=draw(st.sampled_from([Action.ALLOW, Action.DENY, Action.ALLOW_BYPASS, Action.LOG])),
        protocols=draw(protos_st),
        ports=draw(ports_st),
        peers=peers,
        enabled=draw(st.booleans() | st.just(True)),
        order=n,
    )


@st.composite
def ruleset_st(draw: st.DrawFn) -> RuleSet:
    a = Asset(
        provider=draw(st.sampled_from(["aws", "azure", "gcp", ""])),
        account=draw(st.sampled_from(["123456789012", "proj-a", ""])),
        region=draw(st.sampled_from(["us-east-1", "global", ""])),
        resource_type=draw(st.sampled_from(["security-group", "nsg", "firewall"])),
        resource_id=draw(st.sampled_from(["sg-1", "sg-2", "sg-*", "fw[1]", "a?b", "/x/y/nsg", ""])),
        name=draw(st.sampled_from(["", "web", "sg-2", "sg-1"])),
        tags=draw(st.sampled_from([(), (("Role", "web"),)])),
    )
    n = draw(st.integers(0, 5))
    rules = tuple(draw(rule_st(i)) for i in range(n))
    sem = draw(st.sampled_from([EvalSemantics.ALLOW_UNION, EvalSemantics.PRIORITY_FIRST_MATCH]))
    return RuleSet(asset=a, semantics=sem, rules=rules)


snapshot_st = st.lists(ruleset_st(), max_size=5).map(lambda rss: snapshot(*rss))


@settings(max_examples=100, deadline=None)
@given(snapshot_st)
def test_capture_then_drift_is_empty(snap: Snapshot) -> None:
    text = capture_baseline(snap, today=TODAY)
    assert drift_findings(snap, load(text, known=KNOWN)) == []
    everything = text.replace("drift_scope: public", "drift_scope: all")
    assert drift_findings(snap, load(everything)) == []


def _shuffled(snap: Snapshot, seed: int) -> Snapshot:
    rnd = random.Random(seed)
    rss = [replace(rs, rules=tuple(rnd.sample(rs.rules, len(rs.rules)))) for rs in snap.rulesets]
    rnd.shuffle(rss)
    return replace(snap, rulesets=tuple(rss))


OTHER = load("""\
version: 1
drift_scope: all
approved:
  - {id: a, match: {resource: "sg-*"},
     rules: [{direction: ingress, protocol: tcp, ports: "0-1000", peers: "0.0.0.0/0"}]}
  - {id: b, match: {provider: azure},
     rules: [{rule_id: r1, direction: egress, protocol: all, peers: "*"}]}
required:
  - {id: c, match: {resource: sg-1},
     rules: [{direction: ingress, action: deny, protocol: udp, peers: "::/0"}]}
""")


@settings(max_examples=60, deadline=None)
@given(snapshot_st, st.integers(0, 2**32))
def test_capture_and_drift_ignore_order(snap: Snapshot, seed: int) -> None:
    other = _shuffled(snap, seed)
    assert capture_baseline(other, today=TODAY) == capture_baseline(snap, today=TODAY)

    def key(s: Snapshot) -> list[tuple[str, str]]:
        return sorted((f.key, f.message) for f in drift_findings(s, OTHER))

    assert key(other) == key(snap)

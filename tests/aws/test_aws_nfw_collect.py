"""Network Firewall collection over real HTTP: boto3 -> the JSON 1.0 stand-in (paging, faults)
and moto (route tables); the firewall then stands on the protected subnet's exposure path."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from aws_support import Seeded

from cloudfw.exposure import build_paths, effective_exposure
from cloudfw.model import Logging, RuleSet, Snapshot
from cloudfw.providers.aws import collect
from cloudfw.providers.base import CollectOptions, NullProgress
from cloudfw.standins.nfw import NfwStandin

US = ("us-east-1",)


def _collect(mp: pytest.MonkeyPatch, standin: NfwStandin | None = None) -> Snapshot:
    if standin is not None:
        mp.setenv("AWS_ENDPOINT_URL_NETWORK_FIREWALL", standin.endpoint)
    return collect(CollectOptions(regions=US), NullProgress())


def _firewalls(snap: Snapshot) -> dict[str, RuleSet]:
    return {
        rs.asset.resource_id: rs
        for rs in snap.rulesets
        if rs.asset.resource_type == "network-firewall"
    }


def test_firewall_is_collected_with_policy_groups_logging_and_route(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded
) -> None:
    snap = _collect(monkeypatch)
    assert snap.complete, snap.coverage
    fw = _firewalls(snap)["insp-fw"]
    assert fw.logging is Logging.OFF
    (att,) = fw.attachments
    assert (att.resource_type, att.resource_id) == ("subnet-route", aws_env.ids["insp-app-a"])
    keys = {r.key for r in fw.rules}
    assert {
        "insp-prefilter:10:ingress",
        "insp-suricata:sid:1000001:ingress",
        "insp-5tuple:sid:2000001:ingress",
        "insp-egress-domains:tls_sni-allowlist:egress",
        "managed:ThreatSignaturesBotnetStrictOrder:ingress",
        "tls-inspection:ingress",
        "stateless-default:ingress",
        "stateful-default:ingress",
    } <= keys
    eu = collect(CollectOptions(regions=("eu-west-1",)), NullProgress())
    assert eu.complete and not _firewalls(eu), "a region without firewalls has none"


def test_every_page_of_firewalls_is_read(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    state = copy.deepcopy(aws_env.firewalls.state)
    ((arn, one),) = state.firewalls["us-east-1"].items()
    for n in (2, 3):
        twin = copy.deepcopy(one)
        twin["Firewall"]["FirewallName"] = f"insp-fw-{n}"
        twin["Firewall"]["FirewallArn"] = f"{arn}-{n}"
        state.firewalls["us-east-1"][f"{arn}-{n}"] = twin
    standin = NfwStandin(state, page_size=1).start()
    try:
        snap = _collect(monkeypatch, standin)
    finally:
        standin.stop()
    assert snap.complete
    assert set(_firewalls(snap)) == {"insp-fw", "insp-fw-2", "insp-fw-3"}
    lists = [r for r in standin.requests if r["operation"] == "ListFirewalls"]
    assert len(lists) == 3 and [r.get("NextToken") for r in lists] == [None, "1", "2"]
    policies = [r for r in standin.requests if r["operation"] == "DescribeFirewallPolicy"]
    assert len(policies) == 1, "a policy shared by three firewalls is read once"


@pytest.mark.parametrize(
    ("operation", "lost"),
    [("DescribeRuleGroup", "unread:"), ("DescribeLoggingConfiguration", "")],
)
def test_a_failed_read_makes_the_region_incomplete(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded, operation: str, lost: str
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    standin = NfwStandin(aws_env.firewalls.state, fail={operation: 500}).start()
    try:
        snap = _collect(monkeypatch, standin)
    finally:
        standin.stop()
    assert not snap.complete
    (cov,) = snap.coverage
    assert operation in cov.reason
    fw = _firewalls(snap)["insp-fw"]  # what was read is kept
    if lost:
        assert any(r.key.startswith(lost) for r in fw.rules)
    else:
        assert fw.logging is Logging.UNKNOWN


def test_firewall_list_failure_keeps_the_rest_of_the_region(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    standin = NfwStandin(aws_env.firewalls.state, fail={"ListFirewalls": 503}).start()
    try:
        snap = _collect(monkeypatch, standin)
    finally:
        standin.stop()
    assert not snap.complete and "ListFirewalls" in snap.coverage[0].reason
    assert not _firewalls(snap) and any(
        rs.asset.resource_type == "security-group" for rs in snap.rulesets
    )


def test_firewall_is_the_outermost_layer_of_the_protected_subnet(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded
) -> None:
    snap = _collect(monkeypatch)
    eni = aws_env.ids["insp-app-eni"]
    (result,) = [
        r for r in effective_exposure(build_paths(snap.rulesets)) if r.path.asset.resource_id == eni
    ]
    assert [layer.name for layer in result.path.layers] == [
        "path:network-firewall",
        "subnet:network-acl",
        "interface:security-group",
    ]
    (https,) = result.reachable
    assert str(https.ports) == "443"
    assert https.path[0].ruleset == "insp-fw"
    assert https.path[0].rule == "insp-suricata:sid:1000002:ingress"
    ssh = [b for b in result.blocked if str(b.ports) == "22"]
    assert ssh and ssh[0].opened_by.ruleset == "insp-fw"
    assert ssh[0].blocked_by.ruleset == aws_env.ids["insp-app-sg"]


def test_weakening_the_policy_is_drift_from_the_captured_baseline(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cloudfw.cli.app import _register_all, app
    from cloudfw.snapshotio import write_snapshot

    _register_all()
    state = copy.deepcopy(aws_env.firewalls.state)
    (policy,) = state.policies.values()
    policy["FirewallPolicy"]["StatelessDefaultActions"] = ["aws:forward_to_sfe"]
    standin = NfwStandin(state).start()
    try:
        write_snapshot(_collect(monkeypatch, standin), tmp_path / "before.json")
        policy["FirewallPolicy"]["StatelessDefaultActions"] = ["aws:pass"]  # someone weakens it
        write_snapshot(_collect(monkeypatch, standin), tmp_path / "after.json")
    finally:
        standin.stop()
    cli = CliRunner()
    base = tmp_path / "baseline.yaml"
    before = str(tmp_path / "before.json")
    res = cli.invoke(app, ["baseline", "capture", "--snapshot", before, "--out", str(base)])
    assert res.exit_code == 0, res.stderr

    def drift(snap: str) -> set[tuple[str, str]]:
        out = tmp_path / f"{snap}.report.json"
        args = ["audit", "--snapshot", str(tmp_path / snap), "--baseline", str(base)]
        res = cli.invoke(app, [*args, "--format", "json", "--no-store", "-o", str(out)])
        assert res.exit_code in (0, 1), res.stderr
        doc = json.loads(out.read_text())
        return {
            (f["check"], f["rule_id"])
            for f in doc["findings"]
            if f["resource_id"] == "insp-fw"
            and f["check"] in ("unexpectedly-authorized", "modified")
        }

    assert drift("before.json") == set()
    assert ("unexpectedly-authorized", "stateless-default:ingress") in drift("after.json")

"""Events meet posture: drift findings from change events, and change evidence on findings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from events_helpers import FIXTURES, read_path

from cloudfw.events.posture import attach_events, event_drift
from cloudfw.model import Asset, ChangeAction, ChangeEvent, Finding, PortSpec, Severity
from cloudfw.policy.baseline import Baseline, parse_baseline

BASELINE = """\
version: 1
approved_principals: ["arn:aws:sts::111122223333:assumed-role/deploy/*", "*@contoso.com"]
approved:
  - id: web-https
    match: {provider: aws, resource: "sg-0a1b2c3d4e5f6000*"}
    rules: [{direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0", "::/0"]}]
  - id: egress-all
    match: {provider: aws, resource: sg-0a1b2c3d4e5f60002}
    rules: [{direction: egress, protocol: all, ports: "0-65535", peers: ["0.0.0.0/0"]}]
required:
  - id: edge-deny-ssh
    match: {provider: aws, resource: acl-0abc0000000000001}
    rules: [{direction: ingress, action: deny, protocol: tcp, ports: "22", peers: ["0.0.0.0/0"]}]
  - id: rdp-from-corp
    match: {provider: aws, resource: sg-0a1b2c3d4e5f60004}
    rules: [{direction: ingress, protocol: tcp, ports: "3389", peers: ["10.0.0.0/8"]}]
"""


def baseline() -> Baseline:
    return parse_baseline(BASELINE, "prod.yaml", known_checks={"internet-ingress"})


def test_event_drift_on_the_trail_fixture() -> None:
    events, _ = read_path(FIXTURES / "aws" / "trail")
    found = {(f.check, f.asset.resource_id, f.evidence["change"]["event_id"][-3:])  # type: ignore[index]
             for f in event_drift(events, baseline())}  # fmt: skip
    # ssh from anywhere on sg-...0001 is not approved (only 443 is); the failed duplicate and
    # dry-run calls changed nothing
    assert ("unexpectedly-authorized", "sg-0a1b2c3d4e5f60001", "002") in found
    assert not any(c == "unexpectedly-authorized" and e in ("006", "013") for c, _, e in found)
    # 443 from 203.0.113.0/24 is covered; egress all on ...0002 is approved
    assert not any(r in ("sg-0a1b2c3d4e5f60003", "sg-0a1b2c3d4e5f60002") and
                   c == "unexpectedly-authorized" for c, r, _ in found)  # fmt: skip
    # the required RDP rule was revoked; the NACL rule 80 delete does not say what it removed
    assert ("revoked", "sg-0a1b2c3d4e5f60004", "008") in found
    assert ("revoked", "acl-0abc0000000000001", "106") in found
    # alice and mallory are not approved principals; the deploy role is
    principals = {e for c, _, e in found if c == "unapproved-principal"}
    assert "003" not in principals and {"002", "011", "102"} <= principals


def test_unapproved_principal_severity_and_failed_attempts() -> None:
    events, _ = read_path(FIXTURES / "aws" / "trail")
    by_id = {
        f.evidence["change"]["event_id"][-3:]: f  # type: ignore[index]
        for f in event_drift(events, baseline())
        if f.check == "unapproved-principal"
    }
    assert by_id["002"].severity is Severity.HIGH  # opened ssh to the world
    assert by_id["011"].severity is Severity.LOW  # an attempt that was refused
    assert "tried to change (Client.UnauthorizedOperation)" in by_id["011"].message


def test_nacl_deny_entry_is_not_an_authorization() -> None:
    ev = ChangeEvent(
        "aws", "1", "eu-west-1", datetime(2026, 11, 3, tzinfo=UTC), ChangeAction.CREATE,
        "CreateNetworkAclEntry", "acl-0abc0000000000001", "ingress", ("0.0.0.0/0",), True,
        (PortSpec("tcp", 22, 22),), "arn:aws:sts::111122223333:assumed-role/deploy/ci",
        rule_action="deny",
    )  # fmt: skip
    assert event_drift([ev], baseline()) == []
    allow = dataclasses.replace(ev, rule_action="allow")
    assert [f.check for f in event_drift([allow], baseline())] == ["unexpectedly-authorized"]


def test_attach_events_names_who_when_and_where() -> None:
    events, _ = read_path(FIXTURES / "aws" / "trail")
    asset = Asset("aws", "111122223333", "us-east-1", "security-group", "sg-0a1b2c3d4e5f60001")
    ssh = Finding("internet-ingress[ssh]", Severity.HIGH, asset, "ssh open", ("sgr-1",),
                  "ingress", "tcp", "22", ("0.0.0.0/0",))  # fmt: skip
    rdp = Finding("internet-ingress[rdp]", Severity.HIGH, asset, "rdp open", ("sgr-2",),
                  "ingress", "tcp", "3389", ("0.0.0.0/0",))  # fmt: skip
    other = Finding("allow-all", Severity.HIGH, Asset("aws", "1", "r", "sg", "sg-zzz"), "x")
    out = attach_events([ssh, rdp, other], events)
    change = out[0].evidence["change"]
    assert change["who"] == "arn:aws:iam::111122223333:user/alice"  # type: ignore[index]
    assert change["when"] == "2026-11-02T10:01:12Z"  # type: ignore[index]
    assert change["from"] == "198.51.100.23"  # type: ignore[index]
    assert change["event_id"].endswith("002")  # type: ignore[index]
    assert "#1" in change["source"]  # type: ignore[index]  # file#record index
    assert out[1] == rdp  # only a dry-run opened 3389: nothing changed, nothing attached
    assert out[2] == other  # unrelated resource untouched

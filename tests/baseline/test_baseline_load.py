"""Loading and validating baseline files: every error class is one located line."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from baseline_support import KNOWN, load

from cloudfw.model import Action, AddressSet, Direction, Intervals, Severity
from cloudfw.policy.baseline import load_baseline
from cloudfw.policy.config import PolicyConfig, PolicyError
from cloudfw.policy.portspec import parse_protocols

GOLDEN = Path(__file__).parent / "golden" / "load_errors.txt"

GOOD = """\
version: 1
scope: {aws: {accounts: ["123456789012"], regions: [us-east-1]}}
policy: {fail_on: medium, checks: {internet-ingress: {services: [ssh, rdp]}}}
drift_scope: all
approved_principals: ["arn:aws:iam::123456789012:role/netops"]
approved:
  - id: web-https
    match: {provider: aws, resource: "sg-*", tags: {Role: web}}
    rules:
      - {direction: ingress, protocol: tcp, ports: "443", peers: ["0.0.0.0/0", "::/0"]}
      - {rule_id: r-80, direction: ingress, protocol: 6, ports: 80, peers: "*"}
required:
  - id: edge-deny-ssh
    match: {provider: aws, resource: acl-0abc}
    rules: [{direction: ingress, action: deny, protocol: tcp, ports: "22", peers: ["0.0.0.0/0"]}]
exceptions:
  - {check: "internet-ingress[ssh]", resource: sg-0bastion, reason: bastion host,
     ticket: SEC-123, expires: 2027-01-31}
"""


def test_good_baseline_is_typed() -> None:
    b = load(GOOD)
    assert b.version == 1 and b.drift_scope == "all"
    assert b.policy == PolicyConfig(
        Severity.MEDIUM, {"internet-ingress": {"services": ["ssh", "rdp"]}}
    )
    assert b.approved_principals == ("arn:aws:iam::123456789012:role/netops",)
    web = b.approved[0]
    assert (web.id, web.line, web.match.resource, dict(web.match.tags)) == (
        "web-https",
        7,
        "sg-*",
        {"Role": "web"},
    )
    r0, r1 = web.rules
    assert r0.direction is Direction.INGRESS and r0.action is Action.ALLOW
    assert r0.peers == AddressSet.parse_many(["0.0.0.0/0", "::/0"]) and r0.line == 10
    assert r1.ports == Intervals.of((80, 80)) and r1.peers.universal and r1.rule_id == "r-80"
    deny = b.required[0].rules[0]
    assert deny.action is Action.DENY and deny.ports == Intervals.of((22, 22))
    exc = b.exceptions[0]
    assert (exc.check, exc.expires, exc.ticket, exc.owner, exc.line) == (
        "internet-ingress[ssh]",
        date(2027, 1, 31),
        "SEC-123",
        "",
        17,
    )


def test_defaults_and_null_sections() -> None:
    b = load("version: 1\napproved:\nrequired:\nexceptions:\n")
    assert (b.approved, b.required, b.exceptions, b.drift_scope) == ((), (), (), "public")
    assert b.policy.fail_on is Severity.HIGH


def test_protocol_forms() -> None:
    assert parse_protocols("tcp,udp") == Intervals.of((6, 6), (17, 17))
    assert parse_protocols("50-51") == Intervals.of((50, 51))
    assert parse_protocols("ipv6-icmp") == Intervals.of((58, 58))
    with pytest.raises(PolicyError):
        load(_rule('protocol: "300-400"'))


def _rule(body: str) -> str:
    return (
        "version: 1\napproved:\n  - id: a\n    match: {provider: aws}\n    rules:\n"
        f"      - {{direction: ingress, {body}, peers: ['0.0.0.0/0']}}\n"
    )


CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.stem for p in CASES.glob("*.yaml"))

# The acceptance classes, asserted independently of the golden file.
EXPECTED = {
    "yaml-syntax": "prod.yaml:4: invalid YAML: ",
    "wrong-type-list": "prod.yaml:2: approved: expected a list, got a mapping",
    "unknown-top-key": "prod.yaml:2: approvd: unknown key 'approvd'",
    "unknown-rule-key": "prod.yaml:6: approved[0].rules[0].port: unknown key 'port'",
    "unknown-exception-check": "prod.yaml:3: exceptions[0].check: unknown check 'internet-ingres'",
    "bad-cidr": "prod.yaml:10: approved[0].rules[0].peers[1]: bad CIDR or address '10.0.0.300/24'",
    "port-70000": "prod.yaml:6: approved[0].rules[0].ports: port '70000' is outside 0..65535",
    "missing-expires": "prod.yaml:3: exceptions[0].expires: missing required key 'expires'",
    "bad-date": "prod.yaml:7: exceptions[0].expires: expected a date YYYY-MM-DD, got '2027-13-01'",
    "duplicate-key": "prod.yaml:3: duplicate key 'approved' (first at line 2)",
    "merge-key-port": "prod.yaml:10: approved[1].rules[0].ports: bad port '-1'",
}


def _error(name: str) -> str:
    text = (CASES / f"{name}.yaml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load(text)
    return str(info.value)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_error_is_one_located_line(name: str) -> None:
    msg = _error(name)
    assert "\n" not in msg and re.match(r"^prod\.yaml:\d+: \S", msg), msg
    if name in EXPECTED:
        assert msg.startswith(EXPECTED[name])


def test_errors_match_golden() -> None:
    assert set(EXPECTED) <= set(CASE_NAMES) and len(CASE_NAMES) >= 30
    got = "".join(f"{name}: {_error(name)}\n" for name in CASE_NAMES)
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8")


def test_injected_policy_validator_error_is_located() -> None:
    def validate(p: PolicyConfig) -> None:
        if "tcp-22" in p.checks.get("internet-ingress", {}).get("services", []):
            raise PolicyError(
                "unknown service 'tcp-22'", field="policy.checks.internet-ingress.services"
            )

    text = "version: 1\npolicy:\n  checks:\n    internet-ingress:\n      services: [tcp-22]\n"
    with pytest.raises(PolicyError) as info:
        load(text, validate_policy=validate)
    assert str(info.value) == (
        "prod.yaml:5: policy.checks.internet-ingress.services: unknown service 'tcp-22'"
    )
    assert info.value.field == "policy.checks.internet-ingress.services"
    assert info.value.location == "prod.yaml:5"
    load(
        "version: 1\npolicy: {checks: {internet-ingress: {services: [ssh]}}}\n",
        validate_policy=validate,
    )


def test_load_baseline_reads_file(tmp_path: Path) -> None:
    p = tmp_path / "prod.yaml"
    p.write_text(GOOD, encoding="utf-8")
    assert load_baseline(p, KNOWN).path == str(p)
    p.write_text(GOOD.replace('ports: "443"', "ports: 70000"), encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"^{p}:10: approved\[0\]\.rules\[0\]\.ports: port"):
        load_baseline(p, KNOWN)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.yaml", KNOWN)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_baseline(bad, KNOWN)


def test_full_check_id_with_known_base() -> None:
    text = (
        "version: 1\nexceptions:\n"
        "  - {check: 'allow-all[x]', resource: '*', reason: r, owner: me, expires: 2027-01-01}\n"
    )
    assert load(text).exceptions[0].check == "allow-all[x]"
    with pytest.raises(PolicyError, match="unknown check"):
        load(text, known=["unlogged"])

"""The scenario format: loading, validation errors with file:line, and what `seed` returns."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_support import SCENARIOS, Seeded

from cloudfw.policy.config import PolicyError
from cloudfw.standins.moto import load_scenarios

GOOD = """\
name: tiny
region: us-east-1
vpcs:
  - name: v
    cidr: 10.0.0.0/16
    subnets: [{name: s, cidr: 10.0.1.0/24}]
security_groups:
  - name: g
    vpc: v
    ingress:
      - {protocol: tcp, ports: "22", cidrs: ["0.0.0.0/0"]}
expect:
  - {check: "internet-ingress[ssh]", resource: g}
"""


def _write(tmp_path: Path, text: str, name: str = "a.yaml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_shipped_scenarios_load() -> None:
    scenarios = load_scenarios(SCENARIOS)
    assert [s.name for s in scenarios] == ["prod-web", "dev-sprawl", "eu-shop", "inspection"]
    assert {s.region for s in scenarios} == {"us-east-1", "eu-west-1"}
    exp = [e for s in scenarios for e in s.expectations]
    assert sum(e.present for e in exp) >= 10 and sum(not e.present for e in exp) >= 10
    checks = {e.check for e in exp}
    assert {
        "internet-ingress[ssh]",
        "allow-all",
        "unlogged",
        "default-group-open",
        "wide-public-source",
        "unexpectedly-authorized",
    } <= checks


def test_seed_maps_every_logical_name(seeded: Seeded) -> None:
    ids = seeded.ids
    prefixes = {"vpc-", "subnet-", "sg-", "acl-", "eni-", "pl-"}
    firewalls = {"insp-fw"}  # a Network Firewall's id is its name
    assert all(any(v.startswith(p) for p in prefixes) or v in firewalls for v in ids.values())
    for sc in load_scenarios(SCENARIOS):
        assert all(e.resource in ids for e in sc.expectations)
    assert ids["prod-vpc.default-sg"].startswith("sg-") and ids["eu-partner-pl"].startswith("pl-")
    assert len(set(ids.values())) == len(ids)


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            ('ports: "22"', 'ports: "22-x"'),
            ":11: security_groups[0].ingress[0].ports",
            "bad port range",
        ),
        (
            ("protocol: tcp", "protocol: tcpp"),
            ":11: security_groups[0].ingress[0].protocol",
            "unknown protocol 'tcpp'",
        ),
        (("    vpc: v\n", "    vpc: nope\n"), ":9: security_groups[0].vpc", "unknown name 'nope'"),
        (("resource: g", "resource: ghost"), ":13: expect[0].resource", "unknown resource"),
        (
            ("    cidr: 10.0.0.0/16\n", "    cidr: 10.0.0.0/16\n    flow: vpc\n"),
            ":6: vpcs[0].flow",
            "unknown field 'flow'",
        ),
        (("region: us-east-1\n", ""), ": ", "missing required field 'region'"),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], where: str, message: str
) -> None:
    d = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(PolicyError) as err:
        load_scenarios(d)
    text = str(err.value)
    assert text.startswith(str(d / "a.yaml")) and where in text and message in text
    assert "\n" not in text


def test_logical_names_are_unique_across_files(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD.replace("name: tiny", "name: other"), "b.yaml")
    with pytest.raises(PolicyError, match=r"b\.yaml:4: vpcs\[0\]\.name: logical name 'v' already"):
        load_scenarios(tmp_path)


def test_good_minimal_scenario(tmp_path: Path) -> None:
    (sc,) = load_scenarios(_write(tmp_path, GOOD))
    (e,) = sc.expectations
    assert (e.check, e.resource, e.scenario, e.present) == (
        "internet-ingress[ssh]",
        "g",
        "tiny",
        True,
    )

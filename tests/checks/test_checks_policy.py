"""validate_policy / run_checks reject bad policy with the offending field named; REGISTRY data."""

from __future__ import annotations

from typing import Any

import pytest
from checks_helpers import CATALOG, findings, rule, ruleset, snapshot

from cloudfw.checks import REGISTRY, run_checks, validate_policy
from cloudfw.model import CloudfwError
from cloudfw.policy.config import PolicyConfig, PolicyError


@pytest.mark.parametrize(
    ("checks", "field", "text"),
    [
        ({"internet-egress": {}}, "policy.checks.internet-egress", "unknown check"),
        (
            {"internet-ingress[ssh]": {}},
            "policy.checks.internet-ingress[ssh]",
            "'services' parameter",
        ),
        (
            {"internet-ingress": {"servces": ["ssh"]}},
            "policy.checks.internet-ingress.servces",
            "unknown parameter",
        ),
        (
            {"internet-ingress": {"services": "ssh"}},
            "policy.checks.internet-ingress.services",
            "list of strings",
        ),
        (
            {"internet-ingress": {"services": ["ssh", "sshd"]}},
            "policy.checks.internet-ingress.services",
            "'sshd'",
        ),
        (
            {"internet-ingress": {"threshold": True}},
            "policy.checks.internet-ingress.threshold",
            "a number",
        ),
        (
            {"internet-ingress": {"threshold": "0.5"}},
            "policy.checks.internet-ingress.threshold",
            "a number",
        ),
        (
            {"internet-ingress": {"threshold": 1.5}},
            "policy.checks.internet-ingress.threshold",
            "maximum",
        ),
        (
            {"internet-ingress": {"threshold": 0}},
            "policy.checks.internet-ingress.threshold",
            "minimum",
        ),
        (
            {"wide-public-source": {"max_prefix": 16.5}},
            "policy.checks.wide-public-source.max_prefix",
            "integer",
        ),
        (
            {"wide-public-source": {"max_prefix": 33}},
            "policy.checks.wide-public-source.max_prefix",
            "maximum",
        ),
        (
            {"allow-all": {"directions": ["inbound"]}},
            "policy.checks.allow-all.directions",
            "'inbound'",
        ),
        ({"unlogged": {"enabled": "no"}}, "policy.checks.unlogged.enabled", "true or false"),
        ({"unlogged": {"scope": "vpc"}}, "policy.checks.unlogged.scope", "unknown parameter"),
        ({"unlogged": ["enabled"]}, "policy.checks.unlogged", "mapping of parameters"),
        # checks of other layers (host settings, drift, events) take only the switch
        ({"firewall-disabled": {"enabeld": False}}, "policy.checks.firewall-disabled.enabeld",
         "unknown parameter"),
        ({"firewall-disabled": {"enabled": "no"}}, "policy.checks.firewall-disabled.enabled",
         "true or false"),
        ({"revoked": {"enabeld": False}}, "policy.checks.revoked.enabeld", "unknown parameter"),
        ({"unapproved-principal": "off"}, "policy.checks.unapproved-principal",
         "mapping of parameters"),
    ],
)  # fmt: skip
def test_bad_policy_names_the_field(checks: dict[str, Any], field: str, text: str) -> None:
    policy = PolicyConfig(checks=checks)
    with pytest.raises(PolicyError) as err:
        validate_policy(policy, CATALOG)
    assert err.value.field == field
    assert text in str(err.value)
    assert isinstance(err.value, CloudfwError)
    # run_checks refuses the same policy rather than silently using defaults
    with pytest.raises(PolicyError):
        run_checks(snapshot(), policy, CATALOG)


def test_good_policy_validates() -> None:
    validate_policy(
        PolicyConfig(
            checks={
                "internet-ingress": {"services": ["ssh", "RDP", "cifs"], "threshold": 1},
                "allow-all": {"directions": ["ingress", "egress"]},
                "wide-public-source": {"max_prefix": 12, "max_prefix_v6": 32},
                "unlogged": {"enabled": False},
                "default-group-open": {},
            }
        ),
        CATALOG,
    )


def test_drift_and_other_layers_checks_take_only_their_switch() -> None:
    policy = PolicyConfig(checks={"revoked": {"enabled": False}, "modified": {"enabled": True}})
    validate_policy(policy, CATALOG)
    assert run_checks(snapshot(), policy, CATALOG) == []
    with pytest.raises(PolicyError) as err:  # no layer reads other parameters: not silently kept
        validate_policy(PolicyConfig(checks={"modified": {"anything": 1}}), CATALOG)
    assert err.value.field == "policy.checks.modified.anything"
    host = PolicyConfig(checks={"firewall-disabled": {"enabled": False}})
    validate_policy(host, CATALOG)  # host checks are run_checks' own now
    with pytest.raises(PolicyError):
        validate_policy(PolicyConfig(checks={"firewall-disabled-typo": {}}), CATALOG)


def test_disabled_check_produces_nothing() -> None:
    rs = ruleset(rule("r1", "-1", "*", ["0.0.0.0/0"]))
    assert any(f.check == "allow-all" for f in findings(rs))
    assert not any(
        f.check == "allow-all" for f in findings(rs, checks={"allow-all": {"enabled": False}})
    )
    assert not any(
        f.check.startswith("internet-ingress")
        for f in findings(rs, checks={"internet-ingress": {"enabled": False}})
    )


def test_registry_metadata_is_complete() -> None:
    required = {
        "internet-ingress",
        "allow-all",
        "wide-public-source",
        "default-group-open",
        "unlogged",
    }
    assert required <= set(REGISTRY)
    for cid, meta in REGISTRY.items():
        assert meta.id == cid
        assert meta.title and meta.risk and meta.remediation
        assert "enabled" in meta.params
        for ids in meta.compliance.values():
            assert all(i.startswith("CIS ") for i in ids)
    for cid in ("internet-ingress", "allow-all", "wide-public-source", "default-group-open"):
        assert REGISTRY[cid].techniques == ("T1686.001", "T1562.007")
    assert REGISTRY["internet-ingress"].parametrized

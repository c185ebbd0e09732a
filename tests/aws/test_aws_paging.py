"""Paging and throttling through a real-protocol proxy in front of moto (moto does neither)."""

from __future__ import annotations

import pytest
from aws_proxy import Proxy, ProxyState
from aws_support import REGIONS, Seeded

from cloudfw.model import Snapshot
from cloudfw.model.serde import ruleset_to_dict
from cloudfw.providers.aws import AwsTuning, collect
from cloudfw.providers.base import CollectOptions, NullProgress


def _rulesets(snap: Snapshot) -> list[dict[str, object]]:
    return [ruleset_to_dict(rs) for rs in snap.rulesets]


EU = ("eu-west-1",)


def _collect(
    mp: pytest.MonkeyPatch,
    endpoint: str,
    tuning: AwsTuning | None = None,
    regions: tuple[str, ...] = REGIONS,
) -> Snapshot:
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    return collect(CollectOptions(regions=regions), NullProgress(), tuning=tuning)


def test_every_page_is_read(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    direct = _collect(monkeypatch, aws_env.endpoint)
    with Proxy(ProxyState(upstream=aws_env.upstream, page_size=2)) as proxy:
        paged = _collect(monkeypatch, proxy.endpoint)
    assert paged.complete and _rulesets(paged) == _rulesets(direct)
    served = proxy.state.pages_served
    sg_pages = [c for c in proxy.state.calls if c.action == "DescribeSecurityGroups"]
    # us-east-1 holds 11+ groups -> at least 6 pages of 2; eu-west-1 5+ -> at least 3
    assert len(sg_pages) >= 9 and served["DescribeSecurityGroups"] == len(sg_pages)
    assert served["DescribeSecurityGroupRules"] >= 10 and served["DescribeNetworkAcls"] >= 4
    assert served["GetManagedPrefixListEntries"] >= 1  # 2 entries in one page, still paged


def test_throttling_is_retried(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    direct = _collect(monkeypatch, aws_env.endpoint, regions=EU)
    state = ProxyState(
        upstream=aws_env.upstream,
        throttle={"DescribeSecurityGroupRules": 2, "DescribeNetworkAcls": 1},
    )
    with Proxy(state) as proxy:
        snap = _collect(monkeypatch, proxy.endpoint, AwsTuning(retry_mode="standard"), EU)
    assert snap.complete and _rulesets(snap) == _rulesets(direct)
    assert proxy.state.throttled == {"DescribeSecurityGroupRules": 2, "DescribeNetworkAcls": 1}


def test_adaptive_mode_also_recovers(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    state = ProxyState(upstream=aws_env.upstream, throttle={"DescribeNetworkInterfaces": 1})
    with Proxy(state) as proxy:
        snap = _collect(monkeypatch, proxy.endpoint, regions=EU)  # default: adaptive, 8 attempts
    assert snap.complete and proxy.state.throttled == {"DescribeNetworkInterfaces": 1}


def test_throttled_for_ever_is_incomplete(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    state = ProxyState(upstream=aws_env.upstream, throttle={"DescribeNetworkAcls": -1})
    with Proxy(state) as proxy:
        snap = _collect(monkeypatch, proxy.endpoint, AwsTuning("standard", max_attempts=2))
    assert not snap.complete and snap.rulesets == ()
    for cov in snap.coverage:
        assert cov.reason == "DescribeNetworkAcls: RequestLimitExceeded: Request limit exceeded."
    assert proxy.state.throttled["DescribeNetworkAcls"] == 4  # 2 regions x 2 attempts


def test_flow_log_failure_keeps_rulesets_but_is_incomplete(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded
) -> None:
    state = ProxyState(upstream=aws_env.upstream, throttle={"DescribeFlowLogs": -1})
    with Proxy(state) as proxy:
        snap = _collect(monkeypatch, proxy.endpoint, AwsTuning("standard", max_attempts=1), EU)
    assert snap.rulesets and not snap.complete
    assert {rs.logging.value for rs in snap.rulesets} == {"unknown"}
    for cov in snap.coverage:
        assert "DescribeFlowLogs: RequestLimitExceeded" in cov.reason and cov.resources > 0


def test_enabled_regions_are_discovered(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    # moto lists ap-east-1 as "not-opted-in": it must be skipped
    state = ProxyState(upstream=aws_env.upstream, regions=("eu-west-1", "ap-east-1", "us-east-1"))
    with Proxy(state) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        snap = collect(CollectOptions(), NullProgress())
    assert [c.scope for c in snap.coverage] == [
        "aws:123456789012:eu-west-1",
        "aws:123456789012:us-east-1",
    ]
    assert snap.complete
    ec2_regions = {c.region for c in proxy.state.calls if c.service == "ec2"}
    assert "ap-east-1" not in ec2_regions

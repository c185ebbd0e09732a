"""The sliding window of `firewall-enumeration` (cloudfw.events.recon), by property: the verdict
does not depend on the order records arrive in, and a window holds calls less than `window`
apart (exactly `window` apart is two windows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.events.recon import History, detect, principal_key
from cloudfw.model import EnumerationEvent
from cloudfw.policy.config import EnumerationPolicy

T0 = datetime(2026, 11, 3, tzinfo=UTC)
REGIONS = [f"r-{i}" for i in range(8)]
WHO = ["arn:aws:iam::111122223333:user/a", "arn:aws:sts::111122223333:assumed-role/R/s1",
       "arn:aws:sts::111122223333:assumed-role/R/s2"]  # fmt: skip


def call(seconds: int, region: str, who: str = WHO[0], denied: bool = False,
         agent: str = "aws-cli/2.15.0") -> EnumerationEvent:  # fmt: skip
    return EnumerationEvent(
        "aws", "111122223333", region, T0 + timedelta(seconds=seconds), "DescribeSecurityGroups",
        principal=who, source_ip="203.0.113.9", user_agent=agent, success=not denied,
        error_code="Client.UnauthorizedOperation" if denied else "",
    )  # fmt: skip


calls = st.lists(
    st.builds(call, st.integers(0, 20_000), st.sampled_from(REGIONS), st.sampled_from(WHO),
              st.booleans(), st.sampled_from(["aws-cli/2.15.0", "pacu", "Scout Suite/5.14.0"])),
    max_size=60,
)  # fmt: skip
POLICY = EnumerationPolicy(window=timedelta(minutes=30), regions=3, accounts=3, denied=3)


@settings(max_examples=150, deadline=None)
@given(calls, st.randoms(use_true_random=False))
def test_verdict_is_order_independent(events: list[EnumerationEvent], rnd: object) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    history = History(frozenset({("aws", WHO[0])}), frozenset(), 1)
    assert detect(events, POLICY, history) == detect(shuffled, POLICY, history)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 3600), st.integers(3, 6))
def test_window_edges(width: int, n: int) -> None:
    """n regions spaced so the first and last are exactly `width` apart: one window short of
    the threshold; one second closer: spread."""
    policy = EnumerationPolicy(window=timedelta(seconds=width), regions=n, denied=10**6)
    step = width / (n - 1)
    at = [round(i * step) for i in range(n - 1)] + [width]
    apart = [call(t, REGIONS[i]) for i, t in enumerate(at)]
    assert detect(apart, policy) == []
    closer = [call(min(t, width - 1), REGIONS[i]) for i, t in enumerate(at)]
    found = detect(closer, policy)
    assert [s["signal"] for s in found[0].evidence["signals"]] == ["spread"]  # type: ignore[index, union-attr]


def test_sessions_of_one_role_are_one_principal() -> None:
    assert (
        principal_key(WHO[1])
        == principal_key(WHO[2])
        == ("arn:aws:sts::111122223333:assumed-role/R")
    )
    events = [call(i, REGIONS[i], WHO[1 + i % 2]) for i in range(3)]
    found = detect(events, POLICY)
    assert len(found) == 1 and found[0].evidence["principals"] == sorted(WHO[1:])


def test_denied_burst_and_severity_combinations() -> None:
    burst = [call(i * 10, "r-0", denied=True) for i in range(3)]
    (low,) = detect(burst, POLICY)
    assert low.severity.label == "low"
    spread = [call(100 + i, REGIONS[i]) for i in range(3)]
    (medium,) = detect(burst + spread, POLICY)
    assert medium.severity.label == "medium"
    new = History(frozenset({("aws", "someone-else")}), frozenset(), 2)
    (high,) = detect(burst + spread, POLICY, new)
    assert high.severity.label == "high"
    assert [s["signal"] for s in high.evidence["signals"]] == [  # type: ignore[union-attr]
        "spread", "denied", "new-principal"]  # fmt: skip
    assert detect(spread[:1], POLICY, new)[0].severity.label == "low"  # first-seen alone
    assert detect(spread[:1], POLICY) == []  # no history: first-seen not judged

"""Azure collector: NSGs, Azure Firewalls, Firewall Policies, flow logs and diagnostic settings.

One scope unit per subscription (``azure:<subscription id>``), read concurrently with bounded
workers. A subscription that cannot be read (403, 401, transport errors after retries) or that
holds malformed resources gets an error coverage entry naming the reason; the others are still
collected. Only GET requests are made (see `policies/iam/azure-reader-role.json`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cloudfw import __version__
from cloudfw.model import Coverage, CoverageStatus, RuleSet, Snapshot
from cloudfw.normalize.azure import normalize_subscription
from cloudfw.providers.azure.auth import Endpoint, resolve_credential, resolve_endpoint
from cloudfw.providers.azure.fetch import (
    PLACEHOLDER_SUB,
    FetchFailure,
    call_options,
    describe,
    fetch_subscription,
    list_subscriptions,
    make_client,
)
from cloudfw.providers.azure.groups import subscriptions_under
from cloudfw.providers.base import CollectOptions, Progress

__all__ = ["collect"]

PROVIDER = "azure"
_REASON_ITEMS = 5
_SKIPPED_STATES = frozenset({"disabled", "deleted"})


@dataclass(frozen=True)
class _Unit:
    rulesets: tuple[RuleSet, ...]
    coverage: Coverage
    warnings: tuple[str, ...]


def _reason(errors: list[str]) -> str:
    head = "; ".join(errors[:_REASON_ITEMS])
    more = len(errors) - _REASON_ITEMS
    return f"{head}; and {more} more (see warnings)" if more > 0 else head


def _one(sub: str, credential: object, endpoint: Endpoint, policy: object | None) -> _Unit:
    scope = f"{PROVIDER}:{sub}"
    try:
        client = make_client(credential, sub, endpoint, policy)
        with client:
            fetched = fetch_subscription(client, sub, call_options(endpoint, policy))
    except FetchFailure as exc:
        return _Unit((), Coverage(PROVIDER, scope, CoverageStatus.ERROR, str(exc)), ())
    except Exception as exc:  # SDK/transport boundary: recorded in coverage, never a crash
        reason, _ = describe(exc)
        return _Unit((), Coverage(PROVIDER, scope, CoverageStatus.ERROR, reason), ())
    result = normalize_subscription(fetched.data)
    bad = [f"malformed resource {e}" for e in result.errors]
    errors = fetched.errors + bad
    warnings = tuple(f"{scope}: {e}" for e in errors)
    status = CoverageStatus.ERROR if errors else CoverageStatus.OK
    cov = Coverage(PROVIDER, scope, status, _reason(errors), resources=result.resources)
    return _Unit(result.rulesets, cov, warnings)


def _subscriptions(
    options: CollectOptions, credential: object, endpoint: Endpoint, policy: object | None
) -> tuple[list[str], list[str]]:
    """(subscription ids, warnings). Raises FetchFailure when the list cannot be read."""
    if options.subscriptions:
        return list(dict.fromkeys(options.subscriptions)), []
    client = make_client(credential, PLACEHOLDER_SUB, endpoint, policy)
    with client:
        items = list_subscriptions(client, call_options(endpoint, policy))
    subs: list[str] = []
    warnings: list[str] = []
    for i, item in enumerate(items):
        sid = item.get("subscriptionId") if isinstance(item, dict) else None
        if not isinstance(sid, str) or not sid:
            warnings.append(f"azure:subscriptions: item {i} has no subscriptionId; skipped")
            continue
        state = item.get("state") if isinstance(item, dict) else None
        if isinstance(state, str) and state.lower() in _SKIPPED_STATES:
            warnings.append(f"azure:{sid}: subscription is {state}; skipped")
            continue
        subs.append(sid)
    return subs, warnings


def _under_groups(
    options: CollectOptions, credential: object, endpoint: Endpoint, policy: object | None
) -> tuple[list[str], list[Coverage]]:
    """Every subscription under ``options.management_groups`` (`groups.subscriptions_under`)."""
    client = make_client(credential, PLACEHOLDER_SUB, endpoint, policy)
    with client:
        return subscriptions_under(
            client, options.management_groups, call_options(endpoint, policy)
        )


def collect(
    options: CollectOptions,
    progress: Progress,
    credential: object | None = None,
    authentication_policy: object | None = None,
) -> Snapshot:
    """Collect every subscription in ``options.subscriptions``, or under
    ``options.management_groups``, or all the credential can list.

    Raises `CollectError` only for unusable options (bad or non-https endpoint); every other
    failure is recorded in the snapshot's coverage.
    """
    endpoint = resolve_endpoint(options.azure_endpoint)
    cred = resolve_credential(credential, authentication_policy is not None)
    started = options.clock()
    group_failures: list[Coverage] = []
    warnings: list[str] = []
    try:
        if options.management_groups:  # narrowed by --subscription when both are given
            subs, group_failures = _under_groups(options, cred, endpoint, authentication_policy)
            keep = set(options.subscriptions)
            subs = [s for s in subs if not keep or s in keep]
        else:
            subs, warnings = _subscriptions(options, cred, endpoint, authentication_policy)
    except FetchFailure as exc:
        cov = Coverage(PROVIDER, f"{PROVIDER}:subscriptions", CoverageStatus.ERROR, str(exc))
        return Snapshot((), (cov,), started, __version__)
    if not subs and group_failures:
        return Snapshot((), tuple(group_failures), started, __version__, tuple(warnings))
    if not subs:
        reason = "the credential can list no subscriptions; nothing was audited"
        cov = Coverage(PROVIDER, f"{PROVIDER}:subscriptions", CoverageStatus.ERROR, reason)
        return Snapshot((), (cov,), started, __version__, tuple(warnings))
    progress.start(len(subs), "azure subscriptions")
    units: list[_Unit] = []
    with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(subs)))) as pool:
        futures = [pool.submit(_one, s, cred, endpoint, authentication_policy) for s in subs]
        for sub, fut in zip(subs, futures, strict=True):
            unit = fut.result()
            progress.advance(f"{PROVIDER}:{sub}", unit.coverage.ok)
            units.append(unit)
    progress.done()
    return Snapshot(
        rulesets=tuple(rs for u in units for rs in u.rulesets),
        coverage=tuple(group_failures) + tuple(u.coverage for u in units),
        collected_at=started,
        tool_version=__version__,
        warnings=tuple(warnings) + tuple(w for u in units for w in u.warnings),
    )

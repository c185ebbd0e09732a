"""Azure collector: NSGs, Azure Firewalls, Firewall Policies, flow logs and diagnostic settings.

One scope unit per subscription (``azure:<subscription id>``), run on the executor (threads of
this process by default, tasks of a Dask cluster with ``--dask``). A unit names its subscription
and endpoint only: on a cluster, each task authenticates from its worker's own identity
(``CLOUDFW_AZURE_TOKEN`` or azure-identity's default chain there), never from credentials shipped
in the task. A subscription that cannot be read (403, 401, transport errors after retries) or that
holds malformed resources gets an error coverage entry naming the reason; the others are still
collected. Only GET requests are made (see `policies/iam/azure-reader-role.json`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cloudfw import __version__
from cloudfw.executor import Executor, UnitFailure, Work
from cloudfw.executor.local import LocalExecutor
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


@dataclass(frozen=True)
class SubscriptionUnit:
    """Read one subscription. ``credential`` and ``policy`` are given only to units that run in
    this process (None on a cluster: the worker resolves its own)."""

    subscription: str
    endpoint: Endpoint
    credential: object | None = None
    policy: object | None = None


@functools.cache
def _worker_credential() -> object:
    """A cluster worker's own credential (one per process: the default chain caches tokens)."""
    return resolve_credential(None, False)


def collect_subscription(u: SubscriptionUnit) -> _Unit:
    """The executor's function: one subscription, read and normalized."""
    credential = u.credential if u.credential is not None else _worker_credential()
    return _one(u.subscription, credential, u.endpoint, u.policy)


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


def _fan_out(
    options: CollectOptions,
    progress: Progress,
    subs: list[str],
    cred: object,
    endpoint: Endpoint,
    policy: object | None,
) -> list[_Unit]:
    """Every subscription as an executor unit, in the order given; a unit that failed (a lost
    worker) is that subscription's error coverage entry."""
    ex: Executor = options.executor or LocalExecutor(threads=options.workers)
    here = not ex.remote  # a cluster's workers use their own identity
    units = [SubscriptionUnit(s, endpoint, cred if here else None, policy if here else None)
             for s in subs]  # fmt: skip
    progress.start(len(subs), "azure subscriptions")

    def done(k: int, ok: bool) -> None:
        progress.advance(f"{PROVIDER}:{subs[k]}", ok)

    got = ex.submit(collect_subscription, units, Work.IO, done).results()
    progress.done()
    return [
        _failed_unit(subs[k], r) if isinstance(r, UnitFailure) else r for k, r in enumerate(got)
    ]


def _failed_unit(sub: str, failure: UnitFailure) -> _Unit:
    reason = f"unit failed: {failure.error}"
    return _Unit((), Coverage(PROVIDER, f"{PROVIDER}:{sub}", CoverageStatus.ERROR, reason), ())


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
    units = _fan_out(options, progress, subs, cred, endpoint, authentication_policy)
    return Snapshot(
        rulesets=tuple(rs for u in units for rs in u.rulesets),
        coverage=tuple(group_failures) + tuple(u.coverage for u in units),
        collected_at=started,
        tool_version=__version__,
        warnings=tuple(warnings) + tuple(w for u in units for w in u.warnings),
    )

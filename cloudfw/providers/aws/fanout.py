"""AWS collection as executor units: one per account x region, in many accounts at once.

Used for ``--org`` / ``--role-arn`` scopes, and for the caller's own account when the units run
on a cluster (``--dask``). Phase one lists each account's enabled regions (skipped when
``--region`` names them); phase two reads every account x region. A unit names its account and
role only (`assume.Target`): the process that runs it assumes the role from its own identity.
When there are many more account x regions than slots, a unit reads several regions of one
account, one after the other (`regions_per_unit`): on a cluster the account's regions then
share one AssumeRole and one session, instead of each worker entering every account. Each
account x region that fails is one coverage entry with its error (assume-role refused, a call
failed, a lost worker), so the run is incomplete (exit 3), never clean. Units come back in the
order they were made, so the snapshot is the same however they were scheduled.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError

from cloudfw.executor import Executor, UnitFailure, Work
from cloudfw.executor.local import LocalExecutor
from cloudfw.model import Coverage, CoverageStatus, Snapshot
from cloudfw.providers.aws.assume import SESSIONS, Factory, Target
from cloudfw.providers.aws.collector import (
    ENABLED_OPT_IN,
    HOME_REGION,
    PROVIDER,
    UNKNOWN_ACCOUNT,
    _collect_region,
    _failed,
    _Outcome,
    _snapshot,
)
from cloudfw.providers.aws.fetch import AwsCallError, call, describe_error
from cloudfw.providers.aws.org import caller_account, discover
from cloudfw.providers.aws.scope import AwsScope
from cloudfw.providers.aws.session import ReadOnlyViolation, client_config, read_only_session
from cloudfw.providers.aws.tuning import AwsTuning
from cloudfw.providers.base import CollectError, CollectOptions, Progress

UNITS_PER_SLOT = 4  # units per slot below which each account x region is a unit of its own
MAX_REGIONS_PER_UNIT = 32  # every region of an account (AWS has 30-odd)


@dataclass(frozen=True)
class RegionsUnit:
    """List the enabled regions of ``target``'s account (phase one)."""

    run: str  # this run's id: sessions are cached per run
    target: Target
    region: str  # where to call DescribeRegions
    tuning: AwsTuning
    factory: Factory = None  # the identity to start from (None: the standard chain)


@dataclass(frozen=True)
class RegionUnit:
    """Read some regions of one account, in turn (phase two)."""

    run: str
    target: Target
    regions: tuple[str, ...]
    tuning: AwsTuning
    factory: Factory = None


def account_regions(u: RegionsUnit) -> list[str] | str:
    """The account's enabled regions, or why they cannot be known."""
    config = client_config(u.tuning)
    try:
        with SESSIONS.clients(u.run, u.target, u.factory, u.region, config, "ec2") as (ec2,):
            regions = call(ec2, "describe_regions")["Regions"]
    except AwsCallError as exc:
        return str(exc)
    except (BotoCoreError, ValueError, CollectError) as exc:
        return describe_error(exc)
    return sorted(
        str(r["RegionName"])
        for r in regions
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN
    )


def collect_regions(u: RegionUnit) -> list[_Outcome]:
    """Each region of the unit, in its order."""
    return [collect_region(u, r) for r in u.regions]


def collect_region(u: RegionUnit, region: str) -> _Outcome:
    """Enter the account (assume its role, cached per process) and read ``region``."""
    account = u.target.account
    config = client_config(u.tuning)
    services = ("ec2", "network-firewall")
    try:
        with SESSIONS.clients(u.run, u.target, u.factory, region, config, *services) as both:
            return _collect_region(both, u.tuning, account, region)
    except ReadOnlyViolation:
        raise
    except AwsCallError as exc:
        return _failed(account, region, str(exc))
    except (BotoCoreError, ValueError, CollectError) as exc:
        return _failed(account, region, describe_error(exc))


def run(
    options: CollectOptions, progress: Progress, factory: Factory, tuning: AwsTuning
) -> Snapshot:
    started = options.clock()
    config = client_config(tuning)
    scope = options.aws or AwsScope()
    ex: Executor = options.executor or LocalExecutor(threads=options.workers)
    try:
        home = read_only_session(factory)
        home_region = (options.regions[0] if options.regions else None) or home.region_name
        home_region = home_region or HOME_REGION
        caller = caller_account(home, home_region, config)
        found = discover(home, scope, caller, config) if scope.active else None
    except NoCredentialsError:
        raise CollectError(
            "no AWS credentials found (standard chain: env, profile, SSO, IMDS)"
        ) from None
    except AwsCallError as exc:
        if isinstance(exc.__cause__, NoCredentialsError | NoRegionError):
            raise CollectError(f"AWS: {exc}") from None
        return _snapshot([_failed(UNKNOWN_ACCOUNT, "*", f"account id unknown: {exc}")], started)
    except ValueError as exc:  # a malformed endpoint URL, region or role ARN
        raise CollectError(f"AWS client setup failed: {exc}") from None
    if found is not None and found.error:
        scope_id = f"aws:{caller}:organization"
        cov = Coverage(PROVIDER, scope_id, CoverageStatus.ERROR, found.error)
        return _snapshot([_Outcome(cov)], started)
    targets = found.targets if found is not None else [Target(caller)]
    warnings = found.warnings if found is not None else []
    run_id = uuid.uuid4().hex
    unit_factory = None if ex.remote else factory  # a cluster's workers use their own identity
    outcomes, units = _plan(ex, run_id, targets, options, home_region, tuning, unit_factory)
    progress.start(sum(len(u.regions) for u in units), "aws accounts x regions")

    def done(k: int, _ok: bool) -> None:
        for region in units[k].regions:
            progress.advance(f"aws:{units[k].target.account}:{region}", _ok)

    results = ex.submit(collect_regions, units, Work.IO, done).results()
    progress.done()
    outcomes.extend(o for u, r in zip(units, results, strict=True) for o in _outcomes(u, r))
    snap = _snapshot(outcomes, started)
    return Snapshot(snap.rulesets, snap.coverage, snap.collected_at, snap.tool_version,
                    (*warnings, *snap.warnings))  # fmt: skip


def _plan(
    ex: Executor,
    run_id: str,
    targets: Sequence[Target],
    options: CollectOptions,
    home_region: str,
    tuning: AwsTuning,
    factory: Factory,
) -> tuple[list[_Outcome], list[RegionUnit]]:
    """Phase one: the regions of each account (or ``options.regions``), as region units, and an
    outcome for each account whose regions cannot be listed."""
    failed: list[_Outcome] = []
    wanted = list(dict.fromkeys(options.regions))
    if wanted:
        regions: list[list[str] | str | UnitFailure] = [wanted for _ in targets]
    else:
        asks = [RegionsUnit(run_id, t, home_region, tuning, factory) for t in targets]
        regions = list(ex.submit(account_regions, asks, Work.IO).results())
    readable: list[tuple[Target, list[str]]] = []
    for target, got in zip(targets, regions, strict=True):
        if isinstance(got, UnitFailure):
            _reraise(got)
            failed.append(_failed(target.account, "*", f"region list unknown: {got.error}"))
        elif isinstance(got, str):
            failed.append(_failed(target.account, "*", f"region list unknown: {got}"))
        else:
            readable.append((target, got))
    per = regions_per_unit(sum(len(rs) for _, rs in readable), ex.slots(Work.IO))
    units = [
        RegionUnit(run_id, target, tuple(rs[i : i + per]), tuning, factory)
        for target, rs in readable
        for i in range(0, len(rs), per)
    ]
    return failed, units


def regions_per_unit(scopes: int, slots: int) -> int:
    """Regions of one account read by one unit: one while there are few account x regions per
    slot (they run side by side), up to `MAX_REGIONS_PER_UNIT` when every slot has many."""
    return max(1, min(MAX_REGIONS_PER_UNIT, scopes // (UNITS_PER_SLOT * max(1, slots))))


def _outcomes(unit: RegionUnit, got: list[_Outcome] | UnitFailure) -> list[_Outcome]:
    if isinstance(got, UnitFailure):
        _reraise(got)
        why = f"unit failed: {got.error}"
        return [_failed(unit.target.account, r, why) for r in unit.regions]
    return got


def _reraise(failure: UnitFailure) -> None:
    """A refused mutating call is a bug, never a coverage gap: it stops the run (exit 2)."""
    if failure.kind == ReadOnlyViolation.__name__:
        raise ReadOnlyViolation(failure.error.partition(": ")[2])


__all__ = [
    "RegionUnit",
    "RegionsUnit",
    "account_regions",
    "collect_region",
    "collect_regions",
    "run",
]

"""AWS collection as executor units: one per account x region, in many accounts at once.

Used for ``--org`` / ``--role-arn`` scopes, and for the caller's own account when the units run
on a cluster (``--dask``). Phase one lists each account's enabled regions (skipped when
``--region`` names them); phase two reads every account x region. A unit names its account and
role only (`assume.Target`): the process that runs it assumes the role from its own identity.
Each unit that fails is one coverage entry with its error (assume-role refused, a call failed, a
lost worker), so the run is incomplete (exit 3), never clean. Units come back in the order they
were made, so the snapshot is the same however they were scheduled.
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
    """Read one account x region (phase two)."""

    run: str
    target: Target
    region: str
    tuning: AwsTuning
    factory: Factory = None


def account_regions(u: RegionsUnit) -> list[str] | str:
    """The account's enabled regions, or why they cannot be known."""
    config = client_config(u.tuning)
    try:
        ec2 = SESSIONS.client(u.run, u.target, u.factory, "ec2", u.region, config)
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


def collect_region(u: RegionUnit) -> _Outcome:
    """Enter the account (assume its role, cached per process) and read the region."""
    account, region = u.target.account, u.region
    config = client_config(u.tuning)
    try:
        ec2 = SESSIONS.client(u.run, u.target, u.factory, "ec2", region, config)
        nfw = SESSIONS.client(u.run, u.target, u.factory, "network-firewall", region, config)
    except AwsCallError as exc:
        return _failed(account, region, str(exc))
    except (BotoCoreError, ValueError, CollectError) as exc:
        return _failed(account, region, describe_error(exc))
    return _collect_region((ec2, nfw), u.tuning, account, region)


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
    progress.start(len(units), "aws accounts x regions")

    def done(k: int, _ok: bool) -> None:
        progress.advance(f"aws:{units[k].target.account}:{units[k].region}", _ok)

    results = ex.submit(collect_region, units, Work.IO, done).results()
    progress.done()
    outcomes.extend(_outcome(u, r) for u, r in zip(units, results, strict=True))
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
    units: list[RegionUnit] = []
    for target, got in zip(targets, regions, strict=True):
        if isinstance(got, UnitFailure):
            _reraise(got)
            failed.append(_failed(target.account, "*", f"region list unknown: {got.error}"))
        elif isinstance(got, str):
            failed.append(_failed(target.account, "*", f"region list unknown: {got}"))
        else:
            units.extend(RegionUnit(run_id, target, r, tuning, factory) for r in got)
    return failed, units


def _outcome(unit: RegionUnit, got: _Outcome | UnitFailure) -> _Outcome:
    if isinstance(got, UnitFailure):
        _reraise(got)
        return _failed(unit.target.account, unit.region, f"unit failed: {got.error}")
    return got


def _reraise(failure: UnitFailure) -> None:
    """A refused mutating call is a bug, never a coverage gap: it stops the run (exit 2)."""
    if failure.kind == ReadOnlyViolation.__name__:
        raise ReadOnlyViolation(failure.error.partition(": ")[2])


__all__ = ["RegionUnit", "RegionsUnit", "account_regions", "collect_region", "run"]

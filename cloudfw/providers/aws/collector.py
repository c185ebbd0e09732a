"""Orchestration: account id, region list, one bounded-concurrency read per region, coverage."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import boto3.session
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError

import cloudfw
from cloudfw.model import Coverage, CoverageStatus, RuleSet, Snapshot
from cloudfw.normalize.aws import normalize_region
from cloudfw.providers.aws.fetch import AwsCallError, call, describe_error, read_region
from cloudfw.providers.aws.nfw import read_network_firewall
from cloudfw.providers.aws.session import (
    ReadOnlyViolation,
    client_config,
    make_client,
    read_only_session,
)
from cloudfw.providers.aws.tuning import AwsTuning
from cloudfw.providers.base import CollectError, CollectOptions, Progress

PROVIDER = "aws"
ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})
HOME_REGION = "us-east-1"
UNKNOWN_ACCOUNT = "unknown"
REASON_ERRORS = 3  # problems spelled out in a coverage reason; the rest are in the warnings

Factory = Callable[[], boto3.session.Session] | None


@dataclass
class _Outcome:
    coverage: Coverage
    rulesets: tuple[RuleSet, ...] = ()
    warnings: list[str] = field(default_factory=list)


def scope_of(account: str, region: str) -> str:
    return f"aws:{account}:{region}"


def run(
    options: CollectOptions, progress: Progress, factory: Factory, tuning: AwsTuning
) -> Snapshot:
    started = options.clock()
    config = client_config(tuning)
    try:
        home = read_only_session(factory)
        home_region = (options.regions[0] if options.regions else None) or home.region_name
        home_region = home_region or HOME_REGION
        outcome = _discover(home, home_region, options, config)
    except NoCredentialsError:
        raise CollectError(
            "no AWS credentials found (standard chain: env, profile, SSO, IMDS)"
        ) from None
    except ValueError as exc:  # botocore rejects a malformed endpoint URL or region name
        raise CollectError(f"AWS client setup failed: {exc}") from None
    if isinstance(outcome, list):  # account or region discovery failed
        progress.start(len(outcome), "aws regions")
        for o in outcome:
            progress.advance(o.coverage.scope, False)
        progress.done()
        return _snapshot(outcome, started)
    account, regions = outcome
    progress.start(len(regions), "aws regions")
    workers = max(1, min(options.workers, len(regions)))
    # Clients are made here, in one thread, from the one guarded session (sessions are not
    # thread-safe; clients are, and sharing the session loads the EC2 model only once).
    clients = {r: _client(home, account, r, config) for r in regions}

    def one(region: str) -> _Outcome:
        client = clients[region]
        if isinstance(client, _Outcome):
            result = client
        else:
            result = _collect_region(client, tuning, account, region)
        progress.advance(result.coverage.scope, result.coverage.ok)
        return result

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cloudfw-aws") as pool:
        results = list(pool.map(one, regions))
    progress.done()
    return _snapshot(results, started)


def _discover(
    session: boto3.session.Session, home_region: str, options: CollectOptions, config: Any
) -> tuple[str, list[str]] | list[_Outcome]:
    """(account, regions), or error outcomes when even that much cannot be read."""
    wanted = list(dict.fromkeys(options.regions))
    try:
        sts = make_client(session, "sts", home_region, config)
        account = str(call(sts, "get_caller_identity")["Account"])
    except AwsCallError as exc:
        if isinstance(exc.__cause__, NoCredentialsError | NoRegionError):
            raise exc.__cause__ from None
        reason = f"account id unknown: {exc}"
        return [_failed(UNKNOWN_ACCOUNT, r, reason) for r in wanted or ["*"]]
    if wanted:
        return account, wanted
    try:
        ec2 = make_client(session, "ec2", home_region, config)
        regions = call(ec2, "describe_regions")["Regions"]
    except AwsCallError as exc:
        return [_failed(account, "*", f"region list unknown: {exc}")]
    names = sorted(
        str(r["RegionName"])
        for r in regions
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN
    )
    return account, names


def _failed(account: str, region: str, reason: str) -> _Outcome:
    return _Outcome(Coverage(PROVIDER, scope_of(account, region), CoverageStatus.ERROR, reason))


def _client(session: boto3.session.Session, account: str, region: str, config: Any) -> Any:
    """(EC2, Network Firewall) clients for ``region``, or the failed outcome when they cannot
    even be built."""
    try:
        ec2 = make_client(session, "ec2", region, config)
        return ec2, make_client(session, "network-firewall", region, config)
    except (BotoCoreError, ValueError) as exc:  # e.g. a malformed region name
        return _failed(account, region, describe_error(exc))


def _collect_region(
    clients: tuple[Any, Any], tuning: AwsTuning, account: str, region: str
) -> _Outcome:
    scope = scope_of(account, region)
    ec2, nfw = clients
    try:
        read = read_region(ec2, account, region, tuning.resolve_prefix_lists)
    except ReadOnlyViolation:
        raise
    except AwsCallError as exc:
        return _failed(account, region, str(exc))
    try:
        firewalls, nfw_errors = read_network_firewall(nfw, ec2)
        read.errors.extend(nfw_errors)
        read.raw = replace(read.raw, network_firewall=firewalls)
    except ReadOnlyViolation:
        raise
    except AwsCallError as exc:  # the firewall list itself: no firewall of the region is known
        read.errors.append(str(exc))
    try:
        model = normalize_region(read.raw)
    except Exception as exc:  # a shape normalize did not foresee: this region is incomplete
        return _failed(account, region, f"cannot normalize: {type(exc).__name__}: {exc}")
    warnings = [f"{scope}: {w}" for w in (*read.warnings, *model.warnings)]
    errors = [*read.errors, *model.errors]
    n = len(model.rulesets)
    if errors:
        more = f"; and {len(errors) - REASON_ERRORS} more" if len(errors) > REASON_ERRORS else ""
        reason = f"incomplete ({len(errors)} problem(s)): " + "; ".join(errors[:REASON_ERRORS])
        reason += more
        cov = Coverage(PROVIDER, scope, CoverageStatus.ERROR, reason, n)
        warnings.extend(f"{scope}: {e}" for e in errors)
    else:
        cov = Coverage(PROVIDER, scope, CoverageStatus.OK, "", n)
    return _Outcome(cov, model.rulesets, warnings)


def _snapshot(results: list[_Outcome], started: Any) -> Snapshot:
    return Snapshot(
        rulesets=tuple(rs for o in results for rs in o.rulesets),
        coverage=tuple(o.coverage for o in results),
        collected_at=started,
        tool_version=cloudfw.__version__,
        warnings=tuple(w for o in results for w in o.warnings),
    )

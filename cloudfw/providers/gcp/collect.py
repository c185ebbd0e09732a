"""GCP collection: one scope unit per project, run on the executor (threads of this process by
default, tasks of a Dask cluster with ``--dask``).

A unit names its project and endpoint only: on a cluster each task resolves its worker's own
credentials (``CLOUDFW_GCP_TOKEN`` or Application Default Credentials there), never credentials
shipped in the task. Organization-level reads (folder parents, hierarchical policies) are cached
per process and run, so the projects of one process share them as before.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from cloudfw import __version__
from cloudfw.executor import Executor, UnitFailure, Work
from cloudfw.executor.local import LocalExecutor
from cloudfw.model import Coverage, CoverageStatus, RuleSet, Snapshot
from cloudfw.normalize.gcp import ProjectInput, normalize_project
from cloudfw.providers.base import CollectOptions, Progress
from cloudfw.providers.gcp.auth import RESOURCE_MANAGER, resolve_credentials, resolve_endpoint

if TYPE_CHECKING:
    from cloudfw.providers.gcp.rm import ResourceManager

T = TypeVar("T")


@dataclass
class _Shared:
    """State shared by the workers: settings and caches of organization-level reads."""

    endpoint: str | None
    credentials: object
    retry_initial: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    folder_parents: dict[str, str] = field(default_factory=dict)
    hier: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Result:
    rulesets: tuple[RuleSet, ...]
    coverage: Coverage


@dataclass(frozen=True)
class ProjectUnit:
    """Read one project. ``credentials`` only for units that run in this process (None on a
    cluster: the worker resolves its own)."""

    run: str  # this run's id: the organization-level caches are per process and run
    project: str
    endpoint: str | None
    retry_initial: float
    credentials: object | None = None


_RUNS: dict[str, _Shared] = {}
_RUNS_LOCK = threading.Lock()


def _shared(u: ProjectUnit) -> _Shared:
    with _RUNS_LOCK:
        got = _RUNS.get(u.run)
        if got is None:
            creds = u.credentials
            if creds is None:
                creds = resolve_credentials(None, u.endpoint)
            got = _RUNS[u.run] = _Shared(u.endpoint, creds, u.retry_initial)
        return got


def collect_project(u: ProjectUnit) -> _Result:
    """The executor's function: one project, read and normalized."""
    return _safe_project(u.project, _shared(u))


def collect(
    options: CollectOptions,
    progress: Progress,
    credentials: object | None = None,
    *,
    retry_initial: float = 1.0,
) -> Snapshot:
    """Collect every project in ``options.projects``, or under ``options.gcp_parents``
    (organizations/N, folders/N), or every project the credential lists.

    Raises `CollectError` only when collection cannot start (bad endpoint, no credentials).
    A project that cannot be read, fully or in part, gets an error in its coverage instead.
    """
    from cloudfw.providers.gcp.rm import ResourceManager, RmError

    endpoint = resolve_endpoint(options)
    creds = resolve_credentials(credentials, endpoint)
    projects = list(dict.fromkeys(options.projects))
    unreadable: list[Coverage] = []
    if options.gcp_parents:  # narrowed by --project when both are given
        rm = ResourceManager(endpoint or RESOURCE_MANAGER, creds, retry_initial)
        try:
            projects, unreadable = _under(rm, options.gcp_parents, set(projects))
        finally:
            rm.close()
    elif not projects:
        rm = ResourceManager(endpoint or RESOURCE_MANAGER, creds, retry_initial)
        try:
            projects = rm.list_projects()
        except RmError as exc:
            cov = Coverage("gcp", "gcp:projects", CoverageStatus.ERROR, f"projects.list: {exc}")
            return Snapshot((), (cov,), options.clock(), __version__)
        finally:
            rm.close()
    results = _fan_out(options, progress, projects, endpoint, creds, retry_initial)
    rulesets = tuple(rs for r in results for rs in r.rulesets)
    coverage = (*unreadable, *(r.coverage for r in results))
    return Snapshot(rulesets, coverage, options.clock(), __version__)


def _fan_out(
    options: CollectOptions,
    progress: Progress,
    projects: list[str],
    endpoint: str | None,
    creds: object,
    retry_initial: float,
) -> list[_Result]:
    """Every project as an executor unit, in the order given; a unit that failed (a lost
    worker) is that project's error coverage entry."""
    ex: Executor = options.executor or LocalExecutor(threads=options.workers)
    run = uuid.uuid4().hex
    here = None if ex.remote else creds  # a cluster's workers use their own identity
    units = [ProjectUnit(run, p, endpoint, retry_initial, here) for p in dict.fromkeys(projects)]

    def done(k: int, ok: bool) -> None:
        progress.advance(f"gcp:{units[k].project}", ok)

    progress.start(len(units), "gcp projects")
    try:
        got = ex.submit(collect_project, units, Work.IO, done).results()
    finally:
        with _RUNS_LOCK:
            _RUNS.pop(run, None)  # this process's cache (a cluster's workers keep theirs)
    progress.done()
    return [_failed(u.project, r) if isinstance(r, UnitFailure) else r
            for u, r in zip(units, got, strict=True)]  # fmt: skip


def _failed(project: str, failure: UnitFailure) -> _Result:
    reason = f"unit failed: {failure.error}"
    return _Result((), Coverage("gcp", f"gcp:{project}", CoverageStatus.ERROR, reason))


def _under(
    rm: ResourceManager, parents: tuple[str, ...], keep: set[str]
) -> tuple[list[str], list[Coverage]]:
    """The projects under ``parents`` (only those in ``keep``, when given), and one error
    coverage entry per parent that cannot be walked."""
    from cloudfw.providers.gcp.rm import RmError

    found: dict[str, None] = {}
    failed: list[Coverage] = []
    for parent in dict.fromkeys(parents):
        try:
            found.update(dict.fromkeys(rm.projects_under(parent)))
        except RmError as exc:
            failed.append(Coverage("gcp", f"gcp:{parent}", CoverageStatus.ERROR, str(exc)))
    return [p for p in found if not keep or p in keep], failed


def _safe_project(project: str, shared: _Shared) -> _Result:
    try:
        return _project(project, shared)
    except Exception as exc:  # a bug or an unexpected shape must not sink the other projects
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return _Result((), Coverage("gcp", f"gcp:{project}", CoverageStatus.ERROR, reason))


def _project(project: str, shared: _Shared) -> _Result:
    from cloudfw.providers.gcp.compute import ApiCallError, ComputeReader
    from cloudfw.providers.gcp.rm import ResourceManager, RmError

    scope = f"gcp:{project}"
    errors: list[str] = []

    def call(fn: Callable[..., list[T]], *args: Any) -> list[T] | None:
        try:
            return fn(*args)
        except (ApiCallError, RmError) as exc:
            errors.append(str(exc))
            return None

    compute = ComputeReader(shared.endpoint, shared.credentials, shared.retry_initial)
    try:
        firewalls = compute.list_firewalls(project)
    except ApiCallError as exc:  # 403 / missing project: stop here, nothing else will work
        return _Result((), Coverage("gcp", scope, CoverageStatus.ERROR, str(exc)))
    networks = call(compute.list_networks, project)
    subnets = call(compute.list_subnetworks, project) or []
    net_pols = call(compute.list_network_policies, project) or []
    try:  # optional: without compute.instances.list exposure stays per target profile
        instances: list[dict[str, Any]] = compute.list_instances(project)
    except ApiCallError:
        instances = []
    regions = sorted({str(s.get("region", "")).rsplit("/", 1)[-1] for s in subnets} - {""})
    reg_pols: list[dict[str, Any]] = []
    for region in regions:
        reg_pols.extend(call(compute.list_region_policies, project, region) or [])
    rm = ResourceManager(shared.endpoint or RESOURCE_MANAGER, shared.credentials,
                         shared.retry_initial)  # fmt: skip
    try:
        ancestry = call(rm.ancestry, project, shared.folder_parents) or []
    finally:
        rm.close()
    hier: list[dict[str, Any]] = []
    for node in ancestry:
        with shared.lock:
            cached = shared.hier.get(node)
        if cached is None:
            cached = call(compute.list_hierarchical_policies, node)
            if cached is not None:
                with shared.lock:
                    shared.hier[node] = cached
        hier.extend(cached or [])
    if networks is None:
        return _Result((), Coverage("gcp", scope, CoverageStatus.ERROR, "; ".join(errors)))
    result = normalize_project(
        ProjectInput(
            project=project,
            networks=networks,
            firewalls=firewalls,
            subnetworks=subnets,
            network_policies=net_pols,
            regional_policies=reg_pols,
            ancestry=ancestry,
            hierarchical_policies=hier,
            instances=instances,
        )
    )
    errors.extend(result.errors)
    status = CoverageStatus.ERROR if errors else CoverageStatus.OK
    cov = Coverage("gcp", scope, status, "; ".join(errors), result.resources)
    return _Result(result.rulesets, cov)

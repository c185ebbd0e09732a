"""End to end: the real NetworkManagementClient against the ARM stand-in on 127.0.0.1."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest
from azure_support import BROKEN, DENIED, PROD, StartFn, run_collect

from cloudfw.model import CoverageStatus, Logging, Snapshot
from cloudfw.model.serde import snapshot_from_dict, snapshot_to_dict
from cloudfw.providers.azure import collect
from cloudfw.providers.azure.auth import PUBLIC_ARM, resolve_endpoint
from cloudfw.providers.base import CollectError, CollectOptions
from cloudfw.standins.arm import Faults, StandinError, StaticBearerPolicy

ROLE = Path(__file__).resolve().parents[2] / "policies" / "iam" / "azure-reader-role.json"
NO_FAULTS = Faults()


def coverage(snap: Snapshot) -> dict[str, tuple[CoverageStatus, str]]:
    return {c.scope: (c.status, c.reason) for c in snap.coverage}


def test_all_subscriptions(standin: StartFn) -> None:
    _, url = standin()
    snap = run_collect(url)
    cov = coverage(snap)
    assert list(cov) == [f"azure:{PROD}", f"azure:{DENIED}", f"azure:{BROKEN}"]
    assert cov[f"azure:{PROD}"] == (CoverageStatus.OK, "")
    status, reason = cov[f"azure:{DENIED}"]
    assert status is CoverageStatus.ERROR
    assert reason.startswith("networkSecurityGroups: HTTP 403 AuthorizationFailed: The client does")
    assert not snap.complete
    names = sorted(rs.asset.name for rs in snap.rulesets)
    assert names == [
        "fp-prod", "fw-legacy", "nsg-app", "nsg-jumpbox", "nsg-legacy-shadow", "nsg-mgmt",
        "nsg-ok", "nsg-web",
    ]  # fmt: skip
    assert {rs.asset.account for rs in snap.rulesets if rs.asset.name != "nsg-ok"} == {PROD}


def test_malformed_resources_listed_in_coverage_and_warnings(standin: StartFn) -> None:
    _, url = standin()
    snap = run_collect(url, BROKEN)
    ((_scope, (status, reason)),) = coverage(snap).items()
    assert status is CoverageStatus.ERROR
    assert "nsg-no-properties: properties: missing" in reason
    assert (
        "nsg-bad-types: properties.securityRules[0].properties.priority: expected an integer"
        in reason
    )
    assert "nsg-rules-not-a-list: properties.securityRules: expected a list" in reason
    assert len(snap.warnings) == 3
    assert all(
        w.startswith(f"azure:{BROKEN}: malformed resource /subscriptions/") for w in snap.warnings
    )
    assert [rs.asset.name for rs in snap.rulesets] == ["nsg-ok"]  # the good one is still there
    assert snap.coverage[0].resources == 1


def test_paging_over_three_pages_absolute_and_relative_links(standin: StartFn) -> None:
    srv, url = standin(faults=NO_FAULTS, page_size=2)
    snap = run_collect(url, PROD)
    assert (
        len([rs for rs in snap.rulesets if rs.asset.resource_type == "network-security-group"]) == 5
    )
    nsg_calls = [r for r in srv.requests if r.path.endswith("/networkSecurityGroups")]
    assert len(nsg_calls) == 3
    assert ["$skipToken" in r.query for r in nsg_calls] == [False, True, True]
    assert all("api-version=" in r.query for r in srv.requests)


def test_throttled_then_success(standin: StartFn) -> None:
    faults = Faults(throttle={"/networksecuritygroups": 1}, retry_after=1)
    srv, url = standin(faults=faults)
    t0 = time.monotonic()
    snap = run_collect(url, PROD)
    assert time.monotonic() - t0 >= 1.0  # Retry-After was honoured
    assert coverage(snap)[f"azure:{PROD}"] == (CoverageStatus.OK, "")
    statuses = [r.status for r in srv.requests if r.path.endswith("/networkSecurityGroups")]
    assert statuses[:2] == [429, 200]


def test_server_error_then_success(standin: StartFn) -> None:
    srv, url = standin(faults=Faults(server_errors={"/azurefirewalls": 2}))
    snap = run_collect(url, PROD)
    assert coverage(snap)[f"azure:{PROD}"] == (CoverageStatus.OK, "")
    statuses = [r.status for r in srv.requests if r.path.endswith("/azureFirewalls")]
    assert statuses == [503, 503, 200]
    assert "fp-prod" in {rs.asset.name for rs in snap.rulesets}


def test_missing_permission_for_one_listing_keeps_the_rest(standin: StartFn) -> None:
    """403 on diagnostic settings only: the NSGs are still collected, firewall logging is
    unknown (not "off"), and the subscription is reported incomplete with the reason."""
    _, url = standin(faults=Faults(forbidden_paths=frozenset({"/diagnosticsettings"})))
    snap = run_collect(url, PROD)
    status, reason = coverage(snap)[f"azure:{PROD}"]
    assert status is CoverageStatus.ERROR
    assert "fw-hub/diagnosticSettings: HTTP 403 AuthorizationFailed" in reason
    by_name = {rs.asset.name: rs for rs in snap.rulesets}
    assert "nsg-web" in by_name and by_name["nsg-web"].logging is Logging.ON
    assert by_name["fp-prod"].logging is Logging.UNKNOWN  # rules kept, logging not guessed
    assert by_name["fw-legacy"].logging is Logging.UNKNOWN
    assert "diagnosticSettings: HTTP 403" in " ".join(snap.warnings)


def test_unknown_subscription_is_an_error_not_a_crash(standin: StartFn) -> None:
    _, url = standin()
    snap = run_collect(url, "44444444-4444-4444-8444-444444444444", PROD)
    cov = coverage(snap)
    assert cov["azure:44444444-4444-4444-8444-444444444444"][0] is CoverageStatus.ERROR
    assert "HTTP 404" in cov["azure:44444444-4444-4444-8444-444444444444"][1]
    assert cov[f"azure:{PROD}"][0] is CoverageStatus.OK


def test_only_get_requests(standin: StartFn) -> None:
    srv, url = standin()
    run_collect(url)
    assert srv.requests and {r.method for r in srv.requests} == {"GET"}
    # the stand-in does record (and refuse) anything else, so the assertion above can fail
    req = urllib.request.Request(f"{url}/subscriptions?api-version=1", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(req, timeout=5)
    assert ei.value.code == 405 and srv.requests[-1].method == "DELETE"


def _action(path: str) -> str:
    parts = path.strip("/").split("/")
    if parts == ["subscriptions"]:
        return "Microsoft.Resources/subscriptions/read"
    i = max(i for i, p in enumerate(parts) if p.lower() == "providers")
    ns, rest = parts[i + 1], parts[i + 2 :]
    return f"{ns}/{'/'.join(rest[0::2])}/read".lower()


def test_reader_role_covers_every_request_and_nothing_more(standin: StartFn) -> None:
    srv, url = standin()
    run_collect(url)
    role = json.loads(ROLE.read_text(encoding="utf-8"))
    actions = {a.lower() for a in role["Actions"]}
    used = {_action(r.path).lower() for r in srv.requests if r.status != 403}
    assert used == actions
    assert all(a.endswith("/read") for a in actions)
    assert role["DataActions"] == [] and role["NotActions"] == []


def test_enforce_https_per_call_with_env_token(
    standin: StartFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No injected policy: the stock ARM policy with per-call enforce_https=False (loopback)."""
    monkeypatch.setenv("CLOUDFW_AZURE_TOKEN", "env-token-value")
    monkeypatch.setenv("CLOUDFW_AZURE_ENDPOINT", "http://localhost:1")  # the option wins
    _, url = standin()
    opts = CollectOptions(azure_endpoint=url, subscriptions=(PROD,))
    snap = collect(opts, _Recorder())
    assert coverage(snap)[f"azure:{PROD}"] == (CoverageStatus.OK, "")
    assert "env-token-value" not in json.dumps(snapshot_to_dict(snap))


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, total: int, label: str) -> None:
        self.events.append(("start", total))

    def advance(self, unit: str, ok: bool) -> None:
        self.events.append((unit, ok))

    def done(self) -> None:
        self.events.append(("done", None))


def test_progress_and_concurrency(standin: StartFn) -> None:
    _, url = standin()
    rec = _Recorder()
    opts = CollectOptions(azure_endpoint=url, workers=3)
    collect(opts, rec, authentication_policy=StaticBearerPolicy())
    # one advance per subscription as its unit ends (in any order; ``ok``: the unit ran, its
    # coverage may still hold an error), between start and done
    assert rec.events[0] == ("start", 3) and rec.events[-1] == ("done", None)
    assert sorted(rec.events[1:-1]) == sorted(
        [(f"azure:{PROD}", True), (f"azure:{DENIED}", True), (f"azure:{BROKEN}", True)]
    )


def test_snapshot_round_trips_through_serde(standin: StartFn) -> None:
    _, url = standin()
    snap = run_collect(url, PROD)
    back = snapshot_from_dict(json.loads(json.dumps(snapshot_to_dict(snap))))
    assert back.rulesets == snap.rulesets


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://management.azure.com",
        "http://10.0.0.1:8080",
        "ftp://127.0.0.1",
        "https://",
        "nonsense",
    ],
)
def test_endpoint_must_be_https_unless_loopback(endpoint: str) -> None:
    with pytest.raises(CollectError, match="Azure endpoint"):
        collect(CollectOptions(azure_endpoint=endpoint), _Recorder())


def test_endpoint_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFW_AZURE_ENDPOINT", raising=False)
    assert resolve_endpoint(None).url == PUBLIC_ARM
    monkeypatch.setenv("CLOUDFW_AZURE_ENDPOINT", "https://management.chinacloudapi.cn/")
    ep = resolve_endpoint(None)
    assert ep.url == "https://management.chinacloudapi.cn" and not ep.insecure_loopback
    assert ep.scope == "https://management.chinacloudapi.cn/.default"
    for loop in ("http://127.0.0.5:9", "http://[::1]:9", "http://localhost:9"):
        assert resolve_endpoint(loop).insecure_loopback


def test_static_bearer_policy_refuses_non_loopback() -> None:
    policy = StaticBearerPolicy()
    req = PipelineRequest(
        HttpRequest("GET", "https://management.azure.com/x"), PipelineContext(None)
    )
    with pytest.raises(StandinError, match="non-loopback"):
        policy.send(req)


MG_ROLE = ROLE.with_name("azure-management-group-reader.json")


def test_management_group_reads_every_subscription_in_its_subtree(standin: StartFn) -> None:
    """``contoso-prod`` holds PROD directly and BROKEN through its child group (descendants
    are returned flattened); DENIED is elsewhere in the tenant and is not read."""
    srv, url = standin()
    snap = run_collect(url, management_groups=("contoso-prod",))
    assert list(coverage(snap)) == [f"azure:{PROD}", f"azure:{BROKEN}"]
    used = {_action(r.path) for r in srv.requests if r.status != 403}
    granted = {a.lower() for f in (ROLE, MG_ROLE)
               for a in json.loads(f.read_text(encoding="utf-8"))["Actions"]}  # fmt: skip
    assert "microsoft.management/managementgroups/descendants/read" in used
    assert used <= granted
    narrowed = run_collect(url, BROKEN, management_groups=("contoso-prod",))
    assert list(coverage(narrowed)) == [f"azure:{BROKEN}"], "--subscription narrows the group"


def test_an_unreadable_management_group_is_a_coverage_entry(standin: StartFn) -> None:
    _, url = standin()
    snap = run_collect(url, management_groups=("contoso-prod", "no-such-group"))
    cov = coverage(snap)
    status, reason = cov["azure:managementGroups/no-such-group"]
    assert status is CoverageStatus.ERROR and "management group no-such-group: HTTP 404" in reason
    assert cov[f"azure:{PROD}"][0] is CoverageStatus.OK and not snap.complete
    only_bad = run_collect(url, management_groups=("no-such-group",))
    assert [c.scope for c in only_bad.coverage] == ["azure:managementGroups/no-such-group"]


def test_cli_management_group_option(
    standin: StartFn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cloudfw.cli.app import _register_all, app

    _register_all()
    _, url = standin()
    monkeypatch.setenv("CLOUDFW_AZURE_TOKEN", "env-token-value")
    out = tmp_path / "a.json"
    res = CliRunner().invoke(app, ["collect", "azure", "--management-group", "contoso-prod",
                                   "--azure-endpoint", url, "--out", str(out)])  # fmt: skip
    assert res.exit_code == 3, res.stderr  # contoso-broken holds malformed resources
    scopes = [c["scope"] for c in json.loads(out.read_text())["coverage"]]
    assert scopes == [f"azure:{PROD}", f"azure:{BROKEN}"]

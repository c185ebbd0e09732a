"""The stand-in speaks Compute's REST protocol: the real clients, unmodified, read it."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

from cloudfw.standins.gce import GceStandin


def _kw(srv: GceStandin) -> dict[str, Any]:
    return {
        "client_options": ClientOptions(api_endpoint=srv.base_url),
        "credentials": AnonymousCredentials(),  # type: ignore[no-untyped-call]
        "transport": "rest",
    }


def test_real_clients_read_every_collection(standin: GceStandin) -> None:
    kw = _kw(standin)
    fws = compute_v1.FirewallsClient(**kw).list(project="demo-proj")
    names = [f.name for f in fws]
    assert len(names) == 13 and "deny-ssh-v6" in names
    pages = (
        compute_v1.FirewallsClient(**kw)
        .list(request=compute_v1.ListFirewallsRequest(project="demo-proj", max_results=5))
        .pages
    )
    assert [len(p.items) for p in pages] == [5, 5, 3]
    nets = compute_v1.NetworksClient(**kw).list(project="demo-proj")
    assert [n.name for n in nets] == ["default", "prod-vpc"]
    agg = compute_v1.SubnetworksClient(**kw).aggregated_list(project="demo-proj")
    subnets = sorted((region, s.name) for region, scoped in agg for s in scoped.subnetworks)
    assert subnets == [
        ("regions/europe-west1", "default"), ("regions/europe-west1", "prod-ew1"),
        ("regions/us-central1", "default"), ("regions/us-central1", "prod-uc1"),
    ]  # fmt: skip
    npol = list(compute_v1.NetworkFirewallPoliciesClient(**kw).list(
        project="demo-proj"
    ))  # fmt: skip
    assert [p.name for p in npol] == ["prod-policy"]
    assert npol[0].rules[0].match.layer4_configs[0].ports == ["9200", "9300"]
    rpol = compute_v1.RegionNetworkFirewallPoliciesClient(**kw).list(
        project="demo-proj", region="us-central1"
    )
    assert [p.name for p in rpol] == ["prod-uc1-policy"]
    none = compute_v1.RegionNetworkFirewallPoliciesClient(**kw).list(
        project="demo-proj", region="europe-west1"
    )
    assert list(none) == []
    hier = compute_v1.FirewallPoliciesClient(**kw).list(
        request=compute_v1.ListFirewallPoliciesRequest(parent_id="folders/300000000001")
    )
    assert [(p.short_name, [r.action for r in p.rules][:2]) for p in hier] == [
        ("prod-folder", ["goto_next", "deny"])
    ]


def test_forbidden_project_raises_forbidden(standin: GceStandin) -> None:
    client = compute_v1.FirewallsClient(**_kw(standin))
    with pytest.raises(gexc.Forbidden, match=r"compute\.firewalls\.list"):
        list(client.list(project="locked-proj"))


def test_mutations_are_refused_and_logged(standin: GceStandin) -> None:
    req = urllib.request.Request(
        f"{standin.base_url}/compute/v1/projects/demo-proj/global/firewalls",
        data=b"{}", method="POST",
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 405
    assert [r.method for r in standin.requests] == ["POST"]

"""GCP effective exposure through the Compute stand-in: hierarchical policy -> VPC rules, VMs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from exposure_support import Collected

from cloudfw.exposure import AssetExposure, build_paths, effective_exposure


@pytest.fixture(scope="module")
def vms(gcp_collected: Collected) -> dict[str, AssetExposure]:
    assert gcp_collected.snapshot.complete
    out = effective_exposure(build_paths(gcp_collected.snapshot.rulesets))
    return {r.path.instance_id: r for r in out}


def _ports(r: AssetExposure) -> dict[str, str]:
    return {str(e.ports): e.path[-1].rule for e in r.reachable}


def test_instances_are_joined_to_their_network(vms: dict[str, AssetExposure]) -> None:
    assert set(vms) == {"vm-web", "vm-win", "vm-win-internal"}
    web = vms["vm-web"]
    assert web.path.asset.resource_id == "europe-west1-b/vm-web/nic0"
    assert web.path.public_ips == ("34.1.2.3",) and web.path.public is True
    (layer,) = web.path.layers
    assert layer.name == "network:vpc-network" and layer.ids == ("exp-net",)
    assert layer.targets == frozenset({"sa:web@exp-proj.iam.gserviceaccount.com"})


def test_hierarchical_allow_over_vpc_deny(vms: dict[str, AssetExposure]) -> None:
    # deny-8443 (VPC, priority 100) never gets to decide: the org policy allows first.
    assert _ports(vms["vm-web"]) == {"8443": "exp-org:900"}


def test_goto_next_hands_over_to_vpc_rules(vms: dict[str, AssetExposure]) -> None:
    # goto_next passes 22 and 3389 to the VPC: deny-ssh (100) beats allow-ssh (1000), and
    # allow-rdp-win opens 3389 only for instances tagged "windows".
    assert _ports(vms["vm-win"]) == {"3389": "allow-rdp-win", "8443": "exp-org:900"}
    assert vms["vm-win"].path.layers[0].targets == frozenset({"tag:windows"})


def test_no_external_ip_is_not_reachable(vms: dict[str, AssetExposure]) -> None:
    r = vms["vm-win-internal"]
    assert r.path.public is False and r.reachable == ()
    assert {str(e.ports) for e in r.exposures} == {"3389", "8443"}


def test_without_instances_one_path_per_target_profile(gcp_collected: Collected) -> None:
    bare = [
        replace(
            rs,
            attachments=tuple(a for a in rs.attachments if a.resource_type != "network-interface"),
        )
        for rs in gcp_collected.snapshot.rulesets
    ]
    out = {r.path.asset.resource_id: r for r in effective_exposure(build_paths(bare))}
    assert set(out) == {"exp-net[all-instances]", "exp-net[tag:windows]"}
    assert all(r.path.public is None and r.reachable for r in out.values())
    assert _ports(out["exp-net[all-instances]"]) == {"8443": "exp-org:900"}


def test_malformed_instance_is_a_located_error() -> None:
    from cloudfw.normalize.gcp import ProjectInput, normalize_project

    net = "https://www.googleapis.com/compute/v1/projects/p/global/networks/n"
    good = {
        "name": "ok",
        "zone": "zones/us-east1-b",
        "networkInterfaces": [{"network": net, "networkIP": "10.0.0.2"}],
    }
    res = normalize_project(
        ProjectInput(
            "p", networks=[{"name": "n", "selfLink": net}], instances=[{"name": "bad"}, good]
        )
    )
    assert res.errors == ("instance 'bad': field 'zone' is missing or not a string",)
    (rs,) = res.rulesets
    assert [a.instance_id for a in rs.attachments] == ["ok"]

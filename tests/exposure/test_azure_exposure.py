"""Azure effective exposure through the ARM stand-in: subnet NSG ∧ NIC NSG, firewall DNAT."""

from __future__ import annotations

import pytest
from exposure_support import Collected

from cloudfw.exposure import AssetExposure, build_paths, effective_exposure


def _short(rid: str) -> str:
    return rid.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def results(azure_collected: Collected) -> dict[tuple[str, str], AssetExposure]:
    assert azure_collected.snapshot.complete
    out = effective_exposure(build_paths(azure_collected.snapshot.rulesets))
    return {(_short(r.path.asset.resource_id), r.path.entry): r for r in out}


def test_subnet_nsg_deny_over_nic_nsg_allow(
    results: dict[tuple[str, str], AssetExposure],
) -> None:
    r = results[("nic-locked", "direct")]
    assert r.path.public_ips == ("20.70.0.4",)
    assert [x.name for x in r.path.layers] == [
        "subnet:network-security-group",
        "interface:network-security-group",
    ]
    (https,) = r.reachable
    assert str(https.ports) == "443"
    assert [(_short(h.ruleset), h.rule) for h in https.path] == [
        ("nsg-subnet-locked", "allow-https-subnet"),
        ("nsg-nic-open", "allow-https-nic"),
    ]
    (ssh,) = r.blocked
    assert str(ssh.ports) == "22"
    assert (_short(ssh.opened_by.ruleset), ssh.opened_by.rule) == ("nsg-nic-open", "allow-ssh-nic")
    assert (_short(ssh.blocked_by.ruleset), ssh.blocked_by.rule) == (
        "nsg-subnet-locked",
        "deny-ssh-subnet",
    )


def test_dnat_exposes_a_private_nic(results: dict[tuple[str, str], AssetExposure]) -> None:
    direct = results[("nic-private", "direct")]
    assert direct.path.public is False and direct.reachable == ()
    r = results[("nic-private", "dnat")]
    assert r.path.public_ips == ("20.70.0.100",) and r.path.private_ips == ("10.4.2.5",)
    assert r.path.layers[0].name == "gateway:azure-firewall-policy"
    (ssh,) = r.reachable
    assert str(ssh.ports) == "22" and ssh.internet
    # The NIC NSG sees the firewall's SNAT address (10.4.0.4), which its rule allows.
    assert [(_short(h.ruleset), h.rule) for h in ssh.path] == [
        ("fp-lab", "dnat/inbound/ssh-to-private"),
        ("nsg-private", "allow-ssh-from-firewall"),
    ]


def test_only_known_nics_get_paths(results: dict[tuple[str, str], AssetExposure]) -> None:
    assert set(results) == {
        ("nic-locked", "direct"),
        ("nic-private", "direct"),
        ("nic-private", "dnat"),
    }

"""The host audit core: worker processes give the same report, inputs expand as documented."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cloudfw.executor import open_executor
from cloudfw.hosts.audit import HostAuditRequest, audit_hosts, expand
from cloudfw.hosts.bundle import loose_host
from cloudfw.hosts.fleet import audit_fleet
from cloudfw.policy.catalog import load_catalog
from cloudfw.policy.config import PolicyConfig

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_workers_give_the_same_report() -> None:
    paths = (FIX / "loose", FIX / "win-srv-01", FIX / "mac-laptop-01")
    cat = load_catalog(None)
    req = HostAuditRequest(paths, PolicyConfig(), cat, NOW)
    one = audit_hosts(req)
    ex = open_executor(None, processes=2)
    fleet = audit_fleet(req, ex)
    two = fleet.full()
    fleet.close()
    assert one.findings == two.findings and one.coverage == two.coverage
    assert one.snapshot_digest == two.snapshot_digest
    assert one.extra["hosts"] == 14 and one.complete  # 9 loose files, 3 osquery hosts, 2 bundles


def test_expand_opens_plain_directories_only() -> None:
    leaves = expand([FIX])
    assert FIX / "win-srv-01" in leaves  # a bundle stays one unit
    assert FIX / "loose" / "bsd-gw-01.pf.conf" in leaves
    assert not any(p.name == "manifest.json" for p in leaves)
    assert loose_host(FIX / "loose" / "bsd-gw-01.pf.conf") == "bsd-gw-01"

"""A firewall read from its configuration alone (pf.conf without `pfctl -s info`): what it
would do while enabled is reported and said to depend on the state; on macOS, which leaves pf off
unless asked (Apple's stock anchors tell), it is also graded one step lower."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cloudfw.hosts.audit import HostAuditRequest, audit_hosts
from cloudfw.model import Severity
from cloudfw.policy.catalog import load_catalog
from cloudfw.policy.config import PolicyConfig

PF = 'anchor "com.apple/*"\nload anchor "com.apple" from "/etc/pf.anchors/com.apple"\npass in all\n'


def _findings(*files: Path) -> dict[str, tuple[Severity, str]]:
    req = HostAuditRequest(files, PolicyConfig(), load_catalog(), datetime(2026, 12, 3, tzinfo=UTC))
    return {f.check: (f.severity, f.message) for f in audit_hosts(req).findings}


def test_pf_conf_without_its_state_is_graded_lower(tmp_path: Path) -> None:
    conf = tmp_path / "gw.pf.conf"
    conf.write_text(PF)
    alone = _findings(conf)
    sev, msg = alone["allow-all"]
    assert sev == Severity.HIGH and "its state is not in the snapshot" in msg
    assert alone["firewall-disabled"][0] == Severity.MEDIUM
    bundle = tmp_path / "gw"
    bundle.mkdir()
    (bundle / "pf.conf").write_text(PF)
    (bundle / "pfctl-info.txt").write_text("Status: Enabled for 0 days 01:00:00   Debug: Urgent\n")
    (bundle / "manifest.json").write_text('{"schema": "cloudfw.host-bundle/1", "host": "gw"}')
    known = _findings(bundle)
    assert known["allow-all"][0] == Severity.CRITICAL
    assert "not in the snapshot" not in known["allow-all"][1]
    assert known["firewall-disabled"][0] == Severity.HIGH
    bsd = tmp_path / "bsd.pf.conf"
    bsd.write_text("pass in all\n")
    sev, msg = _findings(bsd)["allow-all"]
    assert sev == Severity.CRITICAL and "holds while the firewall is on" in msg

"""Approved administration from the baseline YAML."""

from __future__ import annotations

import pytest

from cloudfw.telemetry.detect import Detector
from cloudfw.telemetry.events import ProcessEvent, TelemetryError, file_ref
from cloudfw.telemetry.suppress import parse_policy

BASELINE = """\
version: 1
policy: {fail_on: high}
telemetry:
  window: 45
  capture_allowlist: [netprobe]
  approved_admin:
    - id: ansible
      parents: [ansible-playbook]
      hosts: ["web-*"]
      categories: [modify]
      reason: Ansible manages host firewalls (SEC-42)
    - id: sccm
      users: ["CORP\\\\svc_sccm"]
"""


def _ev(cmdline: str, platform: str = "linux", **kw: object) -> ProcessEvent:
    return ProcessEvent(file_ref("t.jsonl", 1), platform, cmdline=cmdline, **kw)  # type: ignore[arg-type]


def test_parse_policy() -> None:
    pol = parse_policy(BASELINE, "prod.yaml")
    assert pol.window == 45.0 and pol.capture_allowlist == ("netprobe",)
    assert [a.id for a in pol.approvals] == ["ansible", "sccm"]
    assert pol.approvals[0].hosts == ("web-*",)


def test_suppression_matches_every_named_field() -> None:
    det = Detector(parse_policy(BASELINE))
    [ok] = det.feed(_ev("iptables -A INPUT -p tcp --dport 443 -j ACCEPT", host="web-1",
                        parent_exe="/usr/bin/ansible-playbook"))  # fmt: skip
    assert ok.suppressed_by == "ansible"
    [other_host] = det.feed(_ev("iptables -A INPUT -j DROP", host="db-1",
                                parent_exe="/usr/bin/ansible-playbook"))  # fmt: skip
    assert other_host.suppressed_by == ""
    [disable] = det.feed(_ev("iptables -F", host="web-1", parent_exe="/usr/bin/ansible-playbook"))
    assert disable.suppressed_by == ""  # categories: [modify] only
    [win] = det.feed(_ev("netsh advfirewall firewall add rule name=x dir=in action=allow "
                         "program=C:\\a.exe", "windows", user="corp\\SVC_SCCM"))  # fmt: skip
    assert win.suppressed_by == "sccm"  # globs are case-insensitive
    assert det.stats.suppressed == 2


def test_parent_from_lineage() -> None:
    det = Detector(parse_policy(BASELINE))
    det.feed(ProcessEvent(file_ref("t", 1), "linux", host="web-2", pid=10,
                          exe="/usr/local/bin/ansible-playbook",
                          argv=("ansible-playbook", "site.yml")))  # fmt: skip
    [d] = det.feed(_ev("ufw allow 443", host="web-2", pid=11, ppid=10))
    assert d.parent == "/usr/local/bin/ansible-playbook" and d.suppressed_by == "ansible"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("telemetry: [1, 2]\n", "prod.yaml:1: telemetry: expected a mapping"),
        (
            "telemetry:\n  approved_admin:\n    - id: x\n",
            "prod.yaml:3: approved_admin[0]: name at least",
        ),
        (
            "telemetry:\n  approved_admin:\n    - users: [a]\n      colour: red\n",
            "prod.yaml:4: approved_admin[0].colour: unknown field",
        ),
        (
            "telemetry:\n  approved_admin:\n    - users: [a]\n      categories: [nuke]\n",
            "prod.yaml:4: approved_admin[0].categories: unknown category 'nuke'",
        ),
        ("telemetry:\n  window: soon\n", "prod.yaml:2: telemetry.window: expected seconds"),
        ("telemetry: {\n", "prod.yaml:2: invalid YAML"),
        (
            "approved_admin:\n  - users: {a: 1}\n",
            "prod.yaml:2: approved_admin[0].users: expected a string",
        ),
    ],
)
def test_errors_name_file_line_field(text: str, needle: str) -> None:
    with pytest.raises(TelemetryError) as err:
        parse_policy(text, "prod.yaml")
    assert needle in str(err.value)


def test_empty_and_top_level_section() -> None:
    assert parse_policy("", "x").approvals == ()
    pol = parse_policy("approved_admin:\n  - hosts: [lab-*]\n", "x")
    assert pol.approvals[0].id == "approved_admin[0]"

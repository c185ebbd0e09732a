"""Golden tests: every fixture in real syntax -> normalized rule sets (and host facts) as JSON.

Regenerate after an intended change with ``CLOUDFW_UPDATE_GOLDEN=1 pytest tests/hosts``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudfw.hosts.audit import load_snapshot
from cloudfw.hosts.parsers import parse_file
from cloudfw.model.serde import coverage_to_dict, ruleset_to_dict, source_to_dict

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "hosts"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1"

# (fixture path relative to fixtures/hosts, expected format)
FILES = [
    ("linux-web-01/iptables-save.txt", "iptables"),
    ("linux-web-01/ip6tables-save.txt", "ip6tables"),
    ("linux-web-01/ufw-status.txt", "ufw"),
    ("mac-laptop-01/socketfilterfw.txt", "socketfilterfw"),
    ("mac-laptop-01/socketfilterfw-apps.txt", "socketfilterfw"),
    ("mac-laptop-01/com.apple.alf.plist", "alf-plist"),
    ("mac-laptop-01/pfctl-info.txt", "pf-info"),
    ("mac-laptop-01/pfctl-rules.txt", "pf"),
    ("win-srv-01/windows-firewall-profiles.json", "windows"),
    ("win-srv-01/windows-firewall-rules.json", "windows"),
    ("win-srv-01/netsh-allprofiles.txt", "netsh"),
    ("loose/fleet.osquery.log", "osquery"),
    ("loose/rhel-app-02.firewalld.txt", "firewalld"),
    ("loose/k8s-edge-01.nft.json", "nftables"),
    ("loose/bsd-gw-01.pf.conf", "pf"),
    ("loose/mac-sp-15.system_profiler.json", "system-profiler"),
    ("loose/mac-sp-14.system_profiler.txt", "system-profiler"),
    ("loose/mac-old-02.socketfilterfw.txt", "socketfilterfw"),
    ("loose/mac-kolide-03.socketfilterfw.txt", "socketfilterfw"),
    ("loose/ubuntu-dev-04.ufw.txt", "ufw"),
    ("loose/mac-bin-05.com.apple.alf.plist", "alf-plist"),
    ("large/k8s-node-01.iptables-save.txt", "iptables"),
]
BUNDLES = ["linux-web-01", "mac-laptop-01", "win-srv-01"]


def _compare(name: str, doc: Any) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with CLOUDFW_UPDATE_GOLDEN=1"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), name


@pytest.mark.parametrize(("rel", "fmt"), FILES, ids=[f[0] for f in FILES])
def test_parse_golden(rel: str, fmt: str) -> None:
    data = (FIX / rel).read_bytes()
    location = f"fixtures/hosts/{rel}"
    parts = parse_file(data, location, "golden-host")
    # detection picks the expected format, and forcing it gives the same result
    assert parse_file(data, location, "golden-host", fmt) == parts
    doc = [
        {
            "host": p.host,
            "rulesets": [ruleset_to_dict(rs) for rs in p.rulesets],
            "facts": dict(sorted(p.facts.items())),
            "apps": [
                {"app": a.app, "allowed": a.allowed, **source_to_dict(a.source)} for a in p.apps
            ],
            "windows_rules": [
                {"profiles": w.profiles, "rule": ruleset_rule(w.rule)} for w in p.win_rules
            ],
        }
        for p in parts
    ]
    _compare(rel.replace("/", "__"), doc)


def ruleset_rule(rule: Any) -> dict[str, Any]:
    from cloudfw.model.serde import rule_to_dict

    return rule_to_dict(rule)


@pytest.mark.parametrize("bundle", BUNDLES)
def test_bundle_golden(bundle: str) -> None:
    snap = load_snapshot([FIX / bundle], datetime(2026, 11, 20, tzinfo=UTC))
    doc = {
        "rulesets": [ruleset_to_dict(rs) for rs in snap.rulesets],
        "coverage": [
            {**coverage_to_dict(c), "scope": c.scope.replace(str(FIX), "FIX")}
            for c in snap.coverage
        ],
        "warnings": list(snap.warnings),
    }
    text = json.dumps(doc).replace(str(FIX), "FIX")
    _compare(f"bundle__{bundle}", json.loads(text))

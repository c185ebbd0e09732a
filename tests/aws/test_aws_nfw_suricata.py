"""Golden file: Suricata rule strings in AWS's documented forms -> model rules
(``CLOUDFW_UPDATE_GOLDEN=1`` to accept a change)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cloudfw.model import AddressSet
from cloudfw.normalize.aws_nfw_rules import GroupCtx
from cloudfw.normalize.aws_nfw_suricata import stateful_rules

HERE = Path(__file__).parent
CASES = HERE / "nfw_suricata_cases.rules"
GOLDEN = HERE / "golden" / "nfw_suricata.json"


def _run() -> dict[str, object]:
    lines = [
        (f"line {n}", text.strip())
        for n, text in enumerate(CASES.read_text().splitlines(), 1)
        if text.strip() and not text.startswith("#")
    ]
    g = GroupCtx(
        "docs",
        "arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/docs",
        {"HOME_NET": ["10.40.0.0/16"]},
        {"WEB_PORTS": ["80", "443"]},
        {"PARTNERS": AddressSet.symbol("prefix-list", "pl-0partners")},
    )
    rules = stateful_rules(g, lines, lambda action, i: i)
    out: dict[str, object] = {"rules": [], "warnings": g.warnings, "errors": g.errors}
    for r in rules:
        assert isinstance(out["rules"], list)
        out["rules"].append(
            {
                "key": r.key,
                "direction": str(r.direction),
                "action": str(r.action),
                "enabled": r.enabled,
                "traffic": f"{r.protocol_label}/{r.ports_label}",
                "peers": list(r.peers.to_tokens()),
                "local": list(r.local.to_tokens()),
                "description": r.description,
                "unresolved": r.unresolved,
            }
        )
    return out


def test_suricata_rules_golden() -> None:
    got = _run()
    if os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=1) + "\n")
    assert got == json.loads(GOLDEN.read_text()), "changed; CLOUDFW_UPDATE_GOLDEN=1 to accept"


def test_every_case_is_accounted_for() -> None:
    got = _run()
    keys = {str(r["key"]).rsplit(":", 1)[0] for r in got["rules"]}  # type: ignore[union-attr]
    keys = {k.removesuffix(":ingress").removesuffix(":egress") for k in keys}
    sids = {f"docs:sid:1000{n:02d}" for n in range(1, 17)}
    assert sids <= keys | {k.rsplit(":", 1)[0] for k in keys}
    assert got["errors"] == [
        "rule group docs line 20: not a Suricata rule: "
        "'pass tcp any any -> any 23 (msg:\"unbalanced)'",
        "rule group docs line 21: not a Suricata rule: 'pass tcp any any any 22 (sid:100018;)'",
    ]
    assert any("$ADMIN_PORTS" in w for w in got["warnings"])  # type: ignore[union-attr]

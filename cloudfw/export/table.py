"""The human table (tabulate), followed by a coverage line per failed scope."""

from __future__ import annotations

from tabulate import tabulate

from cloudfw.model import Asset
from cloudfw.model.report import Report

MAX_PEERS = 40
MAX_RESOURCE = 36


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _peers(peers: tuple[str, ...]) -> str:
    return _clip(", ".join(peers), MAX_PEERS)


def _resource(a: Asset) -> str:
    if len(a.resource_id) > 24:  # ARM ids, GCP paths: the name is what people recognise
        return _clip(a.name or a.resource_id.rsplit("/", 1)[-1], MAX_RESOURCE)
    return _clip(a.label(), MAX_RESOURCE)


def render_table(report: Report) -> str:
    rows = [
        (
            f.severity.label.upper(),
            f.check,
            f.asset.provider,
            f.asset.account,
            f.asset.region,
            _resource(f.asset),
            f.rule_keys[0] if f.rule_keys else "",
            f"{f.protocol}/{f.ports}" if f.protocol else "",
            _peers(f.peers),
        )
        for f in sorted(
            report.findings,
            key=lambda f: (-f.severity, f.check, f.asset.provider, f.asset.resource_id),
        )
    ]
    head = ("SEVERITY", "CHECK", "PROVIDER", "ACCOUNT", "REGION", "RESOURCE", "RULE", "TRAFFIC",
            "PEERS")  # fmt: skip
    lines = [tabulate(rows, headers=head, tablefmt="simple")] if rows else ["No findings."]
    counts = report.counts()
    summary = ", ".join(f"{n} {sev}" for sev, n in reversed(counts.items()) if n)
    lines.append("")
    lines.append(
        f"{len(report.findings)} findings ({summary or 'none'}) over {report.rulesets} rule sets / "
        f"{report.rules} rules; {len(report.suppressed)} suppressed by baseline exceptions."
    )
    failed = [c for c in report.coverage if not c.ok]
    ok = len(report.coverage) - len(failed)
    lines.append(
        f"Coverage: {ok} of {len(report.coverage)} scopes read. (cloudfw {report.tool_version})"
    )
    lines.extend(f"  INCOMPLETE {c.scope}: {c.reason}" for c in failed)
    lines.extend(f"  WARNING {w}" for w in report.warnings)
    return "\n".join(lines) + "\n"

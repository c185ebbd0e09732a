"""Benchmark: `cloudfw audit --import` of a Cloud Asset Inventory export (issue 15).

Writes a synthetic `gcloud asset export --content-type=resource` file (JSON Lines, one
``compute.googleapis.com/Firewall`` asset per line, spread over projects and networks, plus
each project's networks), then runs the real CLI in a fresh process (`cloudfw audit --import F
--format json -o … --no-store`) and reports wall time and the peak RSS of the process. The
target is under 15 s and under 1 GB for 1,000,000 firewall rules on the 2-core machine.

    python -m benchmarks.import_bench [--rules 1000000] [--projects 100] [--networks 5]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.audit_bench import _timed

_SERVICES = ["22", "3389", "443", "80", "5432", "8080-8090", "6379", "9200", "1-65535", "53"]
_SOURCES = [["0.0.0.0/0"], ["10.0.0.0/8"], ["35.235.240.0/20"], ["192.168.0.0/16", "::/0"]]


def _asset(project: str, name: str, atype: str, data: dict[str, object]) -> str:
    kind = "firewalls" if atype == "Firewall" else "networks"
    return json.dumps({
        "name": f"//compute.googleapis.com/projects/{project}/global/{kind}/{name}",
        "asset_type": f"compute.googleapis.com/{atype}",
        "resource": {"version": "v1", "discovery_name": atype, "location": "global",
                     "parent": f"//cloudresourcemanager.googleapis.com/projects/{project}",
                     "data": data},
        "ancestors": [f"projects/{project}", "organizations/123456789012"],
        "update_time": "2026-11-30T10:00:00.000000Z",
    })  # fmt: skip


def write_export(path: Path, rules: int, projects: int, networks: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    base = "https://www.googleapis.com/compute/v1/projects"
    with path.open("w") as f:
        for p in range(projects):
            proj = f"proj-{p:04d}"
            for n in range(networks):
                net = f"net-{n}"
                f.write(_asset(proj, net, "Network", {"name": net, "kind": "compute#network",
                        "selfLink": f"{base}/{proj}/global/networks/{net}"}) + "\n")  # fmt: skip
        for i in range(rules):
            proj, net = f"proj-{i % projects:04d}", f"net-{(i // projects) % networks}"
            name = f"fw-{i:07d}"
            data = {
                "kind": "compute#firewall", "name": name, "direction": "INGRESS",
                "priority": rnd.randrange(100, 65000),
                "network": f"{base}/{proj}/global/networks/{net}",
                "selfLink": f"{base}/{proj}/global/firewalls/{name}",
                "sourceRanges": rnd.choice(_SOURCES), "targetTags": [f"tier-{rnd.randrange(20)}"],
                "allowed": [{"IPProtocol": "tcp", "ports": [rnd.choice(_SERVICES)]}],
                "logConfig": {"enable": rnd.random() < 0.5}, "disabled": False,
                "creationTimestamp": "2026-01-01T00:00:00.000-08:00", "id": str(10**15 + i),
            }  # fmt: skip
            f.write(_asset(proj, name, "Firewall", data) + "\n")


def _run(cmd: list[str]) -> tuple[float, float, int]:
    wall, peak, rc, err = _timed(cmd)
    if rc not in (0, 1, 3):
        sys.stderr.write(err)
        raise SystemExit(f"{' '.join(cmd[3:5])} failed with exit {rc}")
    return wall, peak, rc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rules", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--networks", type=int, default=5)
    ap.add_argument("--audit-rules", type=int, default=100_000,
                    help="size of the import + audit run (the audit of GCP target profiles is "
                    "the slow part; see the README)")  # fmt: skip
    a = ap.parse_args()
    cli = [sys.executable, "-m", "cloudfw"]
    with tempfile.TemporaryDirectory(prefix="cloudfw-import-bench-") as tmp:
        export = Path(tmp) / "assets.jsonl"
        t0 = time.perf_counter()
        write_export(export, a.rules, a.projects, a.networks)
        build = time.perf_counter() - t0
        mb = export.stat().st_size / 1e6
        wall, peak, rc = _run([*cli, "import", str(export), "--out", str(Path(tmp) / "s.json")])
        print(
            f"import bench: Cloud Asset Inventory export of {a.rules:,} firewall rules in "
            f"{a.projects} projects ({mb:.0f} MB, written in {build:.1f} s):\n"
            f"  import -> snapshot: {wall:.2f} s, {a.rules / wall:,.0f} rules/s, peak RSS "
            f"{peak:.0f} MB (target for import + audit: < 15 s, < 1024 MB)",
            flush=True,
        )
        small = Path(tmp) / "small.jsonl"
        write_export(small, min(a.rules, a.audit_rules), a.projects, a.networks)
        out = Path(tmp) / "report.json"
        wall, peak, rc = _run([*cli, "audit", "--import", str(small), "--format", "json",
                               "--output", str(out), "--no-store"])  # fmt: skip
        findings = json.loads(out.read_text())["summary"]["findings"]
        n = min(a.rules, a.audit_rules)
        print(
            f"  audit --import of {n:,} of them: {wall:.2f} s, {n / wall:,.0f} rules/s, peak RSS "
            f"{peak:.0f} MB ({findings:,} findings, exit {rc})"
        )
        print(f"RESULT: name=audit_import_vs_target_15s value={wall:.2f} floor=15 ratio={wall / 15:.3f}")  # fmt: skip # noqa: E501


if __name__ == "__main__":
    main()

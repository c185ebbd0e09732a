"""Benchmark: `cloudfw audit --snapshot` on a synthetic estate (collection excluded).

Builds 100,000 security groups / 1,000,000 rules with `benchmarks.synth`, writes the snapshot file,
then runs the real CLI in a fresh process (`cloudfw audit --snapshot F --format json -o …`) and
reports wall time, rules per second and the child's peak RSS. The target (issue #2) is under 10 s
and under 2 GB on a 2-core machine.

    python -m benchmarks.audit_bench [--groups 100000] [--rules-per-group 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synth import synthetic_snapshot
from cloudfw.snapshotio import write_snapshot


def run(groups: int, per_group: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cloudfw-bench-") as tmp:
        snap_path = Path(tmp) / "snapshot.json"
        t0 = time.perf_counter()
        snap = synthetic_snapshot(groups, per_group, seed=1)
        write_snapshot(snap, snap_path)
        build_s = time.perf_counter() - t0
        n_rules = sum(len(rs.rules) for rs in snap.rulesets)
        del snap
        out = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "cloudfw", "audit", "--snapshot", str(snap_path),
               "--format", "json", "--output", str(out), "--no-store"]  # fmt: skip
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode not in (0, 1):
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"audit failed with exit {proc.returncode}")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        findings = json.loads(out.read_text())["summary"]["findings"]
        return {
            "groups": groups,
            "rules": n_rules,
            "snapshot_mb": snap_path.stat().st_size / 1e6,
            "build_s": build_s,
            "audit_wall_s": wall,
            "rules_per_s": n_rules / wall,
            "peak_rss_mb": peak_mb,
            "findings": findings,
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--groups", type=int, default=100_000)
    ap.add_argument("--rules-per-group", type=int, default=10)
    args = ap.parse_args()
    r = run(args.groups, args.rules_per_group)
    print(
        f"audit bench: {r['groups']:,} SGs / {r['rules']:,} rules "
        f"(snapshot {r['snapshot_mb']:.0f} MB): audit {r['audit_wall_s']:.2f} s wall, "
        f"{r['rules_per_s']:,.0f} rules/s, peak RSS {r['peak_rss_mb']:.0f} MB, "
        f"{r['findings']:,} findings (target < 10 s, < 2048 MB)"
    )


if __name__ == "__main__":
    main()

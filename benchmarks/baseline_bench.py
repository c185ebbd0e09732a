"""Benchmark loading a large baseline: `cloudfw baseline capture` of a synthetic estate, then
`cloudfw baseline validate` of the file it wrote (what every `audit --baseline` loads first).

    python -m benchmarks.baseline_bench [--groups 20000] [--rules-per-group 10]

20,000 security groups of ten rules give ~27 MB of YAML approving 200,000 rules. Each timing is
a fresh process (the real CLI), best of --repeat, with CPU seconds beside wall seconds.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synth import synthetic_snapshot
from cloudfw.snapshotio import write_snapshot

CLI = [sys.executable, "-m", "cloudfw"]


def timed(*args: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([*CLI, *args], check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--groups", type=int, default=20_000)
    ap.add_argument("--rules-per-group", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snap, base = Path(tmp) / "snap.json", Path(tmp) / "baseline.yaml"
        write_snapshot(synthetic_snapshot(a.groups, a.rules_per_group, seed=1), snap)
        cap = timed("baseline", "capture", "--snapshot", str(snap), "--out", str(base))
        rules = a.groups * a.rules_per_group
        size = base.stat().st_size / 1e6
        print(f"baseline capture: {a.groups:,} groups / {rules:,} rules -> {size:.1f} MB "
              f"in {cap[0]:.2f} s wall ({cap[1]:.2f} s CPU)")  # fmt: skip
        runs = [timed("baseline", "validate", str(base)) for _ in range(a.repeat)]
        wall, cpu = min(runs)
        print(f"baseline validate: best of {a.repeat}: {wall:.2f} s wall ({cpu:.2f} s CPU) "
              f"for {rules:,} approved rules = {rules / wall:,.0f} rules/s")  # fmt: skip
        print(f"RESULT: name=baseline_validate_no_floor value={wall:.2f} floor=nan ratio=nan")


if __name__ == "__main__":
    main()

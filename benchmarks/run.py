"""`make bench`: every benchmark, each in its own process, as ratios against what a user would
otherwise run where there is such an alternative. Never part of `make test`.

    python benchmarks/run.py            # the issue-sized runs that finish in minutes
    python benchmarks/run.py --quick    # smaller inputs, for a smoke run
    python benchmarks/run.py --full     # also 10,000 host snapshots (~20 min on 2 cores)
    python benchmarks/run.py --with-prowler   # also Prowler side by side (installs it: 2.3 GB)
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(title: str, module: str, *args: str) -> int:
    print(f"\n=== {title}: python -m benchmarks.{module} {' '.join(args)}", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.call([sys.executable, "-m", f"benchmarks.{module}", *args], cwd=ROOT)
    print(f"--- {title}: exit {rc} after {time.perf_counter() - t0:.1f} s", flush=True)
    return rc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--with-prowler", action="store_true")
    a = ap.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    q = a.quick
    runs = [
        ("audit 1,000,000 rules", "audit_bench", "--groups", "10000" if q else "100000"),
        ("events vs jq", "events_vs_jq", "--records", "100000" if q else "1000000"),
        ("telemetry detect", "telemetry_bench", "--events", "100000" if q else "1000000"),
        ("effective exposure", "exposure_bench"),
        ("baseline validate", "baseline_bench", "--groups", "2000" if q else "20000"),
        ("store bytes per scan", "store_bench", "--groups", "1000" if q else "10000"),
        ("host audit", "host_bench", "--hosts", "10000" if a.full else ("200" if q else "1000")),
        ("import asset inventory", "import_bench", "--rules", "100000" if q else "1000000"),
        ("aws organization, in-process vs Dask", "org_bench", *(["--quick"] if q else [])),
    ]  # fmt: skip
    if a.with_prowler:
        runs.append(("Prowler side by side", "prowler_compare", "--with-prowler",
                     "--install-prowler"))  # fmt: skip
    failed = [title for title, mod, *args in runs if _run(title, mod, *args) != 0]
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

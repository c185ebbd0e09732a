"""`make bench`: every benchmark, each in its own process, as ratios against what a user would
otherwise run where there is such an alternative. Never part of `make test`.

    python benchmarks/run.py            # the issue-sized runs that finish in minutes
    python benchmarks/run.py --quick    # smaller inputs, for a smoke run
    python benchmarks/run.py --full     # also 10,000 hosts
    python benchmarks/run.py --with-prowler   # also Prowler side by side (installs it: 2.3 GB)

Each benchmark prints its headline figures as ``RESULT: name=... value=... floor=... ratio=...``
lines (``value`` and ``floor`` in seconds unless the name says otherwise; ``floor`` is the floor,
peer or target the figure is compared with in the same run; ``ratio`` is value / floor, so at
most 1 meets it). The closing summary collects them, under a note of the machine they ran on.
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
RESULT = "RESULT: "


def machine() -> str:
    mem = ""
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))  # fmt: skip
        mem = f", {kb / 2**20:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor() or platform.machine()
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{os.cpu_count()} cores{mem}, {cpu}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}{load}")  # fmt: skip


def _run(title: str, module: str, *args: str) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output; (exit code, its RESULT lines)."""
    print(f"\n=== {title}: python -m benchmarks.{module} {' '.join(args)}", flush=True)
    t0 = time.perf_counter()
    results: list[str] = []
    proc = subprocess.Popen([sys.executable, "-m", f"benchmarks.{module}", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if line.startswith(RESULT):
            results.append(line[len(RESULT) :].strip())
    rc = proc.wait()
    print(f"--- {title}: exit {rc} after {time.perf_counter() - t0:.1f} s", flush=True)
    return rc, results


def parse(result: str) -> dict[str, str]:
    return dict(kv.partition("=")[::2] for kv in result.split())


def summary(collected: list[tuple[str, list[str]]], where: str) -> str:
    lines = [f"\n=== summary (ratio = value / floor or peer, same run; machine: {where})",
             f"{'benchmark':<40} {'value':>10} {'floor':>10} {'ratio':>7}"]  # fmt: skip
    for title, results in collected:
        if not results:
            lines.append(f"{title[:40]:<40} {'(no RESULT line)':>29}")
        for r in results:
            f = parse(r)
            lines.append(f"{f.get('name', title)[:40]:<40} {f.get('value', '?'):>10} "
                         f"{f.get('floor', '?'):>10} {f.get('ratio', '?'):>7}")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--with-prowler", action="store_true")
    a = ap.parse_args()
    where = machine()
    print(f"machine: {where}")
    q = a.quick
    runs = [
        ("audit 1,000,000 rules", "audit_bench", "--groups", "10000" if q else "100000"),
        ("events vs jq", "events_vs_jq", "--records", "100000" if q else "1000000"),
        ("telemetry detect", "telemetry_bench", "--events", "100000" if q else "1000000"),
        ("effective exposure", "exposure_bench"),
        ("baseline validate", "baseline_bench", "--groups", "2000" if q else "20000"),
        ("store bytes per scan", "store_bench", "--groups", "1000" if q else "10000"),
        ("host audit", "host_bench", "--hosts", "10000" if a.full else ("200" if q else "1000")),
        # the realistic org export (benchmarks.cai_gen) audits at ~17 rules/s today (GCP per-target-
        # profile walks, issue 15): 2,000 rules keep make bench in minutes; --rules 1000000 is the
        # acceptance size
        ("import asset inventory", "import_bench", "--rules", "1000" if q else "2000"),
        ("aws organization, in-process vs Dask", "org_bench",
         *(["--quick"] if q else ["--accounts", "20", "100", "500"])),
        ("aws collect vs its boto3 floor", "collect_floor", *(["--quick"] if q else [])),
    ]  # fmt: skip
    if a.with_prowler:
        runs.append(("Prowler side by side", "prowler_compare", "--with-prowler",
                     "--install-prowler", *(["--groups", "200", "2000"] if q else [])))  # fmt: skip
    failed: list[str] = []
    collected: list[tuple[str, list[str]]] = []
    for title, mod, *args in runs:
        rc, results = _run(title, mod, *args)
        collected.append((title, results))
        if rc != 0:
            failed.append(title)
    print(summary(collected, where))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

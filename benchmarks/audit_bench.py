"""Benchmark: `cloudfw audit --snapshot` on a synthetic estate (collection excluded).

Builds 100,000 security groups / 1,000,000 rules in 20 accounts with `benchmarks.synth`, writes
the snapshot file, then runs the real CLI in a fresh process (`cloudfw audit --snapshot F
--format json -o … --no-store`), ``--repeat`` times with the default worker processes and once
with ``--jobs 1``, each default run next to a run of the *parse floor*: a fresh process that reads
the file and `orjson.loads` every line, on one core (the least any reader of the file does).
Reports wall time (median), CPU seconds of the process tree, rules per second, the peak memory
of the whole process tree (the audit and its workers, resident set sizes summed, sampled every
20 ms), and each audit as a ratio to the floor measured in the same run. Targets (issue #19):
``--jobs 1`` within 3x the floor, the default run within 2x, peak RSS under 1 GB.

    python -m benchmarks.audit_bench [--groups 100000] [--rules-per-group 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.synth import synthetic_snapshot
from cloudfw.snapshotio import write_snapshot


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (Linux /proc), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) if "VmRSS:" in status else 0
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


# Read the file and parse every line with orjson, as the audit's reader gets it (no decoding).
_FLOOR = """
import sys, orjson
with open(sys.argv[1], "rb") as f:
    for line in f:
        body = line.rstrip(b"\\n").rstrip(b",")
        if body.startswith(b'{"asset"'):
            orjson.loads(body)
"""


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _timed(cmd: list[str]) -> tuple[float, float, int, str, float]:
    """Wall seconds, peak tree RSS (MB), exit code, stderr and CPU seconds of ``cmd`` (its
    whole process tree: every descendant is waited for by its parent)."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, done = 0.0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    return wall, peak, proc.returncode, err, _children_cpu() - c0


def run(groups: int, per_group: int, repeat: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cloudfw-bench-") as tmp:
        snap_path = Path(tmp) / "snapshot.json"
        t0 = time.perf_counter()
        snap = synthetic_snapshot(groups, per_group, seed=1)
        write_snapshot(snap, snap_path)
        build_s = time.perf_counter() - t0
        n_rules = sum(len(rs.rules) for rs in snap.rulesets)
        del snap
        out = Path(tmp) / "report.json"
        base = [sys.executable, "-m", "cloudfw", "audit", "--snapshot", str(snap_path),
                "--format", "json", "--output", str(out), "--no-store"]  # fmt: skip
        runs, floors = [], []
        for args in [[]] * repeat + [["--jobs", "1"]]:
            if not args:
                floors.append(_timed([sys.executable, "-c", _FLOOR, str(snap_path)]))
            wall, peak, rc, err, cpu = _timed(base + args)
            if rc not in (0, 1):
                sys.stderr.write(err)
                raise SystemExit(f"audit failed with exit {rc}")
            runs.append((args, wall, peak, (err.strip().splitlines() or [""])[0], cpu))
        findings = json.loads(out.read_text())["summary"]["findings"]
        sharded = [r for r in runs if not r[0]]
        single = runs[-1]
        wall = statistics.median(r[1] for r in sharded)
        floor = statistics.median(f[0] for f in floors)
        return {
            "groups": groups,
            "rules": n_rules,
            "snapshot_mb": snap_path.stat().st_size / 1e6,
            "build_s": build_s,
            "walls": [round(r[1], 2) for r in sharded],
            "audit_wall_s": wall,
            "audit_cpu_s": statistics.median(r[4] for r in sharded),
            "rules_per_s": n_rules / wall,
            "peak_tree_mb": max(r[2] for r in sharded),
            "note": sharded[0][3],
            "single_wall_s": single[1],
            "single_cpu_s": single[4],
            "single_peak_mb": single[2],
            "floor_s": floor,
            "floor_cpu_s": statistics.median(f[4] for f in floors),
            "default_ratio": wall / floor,
            "single_ratio": single[1] / floor,
            "findings": findings,
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--groups", type=int, default=100_000)
    ap.add_argument("--rules-per-group", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    r = run(args.groups, args.rules_per_group, max(1, args.repeat))
    print(
        f"audit bench: {r['groups']:,} SGs / {r['rules']:,} rules "
        f"(snapshot {r['snapshot_mb']:.0f} MB, {r['findings']:,} findings):\n"
        f"  parse floor (read + orjson.loads of every line, one core): "
        f"{r['floor_s']:.2f} s ({r['floor_cpu_s']:.2f} CPU s)\n"
        f"  default ({r['note']}): median {r['audit_wall_s']:.2f} s of {r['walls']} "
        f"= {r['default_ratio']:.2f}x the floor, {r['audit_cpu_s']:.2f} CPU s, "
        f"{r['rules_per_s']:,.0f} rules/s, peak RSS (process tree) {r['peak_tree_mb']:.0f} MB\n"
        f"  --jobs 1: {r['single_wall_s']:.2f} s = {r['single_ratio']:.2f}x the floor, "
        f"{r['single_cpu_s']:.2f} CPU s, peak RSS {r['single_peak_mb']:.0f} MB\n"
        f"  (targets: default <= 2x, --jobs 1 <= 3x the floor; peak RSS < 1024 MB)"
    )
    print(f"RESULT: name=audit_vs_target_10s value={r['audit_wall_s']:.2f} floor=10 ratio={r['audit_wall_s'] / 10:.3f}")  # fmt: skip # noqa: E501


if __name__ == "__main__":
    main()

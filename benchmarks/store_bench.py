"""Benchmark: scan-history bytes per repeated scan (issue 18 point 7).

Runs the real CLI in fresh processes, ``cloudfw audit --snapshot F --store S`` ``--scans`` times
on the same snapshot (an unchanged estate), then once more on a copy with one rule set changed,
and reports the store's size on disk (the SQLite file plus its ``-wal`` and ``-shm`` files) after
each run: the first scan, the cost of each unchanged repeat, and the cost of a one-rule change.

    python -m benchmarks.store_bench --snapshot reports/demo-snapshot.json
    python -m benchmarks.store_bench --groups 10000     # 100,000 rules (benchmarks.synth)
    python -m benchmarks.store_bench --groups 100000    # 1,000,000 rules
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import orjson

from benchmarks.synth import synthetic_snapshot
from cloudfw.snapshotio import write_snapshot


def store_bytes(store: Path) -> int:
    """The store's footprint: the database file plus its WAL and shared-memory files."""
    parts = (store, store.with_name(store.name + "-wal"), store.with_name(store.name + "-shm"))
    return sum(p.stat().st_size for p in parts if p.exists())


def _audit(snapshot: Path, store: Path, extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "cloudfw", "audit", "--snapshot", str(snapshot),
           "--store", str(store), "--format", "json", "--output", str(store.parent / "r.json"),
           *extra]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1, 3) or "recorded scan" not in proc.stderr:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"audit failed with exit {proc.returncode}")
    return time.perf_counter() - t0


def _changed_copy(snapshot: Path, dest: Path) -> Path:
    """The same snapshot with the first rule of the first rule set given another description."""
    doc = orjson.loads(snapshot.read_bytes())
    rulesets = doc["rulesets"]
    for rs in rulesets:
        if rs.get("rules"):
            rs["rules"][0]["description"] = "changed by store_bench"
            break
    dest.write_bytes(orjson.dumps(doc))
    return dest


def run(snapshot: Path, scans: int, extra: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cloudfw-store-bench-") as tmp:
        store = Path(tmp) / "history.sqlite"
        sizes, walls = [], []
        for _ in range(scans):
            walls.append(_audit(snapshot, store, extra))
            sizes.append(store_bytes(store))
        changed = _changed_copy(snapshot, Path(tmp) / "changed.json")
        walls.append(_audit(changed, store, extra))
        sizes.append(store_bytes(store))
        repeats = [b - a for a, b in pairwise(sizes[:scans])]
        return {
            "snapshot_mb": snapshot.stat().st_size / 1e6,
            "first_scan_bytes": sizes[0],
            "repeat_bytes": repeats,
            "repeat_median_bytes": statistics.median(repeats) if repeats else 0,
            "changed_bytes": sizes[-1] - sizes[-2],
            "final_bytes": sizes[-1],
            "walls": [round(w, 2) for w in walls],
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--snapshot", type=Path, help="An existing snapshot (else a synthetic one).")
    ap.add_argument("--groups", type=int, default=10_000)
    ap.add_argument("--rules-per-group", type=int, default=10)
    ap.add_argument("--scans", type=int, default=4, help="Runs on the unchanged snapshot.")
    ap.add_argument("--baseline", type=Path)
    args = ap.parse_args()
    extra = ["--baseline", str(args.baseline)] if args.baseline else []
    with tempfile.TemporaryDirectory(prefix="cloudfw-store-snap-") as tmp:
        snapshot = args.snapshot
        if snapshot is None:
            snapshot = Path(tmp) / "snapshot.json"
            snap = synthetic_snapshot(args.groups, args.rules_per_group, seed=1)
            write_snapshot(snap, snapshot)
            del snap
        r = run(snapshot, max(2, args.scans), extra)
    print(
        f"store bench ({snapshot.name if args.snapshot else f'{args.groups:,} synthetic SGs'}, "
        f"snapshot {r['snapshot_mb']:.1f} MB):\n"
        f"  first scan {r['first_scan_bytes']:,} B; each unchanged repeat: {r['repeat_bytes']} B "
        f"(median {r['repeat_median_bytes']:,.0f} B); one rule changed: {r['changed_bytes']:,} B;"
        f" final {r['final_bytes']:,} B\n"
        f"  audit walls (s): {r['walls']}"
    )


if __name__ == "__main__":
    main()

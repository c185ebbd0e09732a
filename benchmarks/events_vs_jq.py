"""Benchmark: `cloudfw events DIR --format jsonl` against the obvious jq pipeline.

Generates a CloudTrail tree (``benchmarks.cloudtrail_gen``: gzip files, ~2% firewall changes),
then runs, each in a fresh process tree:

* ``cloudfw events DIR --format jsonl -o OUT``
* ``find DIR -name '*.json.gz' -print0 | xargs -0 zcat |
  jq -c '.Records[] | select(.eventName | test("SecurityGroup|NetworkAcl|FlowLogs"))' > OUT``

and reports wall time, CPU time (user+sys of the whole process tree), records per second,
the throughput ratio, and the peak RSS of the largest process. ``--scale 10`` additionally runs
cloudfw alone on 10x the records to show that memory stays flat. The jq filter is the naive one a
user would write: it also matches read-only calls (DescribeSecurityGroups) and ignores failures.

    python -m benchmarks.events_vs_jq [--records 1000000] [--per-file 2000] [--scale 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.cloudtrail_gen import generate

JQ_FILTER = '.Records[] | select(.eventName | test("SecurityGroup|NetworkAcl|FlowLogs"))'
_WRAPPER = r"""
import json, resource, subprocess, sys, time
cmd = json.loads(sys.argv[1])
t0 = time.perf_counter()
proc = subprocess.run(cmd, shell=isinstance(cmd, str), stdout=subprocess.DEVNULL,
                      stderr=subprocess.PIPE, check=False)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
                  "maxrss_mb": ru.ru_maxrss / 1024, "stderr": proc.stderr.decode()[-300:]}))
"""


def measure(cmd: list[str] | str) -> dict[str, Any]:
    """Run ``cmd`` in a fresh wrapper so the rusage covers exactly its process tree."""
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, json.dumps(cmd)], capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def cloudfw_cmd(tree: Path, out: Path, kind: str = "changes", *extra: str) -> list[str]:
    return [sys.executable, "-m", "cloudfw", "events", str(tree), "--format", "jsonl",
            "-o", str(out), "--kind", kind, *extra]  # fmt: skip


def compare_kinds(records: int, per_file: int, workdir: Path, repeat: int) -> dict[str, Any]:
    """``--kind changes`` vs ``--kind all`` (and ``all --findings``) on one tree, alternating
    runs, ``repeat`` times each, every run with its own empty scan store (as a first run):
    medians of wall and CPU time."""
    import os
    import statistics

    tree = workdir / "trail"
    gen = generate(tree, records, per_file)
    runs: dict[str, list[dict[str, Any]]] = {"changes": [], "all": [], "all+findings": []}
    for i in range(repeat):
        for name in runs:
            kind, extra = (name.split("+")[0], ["--findings", str(workdir / "f.json")]
                           if "findings" in name else [])  # fmt: skip
            store = workdir / f"store-{name}-{i}.db"
            os.environ["CLOUDFW_STORE"] = str(store)
            out = workdir / f"{name}.jsonl"
            r = measure(cloudfw_cmd(tree, out, kind, *extra))
            r["lines"] = count_lines(out)
            runs[name].append(r)
    summary: dict[str, Any] = {"records": gen.records, "files": gen.files}
    for name, rs in runs.items():
        summary[name] = {
            "wall": round(statistics.median(r["wall"] for r in rs), 2),
            "cpu": round(statistics.median(r["cpu"] for r in rs), 2),
            "walls": [round(r["wall"], 2) for r in rs],
            "maxrss_mb": round(max(r["maxrss_mb"] for r in rs), 1),
            "lines": rs[0]["lines"],
            "rc": sorted({r["rc"] for r in rs}),
        }
    base = summary["changes"]["wall"]
    for name in ("all", "all+findings"):
        summary[name]["ratio_vs_changes"] = round(summary[name]["wall"] / base, 2)
    return summary


def run(
    records: int, per_file: int, scale: int, workdir: Path, with_jq: bool = True
) -> dict[str, Any]:
    tree = workdir / "trail"
    gen = generate(tree, records, per_file)
    cf_out, jq_out = workdir / "cloudfw.jsonl", workdir / "jq.jsonl"
    cf = measure(cloudfw_cmd(tree, cf_out))
    base = {"records": gen.records, "files": gen.files, "firewall_records": gen.firewall,
            "gzip_mb": round(gen.bytes_gz / 2**20, 1),
            "json_mb": round(gen.bytes_json / 2**20, 1)}  # fmt: skip
    if not with_jq:
        return {**base, "cloudfw": {**cf, "events": count_lines(cf_out)}}
    jq_cmd = (f"find {tree} -name '*.json.gz' -print0 | xargs -0 zcat | "
              f"/usr/bin/jq -c '{JQ_FILTER}' > {jq_out}")  # fmt: skip
    jq = measure(jq_cmd)
    result: dict[str, Any] = {
        **base,
        "cloudfw": {**cf, "events": count_lines(cf_out)},
        "jq": {**jq, "matches": count_lines(jq_out)},
        "ratio_wall": round(jq["wall"] / cf["wall"], 2),
        "ratio_cpu": round(jq["cpu"] / cf["cpu"], 2),
    }  # fmt: skip
    if scale > 1:
        big = workdir / "trail-x"
        gen_big = generate(big, records * scale, per_file, seed=2)
        cf_big = measure(cloudfw_cmd(big, workdir / "cloudfw-x.jsonl"))
        result["scaled"] = {"records": gen_big.records, **cf_big}
    return result


def report(r: dict[str, Any]) -> str:
    lines = [
        f"input: {r['records']:,} records in {r['files']} gzip files "
        f"({r['gzip_mb']} MB gz, {r['json_mb']} MB JSON), "
        f"{r['firewall_records']:,} firewall changes",
    ]
    for name, key in (("cloudfw", "events"), ("jq", "matches")):
        if name not in r:
            continue
        x = r[name]
        lines.append(
            f"{name:8s} wall {x['wall']:7.2f} s  cpu {x['cpu']:7.2f} s  "
            f"{r['records'] / x['wall']:>10,.0f} rec/s  peak RSS {x['maxrss_mb']:6.1f} MB  "
            f"{key} {x[key]:,}  rc {x['rc']}"
        )
    if "jq" in r:
        lines.append(f"throughput ratio cloudfw/jq: wall {r['ratio_wall']}x, cpu {r['ratio_cpu']}x")
    if "scaled" in r:
        s = r["scaled"]
        lines.append(f"cloudfw at {s['records']:,} records: wall {s['wall']:.2f} s, cpu "
                     f"{s['cpu']:.2f} s, peak RSS {s['maxrss_mb']:.1f} MB")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--per-file", type=int, default=2000)
    ap.add_argument("--scale", type=int, default=1, help="also run cloudfw alone at N x records")
    ap.add_argument("--json", action="store_true", help="print the raw result as JSON")
    ap.add_argument("--skip-jq", action="store_true", help="measure cloudfw only")
    ap.add_argument(
        "--compare-kinds",
        type=int,
        metavar="N",
        default=0,
        help="instead: --kind changes vs all (and all --findings), N runs each",
    )
    args = ap.parse_args()
    if args.compare_kinds:
        with tempfile.TemporaryDirectory(prefix="cloudfw-events-bench-") as tmp:
            c = compare_kinds(args.records, args.per_file, Path(tmp), args.compare_kinds)
        print(json.dumps(c, indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="cloudfw-events-bench-") as tmp:
        r = run(args.records, args.per_file, args.scale, Path(tmp), not args.skip_jq)
    print(json.dumps(r, indent=2) if args.json else report(r))
    if "jq" in r:
        print(f"RESULT: name=events_vs_jq value={r['cloudfw']['wall']:.2f} floor={r['jq']['wall']:.2f} ratio={r['cloudfw']['wall'] / r['jq']['wall']:.3f}")  # fmt: skip # noqa: E501


if __name__ == "__main__":
    main()

"""Benchmark: `cloudfw host audit` over a fleet of Linux hosts (about 300 iptables rules each).

Writes ``--hosts`` iptables-save snapshots (Kubernetes + Docker nodes from
``tests/hosts/gen_k8s_iptables.py``, a different seed per host, ~330 rules: ~180 filter and
~150 nat), then runs the real CLI in a fresh process (`cloudfw host audit DIR --format json`)
and reports wall time, hosts per second and the child's peak RSS.

    python -m benchmarks.host_bench [--hosts 10000] [--workers 2]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hosts"))
from gen_k8s_iptables import generate

SIZES = {"services": 12, "endpoints": 2, "containers": 40, "no_endpoints": 30, "nodeports": 10,
         "host_rules": 60}  # fmt: skip


def run(hosts: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cloudfw-hostbench-") as tmp:
        fleet = Path(tmp) / "fleet"
        fleet.mkdir()
        t0 = time.perf_counter()
        rules = 0
        for i in range(hosts):
            text = generate(seed=i, **SIZES)
            rules += text.count("\n-A ")
            (fleet / f"node-{i:05d}.iptables-save").write_text(text)
        gen_s = time.perf_counter() - t0
        out = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-c",
            "from cloudfw.cli import main; main()",
            "host",
            "audit",
            str(fleet),
            "-f",
            "json",
            "-o",
            str(out),
            "--workers",
            str(workers),
        ]
        t1 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t1
        if proc.returncode not in (0, 1):
            raise SystemExit(f"audit failed ({proc.returncode}): {proc.stderr[-2000:]}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads(out.read_text())
    return {
        "hosts": hosts,
        "rules_per_host": rules / hosts,
        "workers": workers,
        "generate_s": round(gen_s, 1),
        "audit_wall_s": round(wall, 1),
        "hosts_per_s": round(hosts / wall, 1),
        "peak_rss_mb_any_child": round(usage.ru_maxrss / 1024, 1),
        "findings": report["summary"]["findings"],
        "complete": report["complete"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    result = run(args.hosts, args.workers)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    at = args.hosts / 500  # the wall time at the target's 500 hosts/s
    print(f"RESULT: name=host_audit_vs_500_hosts_per_s value={result['audit_wall_s']} floor={at:.2f} ratio={result['audit_wall_s'] / at:.3f}")  # fmt: skip # noqa: E501


if __name__ == "__main__":
    main()

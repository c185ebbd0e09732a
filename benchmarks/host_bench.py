"""Benchmark: `cloudfw host audit` over a fleet of Linux hosts (about 330 iptables rules each).

What the fleet models: a fleet run by configuration management, where hosts of one role (one
Kubernetes node pool, one Docker build farm...) carry the same rules. ``--variants`` distinct
rule sets (Kubernetes + Docker nodes from ``tests/hosts/gen_k8s_iptables.py``, one seed per
variant, ~330 rules: ~180 filter and ~150 nat) are spread over ``--hosts`` hosts, a few big
roles and a long tail (host ``i`` takes variant ``floor(V * u**2)``, ``u`` uniform). Every host
differs from its variant's other hosts the way real ``iptables-save`` output does: its own name,
its own ``# Generated ... on DATE`` stamps and its own chain packet counters; and ``--drift``
of the hosts (default 2%) also carry a hand-added rule of their own (a unique rule set, audited
from scratch). ``--variants 0`` makes every host a different rule set (the worst case).

The real CLI runs in a fresh process (`cloudfw host audit DIR --format json`, scan history in
the temporary directory); the benchmark reports wall time, hosts per second, CPU seconds (the
audit's processes, user + system: the figure that does not depend on what else the machine
runs), and the peak RSS of the whole process tree (the parent and its workers, sampled every
20 ms from /proc).

    python -m benchmarks.host_bench [--hosts 10000] [--workers 2] [--variants 40] [--drift 0.02]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hosts"))
from gen_k8s_iptables import generate

SIZES = {"services": 12, "endpoints": 2, "containers": 40, "no_endpoints": 30, "nodeports": 10,
         "host_rules": 60}  # fmt: skip
_STAMP = "on Fri Nov 20 09:00:00 2026"
_COUNTERS = re.compile(r"^(:\S+ \S+) \[0:0\]$", re.M)


def host_text(variant: str, rnd: random.Random, drift: bool) -> str:
    """One host's ``iptables-save`` of its variant: its own stamps and counters, and (``drift``)
    one rule of its own in INPUT."""
    minute = rnd.randrange(60 * 24)
    text = variant.replace(_STAMP, f"on Fri Nov 20 {minute // 60:02d}:{minute % 60:02d}:00 2026")
    pkts = rnd.randrange(10**6)
    text = _COUNTERS.sub(lambda m: f"{m.group(1)} [{pkts}:{pkts * 94}]", text)
    if drift:
        ip = f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        rule = f"-A INPUT -s {ip}/32 -p tcp -m tcp --dport {rnd.randrange(8000, 9000)} -j ACCEPT"
        text = text.replace("-A INPUT -j DROP\n", f"{rule}\n-A INPUT -j DROP\n", 1)
    return text


def write_fleet(fleet: Path, hosts: int, variants: int, drift: float) -> int:
    """Write the fleet; returns the number of rules."""
    rnd = random.Random(19)
    texts = [generate(seed=v, **SIZES) for v in range(variants)]
    rules = 0
    for i in range(hosts):
        if variants:
            text = host_text(texts[int(variants * rnd.random() ** 2)], rnd, rnd.random() < drift)
        else:
            text = generate(seed=i, **SIZES)
        rules += text.count("\n-A ")
        (fleet / f"node-{i:05d}.iptables-save").write_text(text)
    return rules


def _tree_rss_kb(pid: int) -> int:
    """RSS of ``pid`` and all its descendants (Linux /proc), in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:")), 0)
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """Run ``cmd``; (wall seconds, peak RSS of its process tree in MB, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit failed ({proc.returncode}): {err.decode()[-2000:]}")
    return wall, peak[0] / 1024, proc.returncode


def run(hosts: int, workers: int, variants: int, drift: float, fmt: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cloudfw-hostbench-") as tmp:
        fleet = Path(tmp) / "fleet"
        fleet.mkdir()
        t0 = time.perf_counter()
        rules = write_fleet(fleet, hosts, variants, drift)
        gen_s = time.perf_counter() - t0
        out = Path(tmp) / f"report.{fmt}"
        cmd = [sys.executable, "-c", "from cloudfw.cli import main; main()", "host", "audit",
               str(fleet), "-f", fmt, "-o", str(out), "--workers", str(workers),
               "--store", str(Path(tmp) / "history.sqlite")]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, tree_mb, _ = measure(cmd)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (usage.ru_utime + usage.ru_stime) - (before.ru_utime + before.ru_stime)
        if fmt == "json":
            summary = json.loads(out.read_text())
            findings, complete = summary["summary"]["findings"], summary["complete"]
        else:
            lines = out.read_text().splitlines()
            findings = sum(1 for ln in lines if '"type":"finding"' in ln)
            complete = all('"complete":true' in ln for ln in lines if '"type":"summary"' in ln)
    return {
        "hosts": hosts,
        "variants": variants or hosts,
        "drift": drift if variants else 1.0,
        "rules_per_host": round(rules / hosts, 1),
        "workers": workers,
        "format": fmt,
        "generate_s": round(gen_s, 1),
        "audit_wall_s": round(wall, 2),
        "hosts_per_s": round(hosts / wall, 1),
        "audit_cpu_s": round(cpu, 2),
        "hosts_per_cpu_s": round(hosts / cpu, 1),
        "peak_rss_mb_process_tree": round(tree_mb, 1),
        "peak_rss_mb_any_child": round(usage.ru_maxrss / 1024, 1),
        "findings": findings,
        "complete": complete,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--variants", type=int, default=40, help="distinct rule sets (0: every host)")
    ap.add_argument(
        "--drift", type=float, default=0.02, help="share of hosts with a rule of their own"
    )
    ap.add_argument("--format", default="json", choices=("json", "jsonl"))
    args = ap.parse_args()
    result = run(args.hosts, args.workers, args.variants, args.drift, args.format)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    at = args.hosts / 500  # the wall time at the target's 500 hosts/s
    print(f"RESULT: name=host_audit_vs_500_hosts_per_s value={result['audit_wall_s']} floor={at:.2f} ratio={result['audit_wall_s'] / at:.3f}")  # fmt: skip # noqa: E501


if __name__ == "__main__":
    main()

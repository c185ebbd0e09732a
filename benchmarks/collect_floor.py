"""`cloudfw collect aws` against its floor: the bare paginated describe calls for the same moto
account, made by boto3 alone with the same concurrency as cloudfw (one region: one thread).

Seeds moto's server (127.0.0.1) with the estate of `benchmarks.prowler_compare` at each size
(N security groups, every 10th attached to an ENI, one VPC with a flow log and an open NACL),
then runs, interleaved, ``--repeat`` times each:

* the floor: a fresh ``python`` that imports boto3 and pages through exactly the calls cloudfw's
  collector makes for one region, with the same retry mode and timeouts (GetCallerIdentity;
  DescribeSecurityGroups, DescribeSecurityGroupRules, DescribeNetworkAcls, DescribeVpcs,
  DescribeSubnets, DescribeFlowLogs, DescribeNetworkInterfaces; Network Firewall
  ListFirewalls), and nothing else;
* ``cloudfw collect aws --region us-east-1 --out snapshot.json``: the same calls, plus
  normalization and writing the snapshot.

Both are separate processes (interpreter start and imports included on both sides) against the
same server, whose time both pay: the ratio is what cloudfw adds to what the API costs.
cloudfw's bytecode is compiled first (as an installed cloudfw's is, and boto3's always is here).
Medians of wall time; CPU seconds of the client process alongside (moto's own CPU is in this
process, not theirs). Rules per group: 10 at 200 and 2,000 groups (the Prowler estate), 4 at
10,000 (moto's seeding is one HTTP call per group and its DescribeSecurityGroupRules walks every
rule on each page; 100,000 rules would take most of an hour to seed and read on 2 cores).

    python -m benchmarks.collect_floor [--groups 200 2000 10000] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.prowler_compare import REGION, aws_env, build_estate

ROOT = Path(__file__).resolve().parents[1]
#: the calls `cloudfw.providers.aws.fetch.read_region` and `.nfw.read_network_firewall` make,
#: with the retries and timeouts cloudfw's clients have (`cloudfw.providers.aws.tuning`)
FLOOR = f"""
import boto3
from botocore.config import Config
c = Config(retries={{"mode": "adaptive", "total_max_attempts": 8}}, connect_timeout=5,
           read_timeout=60)
s = boto3.session.Session()
s.client("sts", region_name="{REGION}", config=c).get_caller_identity()
ec2 = s.client("ec2", region_name="{REGION}", config=c)
nfw = s.client("network-firewall", region_name="{REGION}", config=c)
n = 0
for op, key in (("describe_security_groups", "SecurityGroups"),
                ("describe_security_group_rules", "SecurityGroupRules"),
                ("describe_network_acls", "NetworkAcls"), ("describe_vpcs", "Vpcs"),
                ("describe_subnets", "Subnets"), ("describe_flow_logs", "FlowLogs"),
                ("describe_network_interfaces", "NetworkInterfaces")):
    for page in ec2.get_paginator(op).paginate():
        n += len(page.get(key) or ())
for page in nfw.get_paginator("list_firewalls").paginate():
    n += len(page.get("Firewalls") or ())
print(n)
"""


def rules_for(groups: int) -> int:
    return 10 if groups <= 2000 else 4


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s of the child)."""
    cpu0, t0 = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if proc.returncode not in (0, 3):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{' '.join(cmd[:4])}... exited {proc.returncode}")
    return wall, cpu


def floor_run(endpoint: str) -> tuple[float, float]:
    return _timed([sys.executable, "-c", FLOOR], aws_env(endpoint))


def cloudfw_run(endpoint: str, out: Path) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "cloudfw", "collect", "aws", "--region", REGION,
           "--out", str(out)]  # fmt: skip
    return _timed(cmd, aws_env(endpoint))


def measure(endpoint: str, repeat: int) -> dict[str, float]:
    """Medians of ``repeat`` interleaved runs of the floor and of cloudfw."""
    floor: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="cloudfw-floor-") as tmp:
        for k in range(repeat):
            floor.append(floor_run(endpoint))
            ours.append(cloudfw_run(endpoint, Path(tmp) / f"snap{k}.json"))
    return {
        "floor_s": statistics.median(w for w, _ in floor),
        "floor_cpu_s": statistics.median(c for _, c in floor),
        "cloudfw_s": statistics.median(w for w, _ in ours),
        "cloudfw_cpu_s": statistics.median(c for _, c in ours),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--groups", type=int, nargs="+", default=[200, 2000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="200 and 2,000 groups only")
    a = ap.parse_args()
    sizes = [g for g in a.groups if g <= 2000] if a.quick else a.groups
    # an installed cloudfw has its bytecode compiled (pip does it), as boto3's is; a source tree
    # run with PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run otherwise
    compileall.compile_dir(str(ROOT / "cloudfw"), quiet=1)
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    from cloudfw.standins import moto

    print(f"{'groups':>7} {'rules':>6} {'seed s':>7} {'floor s':>8} {'cloudfw s':>10} "
          f"{'ratio':>6} {'floor cpu':>10} {'cloudfw cpu':>12} {'cpu ratio':>10}")  # fmt: skip
    worst = 0.0
    for n in sizes:
        server = moto.start()
        try:
            server.reset()
            t0 = time.perf_counter()
            build_estate(server.endpoint, n, rules_for(n))
            seed = time.perf_counter() - t0
            m = measure(server.endpoint, a.repeat)
        finally:
            server.stop()
        ratio = m["cloudfw_s"] / m["floor_s"]
        worst = max(worst, ratio)
        print(f"{n:>7} {n * rules_for(n):>6} {seed:>7.1f} {m['floor_s']:>8.2f} "
              f"{m['cloudfw_s']:>10.2f} {ratio:>6.2f} {m['floor_cpu_s']:>10.2f} "
              f"{m['cloudfw_cpu_s']:>12.2f} {m['cloudfw_cpu_s'] / m['floor_cpu_s']:>10.2f}",
              flush=True)  # fmt: skip
        print(f"RESULT: name=collect_floor_{n} value={m['cloudfw_s']:.3f} "
              f"floor={m['floor_s']:.3f} ratio={ratio:.3f}")  # fmt: skip
    print(f"\nworst ratio to the floor: {worst:.2f} (target: at most 1.2 at every size)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

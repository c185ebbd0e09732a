"""AWS organization scan: wall and CPU time for N member accounts x 2 regions, collection +
audit, run in-process (8 threads) and on a ``distributed.LocalCluster`` of 2 workers (4 threads
each, the same 8 slots), both against one moto server on 127.0.0.1, and the ratio.

moto's server runs in its own process, so its CPU seconds are measured apart from cloudfw's:
the audit's process tree, and with ``--dask`` also the cluster's workers and its scheduler
(which runs in this process). moto is one Python process on the same cores: where it is busy,
it sets the pace. The projection at the end scales the measured CPU per unit (the workers'
and the parent's, from the largest Dask run) and AWS's ~8 calls x 150 ms per unit (the issue's
figure) to 5,000 accounts x 17 regions on 50 workers of 8 threads (one core each: the GIL).

    python -m benchmarks.org_bench [--accounts 20 100 500] [--quick] [--modes local dask]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psutil  # distributed's dependency

REGIONS = ("us-east-1", "eu-west-1")
ROOT = Path(__file__).resolve().parents[1]
SLOTS = 8
AWS_UNIT_S = 8 * 0.150  # ~8 describe calls x 150 ms per account x region on real AWS
_MOTO = ("import sys; from cloudfw.standins import moto; s = moto.start(); "
         "print(s.endpoint, flush=True); sys.stdin.read(); s.stop()")  # fmt: skip


def _client(endpoint: str, service: str, region: str = "us-east-1", **creds: str) -> Any:
    import boto3

    keys = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name=region, endpoint_url=endpoint, **keys)


def _seed(endpoint: str, accounts: int) -> list[str]:
    """The organization, and 4 open security groups per member account x region. Members are
    written through moto's ``x-moto-account-id`` header, not an assumed role: moto finds the
    account of an access key by scanning every account (a cost that grows with the organization,
    paid by every call), and the seeding is not what is measured."""
    org = _client(endpoint, "organizations")
    org.create_organization(FeatureSet="ALL")
    ids = []
    for n in range(accounts):
        acct = org.create_account(Email=f"b{n}@example.com", AccountName=f"bench-{n:04d}")[
            "CreateAccountStatus"
        ]["AccountId"]
        ids.append(acct)
        for region in REGIONS:
            ec2 = _client(endpoint, "ec2", region)
            ec2.meta.events.register("before-sign.ec2", partial(_in_account, acct))
            vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
            for g, port in enumerate((22, 3389, 443, 5432)):
                sg = ec2.create_security_group(GroupName=f"g{g}", Description="b", VpcId=vpc)
                ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])  # fmt: skip
    return ids


def _in_account(account: str, request: Any, **_: Any) -> None:
    request.headers["x-moto-account-id"] = account


class Moto:
    """moto's server in a process of its own (its CPU seconds apart from cloudfw's)."""

    def __init__(self) -> None:
        env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _MOTO], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=env, cwd=ROOT,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint:
            raise SystemExit("moto's server did not start")

    def cpu(self) -> float:
        t = psutil.Process(self.proc.pid).cpu_times()
        return float(t.user + t.system)

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


@dataclass
class Run:
    wall: float
    parent_cpu: float  # the audit's process tree (the CLI, its threads or worker processes)
    cluster_cpu: float  # the cluster's workers and scheduler (0 in-process)
    moto_cpu: float

    @property
    def cloudfw_cpu(self) -> float:
        return self.parent_cpu + self.cluster_cpu


def _own_cpu() -> float:
    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def _workers_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        t = psutil.Process(pid).cpu_times()
        total += t.user + t.system
    return total


def _audit(moto: Moto, env: dict[str, str], out: Path, workers: list[int], *extra: str) -> Run:
    args = [sys.executable, "-m", "cloudfw", "audit", "--provider", "aws", "--org",
            *(a for r in REGIONS for a in ("--region", r)), "--workers", str(SLOTS),
            "--format", "json", "--no-store", "--output", str(out), *extra]  # fmt: skip
    m0, w0, s0 = moto.cpu(), _workers_cpu(workers), _own_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # the audit and every process it waited for
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit exited {proc.returncode}")
    cluster = _workers_cpu(workers) - w0 + (_own_cpu() - s0 if workers else 0.0)
    return Run(wall, usage.ru_utime + usage.ru_stime, cluster, moto.cpu() - m0)


def _same(a: Path, b: Path) -> bool:
    def body(p: Path) -> dict[str, Any]:
        d: dict[str, Any] = json.loads(p.read_text())
        d.pop("generated_at")
        return d

    return body(a) == body(b)


def _one_size(n: int, modes: list[str]) -> tuple[float, dict[str, Run], bool | None]:
    from distributed import LocalCluster

    moto = Moto()
    runs: dict[str, Run] = {}
    try:
        t0 = time.perf_counter()
        _seed(moto.endpoint, n)
        seed = time.perf_counter() - t0
        env = {**os.environ, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
        os.environ.update(env)  # the cluster's workers start with it
        with tempfile.TemporaryDirectory() as tmp:
            outs = {m: Path(tmp) / f"{m}.json" for m in modes}
            if "local" in modes:
                runs["local"] = _audit(moto, env, outs["local"], [])
            if "dask" in modes:
                cluster = LocalCluster(n_workers=2, threads_per_worker=SLOTS // 2,
                                       host="127.0.0.1", dashboard_address=None,
                                       silence_logs=logging.ERROR)  # fmt: skip
                with cluster as cl:
                    pids = [int(w.pid) for w in cl.workers.values()]  # the worker processes
                    runs["dask"] = _audit(moto, env, outs["dask"], pids, "--dask",
                                          cl.scheduler_address)  # fmt: skip
            same = _same(outs["local"], outs["dask"]) if len(outs) == 2 else None
    finally:
        moto.stop()
    return seed, runs, same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, nargs="+", default=[20, 100, 500])
    ap.add_argument("--quick", action="store_true", help="20 accounts only")
    ap.add_argument("--modes", nargs="+", choices=["local", "dask"], default=["local", "dask"])
    a = ap.parse_args()
    sizes = [20] if a.quick else a.accounts
    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(f"{'accounts':>8} {'units':>6} {'seed s':>7} {'mode':>6} {'wall s':>8} "
          f"{'cloudfw cpu s':>14} {'(cluster)':>10} {'moto cpu s':>11} {'cloudfw ms/unit':>16} "
          "same")  # fmt: skip
    measured: list[tuple[int, Run]] = []  # the Dask runs (or the in-process ones), by size
    for n in sizes:
        seed, runs, same = _one_size(n, a.modes)
        units = (n + 1) * len(REGIONS)  # the members and the management account
        for mode, r in runs.items():
            print(f"{n:>8} {units:>6} {seed:>7.1f} {mode:>6} {r.wall:>8.1f} "
                  f"{r.cloudfw_cpu:>14.1f} {r.cluster_cpu:>10.1f} {r.moto_cpu:>11.1f} "
                  f"{r.cloudfw_cpu / units * 1000:>16.1f} {'' if same is None else same}",
                  flush=True)  # fmt: skip
        if "local" in runs and "dask" in runs:
            here, there = runs["local"], runs["dask"]
            print(
                f"RESULT: name=org_dask_{n}_accounts value={there.wall:.2f} "
                f"floor={here.wall:.2f} ratio={there.wall / here.wall:.3f}",
                flush=True,
            )
        measured.append((units, runs.get("dask") or runs["local"]))
    print(projection(measured))
    return 0


def _per_unit(measured: list[tuple[int, Run]], cpu: Callable[[Run], float]) -> float:
    """CPU seconds per unit: the slope between the smallest and the largest size (what one
    more unit costs, without the fixed start-up), or the average of the one size measured."""
    (u0, r0), (u1, r1) = measured[0], measured[-1]
    return (cpu(r1) - cpu(r0)) / (u1 - u0) if u1 > u0 else cpu(r1) / u1


def projection(measured: list[tuple[int, Run]]) -> str:
    """5,000 accounts x 17 regions on 50 workers x 8 threads, from the measured runs."""
    big_units, workers, threads = 5000 * 17, 50, 8
    remote = measured[-1][1].cluster_cpu > 0
    unit = _per_unit(measured, (lambda r: r.cluster_cpu) if remote else (lambda r: r.parent_cpu))
    parent = _per_unit(measured, lambda r: r.parent_cpu) if remote else 0.0
    api = big_units * AWS_UNIT_S / (workers * threads)
    cluster = big_units * unit / workers
    return (f"\nprojection: 5,000 accounts x 17 regions = {big_units:,} units on {workers} "
            f"workers x {threads} threads: AWS's ~{AWS_UNIT_S:.1f} s per unit -> "
            f"{api / 60:.1f} min of waiting on the API per slot; cloudfw's measured "
            f"{unit * 1000:.0f} CPU ms per unit -> {cluster / 60:.1f} min of CPU per worker "
            f"(one core: the GIL), overlapping the waits; the parent (results, audit: "
            f"{parent * 1000:.1f} CPU ms per unit) ~{big_units * parent / 60:.1f} min; so "
            f"~{(max(api, cluster) + big_units * parent) / 60:.0f} min")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())

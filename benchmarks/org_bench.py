"""AWS organization scan: wall time for N member accounts x 2 regions, collection + audit, run
in-process (8 threads) and on a ``distributed.LocalCluster`` of 2 workers (4 threads each, the
same 8 slots), both against one moto server on 127.0.0.1, and the ratio.

moto's server is one Python process: it, not cloudfw, sets the pace of both runs, and both
share the machine's 2 cores with it. The per-unit cost measured here is therefore an upper
bound for cloudfw's side; the projection at the end scales the measured unit time (wall x
slots / units) to 5,000 accounts x 17 regions on 50 workers of 8 threads, assuming AWS (not
moto) answers in ~150 ms per call as the issue states.

    python -m benchmarks.org_bench [--accounts 20 100 500] [--quick]
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
import urllib.request
from pathlib import Path
from typing import Any

REGIONS = ("us-east-1", "eu-west-1")
ROLE = "OrganizationAccountAccessRole"
ROOT = Path(__file__).resolve().parents[1]
SLOTS = 8


def _client(endpoint: str, service: str, region: str = "us-east-1", **creds: str) -> Any:
    import boto3

    keys = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name=region, endpoint_url=endpoint, **keys)


def _seed(endpoint: str, accounts: int) -> list[str]:
    org = _client(endpoint, "organizations")
    org.create_organization(FeatureSet="ALL")
    sts = _client(endpoint, "sts")
    ids = []
    for n in range(accounts):
        acct = org.create_account(Email=f"b{n}@example.com", AccountName=f"bench-{n:04d}")[
            "CreateAccountStatus"
        ]["AccountId"]
        ids.append(acct)
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/{ROLE}", RoleSessionName="seed")[
            "Credentials"
        ]
        keys = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key":
                c["SecretAccessKey"], "aws_session_token": c["SessionToken"]}  # fmt: skip
        for region in REGIONS:
            ec2 = _client(endpoint, "ec2", region, **keys)
            vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
            for g, port in enumerate((22, 3389, 443, 5432)):
                sg = ec2.create_security_group(GroupName=f"g{g}", Description="b", VpcId=vpc)
                ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])  # fmt: skip
    return ids


def _audit(env: dict[str, str], out: Path, *extra: str) -> float:
    args = [sys.executable, "-m", "cloudfw", "audit", "--provider", "aws", "--org",
            *(a for r in REGIONS for a in ("--region", r)), "--workers", str(SLOTS),
            "--format", "json", "--no-store", "--output", str(out), *extra]  # fmt: skip
    t0 = time.perf_counter()
    rc = subprocess.call(args, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    if rc not in (0, 1):
        raise SystemExit(f"audit exited {rc}")
    return wall


def _same(a: Path, b: Path) -> bool:
    def body(p: Path) -> dict[str, Any]:
        d: dict[str, Any] = json.loads(p.read_text())
        d.pop("generated_at")
        return d

    return body(a) == body(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, nargs="+", default=[20, 100, 500])
    ap.add_argument("--quick", action="store_true", help="20 accounts only")
    a = ap.parse_args()
    sizes = [20] if a.quick else a.accounts
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    logging.getLogger("distributed").setLevel(logging.ERROR)
    from distributed import LocalCluster

    from cloudfw.standins import moto

    print(f"{'accounts':>8} {'units':>6} {'seed s':>7} {'in-process s':>13} {'dask 2w s':>10} "
          f"{'ratio':>6} {'ms/unit':>8} same")  # fmt: skip
    unit_s = 0.0
    for n in sizes:
        server = moto.start()
        try:
            # moto's backends live in this process: the previous size's organization is still
            # there unless reset
            urllib.request.urlopen(
                urllib.request.Request(f"{server.endpoint}/moto-api/reset", method="POST")
            ).close()
            t0 = time.perf_counter()
            _seed(server.endpoint, n)
            seed = time.perf_counter() - t0
            env = {**os.environ, "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID":
                   "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION":
                   "us-east-1"}  # fmt: skip
            os.environ.update(env)  # the cluster's workers start with it
            with tempfile.TemporaryDirectory() as tmp:
                here, there = Path(tmp) / "here.json", Path(tmp) / "there.json"
                local = _audit(env, here)
                cluster = LocalCluster(n_workers=2, threads_per_worker=SLOTS // 2,
                                       host="127.0.0.1", dashboard_address=None,
                                       silence_logs=logging.ERROR)  # fmt: skip
                with cluster as cl:
                    remote = _audit(env, there, "--dask", cl.scheduler_address)
                same = _same(here, there)
        finally:
            server.stop()
        units = (n + 1) * len(REGIONS)  # the members and the management account
        unit_s = local * SLOTS / units
        print(f"{n:>8} {units:>6} {seed:>7.1f} {local:>13.1f} {remote:>10.1f} "
              f"{remote / local:>6.2f} {unit_s * 1000:>8.0f} {same}", flush=True)  # fmt: skip
        print(f"RESULT: name=org_dask_{n}_accounts value={remote:.2f} floor={local:.2f} "
              f"ratio={remote / local:.3f}", flush=True)  # fmt: skip
    big_units, big_slots = 5000 * 17, 50 * 8
    print(f"\nprojection: 5,000 accounts x 17 regions = {big_units:,} units on 50 workers x 8 "
          f"threads: {big_units * unit_s / big_slots / 60:.0f} min at the measured "
          f"{unit_s * 1000:.0f} ms per unit (moto-bound); at AWS's ~8 calls x 150 ms = 1.2 s "
          f"per unit: {big_units * 1.2 / big_slots / 60:.0f} min")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

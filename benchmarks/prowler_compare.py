"""Side-by-side run against Prowler's security-group checks on the same moto account.

Seeds moto's server (127.0.0.1, ``MOTO_EC2_LOAD_DEFAULT_AMIS=false``) with N security groups of
planted patterns (all-open, ssh-open, rdp-v6, db-open, wide-tcp, private; every 10th SG attached
to an ENI; one VPC with a flow log and an allow-all NACL), then runs

* ``cloudfw audit --provider aws --region us-east-1 --format ocsf`` and
* ``prowler aws --checks <SG/NACL/flow-log checks> --scan-unused-services`` (``--with-prowler``)

against it at each size (200, 2,000 and 10,000 SGs by default), and prints the wall-time ratio,
the ratio with the moto floor subtracted from both (the bare boto3 describe calls of
`benchmarks.collect_floor`, measured on the same server: what moto itself costs), and a
finding-by-finding comparison: found by both, only cloudfw, only Prowler, with an explanation
for every "only Prowler" case.

Prowler lives in its own virtualenv (about 2.3 GB, ~5.5 min to install): ``--install-prowler``
creates it under the user cache dir when missing.

    python -m benchmarks.prowler_compare [--groups 200 2000 10000] [--with-prowler]
        [--install-prowler]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REGION = "us-east-1"
PROWLER_CHECKS = (
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
    "ec2_securitygroup_allow_ingress_from_internet_to_any_port",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
    "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432",
    "ec2_securitygroup_allow_wide_open_public_ipv4",
    "ec2_securitygroup_default_restrict_traffic",
    "ec2_securitygroup_with_many_ingress_egress_rules",
    "ec2_networkacl_allow_ingress_any_port",
    "ec2_networkacl_allow_ingress_tcp_port_22",
    "vpc_flow_logs_enabled",
)
#: Prowler check -> comparison category (what is exposed / wrong, tool-neutral).
PROWLER_CATEGORY = {
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports": "all-ports",
    "ec2_securitygroup_allow_ingress_from_internet_to_any_port": "any-port",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22": "ssh",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389": "rdp",
    "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports": "high-risk-ports",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306": "mysql",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432": "postgres",
    "ec2_securitygroup_allow_wide_open_public_ipv4": "wide-public-source",
    "ec2_securitygroup_default_restrict_traffic": "default-group-open",
    "ec2_securitygroup_with_many_ingress_egress_rules": "many-rules",
    "ec2_networkacl_allow_ingress_any_port": "all-ports",
    "ec2_networkacl_allow_ingress_tcp_port_22": "ssh",
    "vpc_flow_logs_enabled": "unlogged",
}
SERVICES_COMPARED = {"ssh", "rdp", "mysql", "postgres"}
EXPOSURE = {"all-ports", "ssh", "rdp", "mysql", "postgres", "wide-public-source"}
PATTERNS: dict[str, list[tuple[str, int | None, int | None, str | None, str | None]]] = {
    "all-open": [("-1", None, None, "0.0.0.0/0", None)],
    "ssh-open": [("tcp", 22, 22, "0.0.0.0/0", None)],
    "rdp-v6": [("tcp", 3389, 3389, None, "::/0")],
    "db-open": [("tcp", 3306, 3306, "0.0.0.0/0", None), ("tcp", 5432, 5432, "0.0.0.0/0", None)],
    "wide-tcp": [("tcp", 0, 65535, "0.0.0.0/0", None)],
    "private": [],
}
Key = tuple[str, str]  # (resource id, category)


def aws_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint,
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    )
    return env


def build_estate(endpoint: str, n: int, rules: int = 10) -> None:
    """The estate from the reference notes: N SGs x ``rules`` ingress rules (10 there; at least
    the pattern's own), one writer thread."""
    import boto3

    kw: dict[str, Any] = {
        "region_name": REGION,
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    ec2 = boto3.client("ec2", **kw)
    logs = boto3.client("logs", **kw)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.0.0/20")["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
    )
    logs.create_log_group(logGroupName="flow")
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="flow",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow",
    )
    kinds = list(PATTERNS)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        gid = ec2.create_security_group(
            GroupName=f"{kind}-{i:05d}", Description="bench", VpcId=vpc
        )["GroupId"]
        perms: list[dict[str, Any]] = []
        for proto, fp, tp, c4, c6 in PATTERNS[kind]:
            p: dict[str, Any] = {"IpProtocol": proto}
            if fp is not None:
                p.update(FromPort=fp, ToPort=tp)
            if c4:
                p["IpRanges"] = [{"CidrIp": c4}]
            if c6:
                p["Ipv6Ranges"] = [{"CidrIpv6": c6}]
            perms.append(p)
        while len(perms) < rules:
            k = len(perms)
            perms.append(
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8000 + k,
                    "ToPort": 8000 + k,
                    "IpRanges": [{"CidrIp": f"10.{k}.0.0/16"}],
                }
            )
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
        if i % 10 == 0:
            ec2.create_network_interface(SubnetId=subnet, Groups=[gid])


def run_cloudfw(endpoint: str, out: Path) -> float:
    cmd = [
        sys.executable,
        "-m",
        "cloudfw",
        "audit",
        "--provider",
        "aws",
        "--region",
        REGION,
        "--format",
        "ocsf",
        "--output",
        str(out),
        "--no-store",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=aws_env(endpoint), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"cloudfw audit failed with exit {proc.returncode}")
    return wall


def prowler_venv_default() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cloudfw")) / "prowler-venv"


def ensure_prowler(venv: Path, install: bool) -> Path:
    exe = venv / "bin" / "prowler"
    if exe.exists():
        return exe
    if not install:
        raise SystemExit(f"{exe} not found: pass --install-prowler (about 2.3 GB, ~5.5 min)")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "prowler"], check=True)
    return exe


def run_prowler(exe: Path, endpoint: str, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(exe),
        "aws",
        "--checks",
        *PROWLER_CHECKS,
        "-f",
        REGION,
        "--no-banner",
        "--no-color",
        "--output-formats",
        "csv",
        "-o",
        str(out),
        "-F",
        "findings",
        "--scan-unused-services",
    ]
    t0 = time.perf_counter()
    with (out / "stdout.txt").open("w") as so, (out / "stderr.txt").open("w") as se:
        proc = subprocess.run(cmd, env=aws_env(endpoint), stdout=so, stderr=se, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 3):  # 3 = there are FAILs
        raise SystemExit(f"prowler failed with exit {proc.returncode}; see {out}/stderr.txt")
    return wall


def cloudfw_findings(path: Path) -> tuple[set[Key], dict[str, set[str]]]:
    """(resource, category) pairs, and per resource every cloudfw check that fired on it."""
    keys: set[Key] = set()
    by_resource: dict[str, set[str]] = defaultdict(set)
    for doc in json.loads(path.read_text()):
        f = doc["unmapped"]["cloudfw"]
        check: str = f["check"]
        rid = f["resource_id"]
        if check.startswith("internet-ingress["):
            cat = check[len("internet-ingress[") : -1]
        elif check == "allow-all":
            cat = "all-ports" if f["direction"] == "ingress" else "allow-all-egress"
        elif check == "unlogged":
            cat, rid = "unlogged", doc["resources"][0]["data"]["parent"] or rid
        else:
            cat = check
        keys.add((rid, cat))
        by_resource[rid].add(cat)
        by_resource[f["resource_id"]].add(cat)
    return keys, by_resource


def prowler_findings(out: Path) -> tuple[set[Key], Counter[str]]:
    keys: set[Key] = set()
    statuses: Counter[str] = Counter()
    for path in out.glob("*.csv"):
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                statuses[f"{row['CHECK_ID']} {row['STATUS']}"] += 1
                if row["STATUS"] != "FAIL":
                    continue
                rid = row["RESOURCE_UID"].rsplit("/", 1)[-1]
                keys.add((rid, PROWLER_CATEGORY.get(row["CHECK_ID"], row["CHECK_ID"])))
    return keys, statuses


def explain(key: Key, cloudfw_on: dict[str, set[str]]) -> str:
    """Why Prowler has a finding that cloudfw does not, from what cloudfw said about the same
    resource. Anything not covered here is printed as UNEXPLAINED."""
    rid, cat = key
    seen = cloudfw_on.get(rid, set())
    if cat == "all-ports" and seen & EXPOSURE:
        return (
            "tcp 0-65535 is all ports but not all protocols: cloudfw's allow-all needs both and "
            "reports this exposure as one internet-ingress finding per exposed service"
        )
    if cat in SERVICES_COMPARED and "all-ports" in seen:
        return (
            "covered by cloudfw's allow-all finding on the same resource (cloudfw does not "
            "repeat per-service findings under allow-all)"
        )
    if cat in ("any-port", "high-risk-ports") and seen & EXPOSURE:
        return "same exposure; cloudfw reports it per check (allow-all / internet-ingress[...])"
    if cat == "many-rules":
        return "rule-count hygiene check; cloudfw has no equivalent"
    return "UNEXPLAINED"


def explain_cloudfw(key: Key) -> str:
    _, cat = key
    if cat in SERVICES_COMPARED:
        return (
            "Prowler's port checks skip a group that opens every tcp port ('not checked against "
            "the specific port'); cloudfw still reports the exposed service"
        )
    if cat in EXPOSURE or cat in PROWLER_CATEGORY.values():
        return "Prowler has the check but did not fail it here"
    return "no Prowler check covers this service/check in the compared set"


def compare(cf: set[Key], pr: set[Key], cloudfw_on: dict[str, set[str]]) -> dict[str, Any]:
    both, only_cf, only_pr = cf & pr, cf - pr, pr - cf
    reasons = Counter(explain(k, cloudfw_on) for k in only_pr)
    return {
        "both": len(both),
        "only_cloudfw": len(only_cf),
        "only_prowler": len(only_pr),
        "both_by_category": dict(Counter(c for _, c in both).most_common()),
        "only_cloudfw_by_category": dict(Counter(c for _, c in only_cf).most_common()),
        "only_prowler_by_category": dict(Counter(c for _, c in only_pr).most_common()),
        "only_prowler_explained": dict(reasons.most_common()),
        "only_cloudfw_explained": dict(Counter(explain_cloudfw(k) for k in only_cf).most_common()),
        "unexplained_examples": sorted(
            k for k in only_pr if explain(k, cloudfw_on) == "UNEXPLAINED"
        )[:10],
    }


def main(argv: Iterable[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--groups", type=int, nargs="+", default=[200, 2000, 10000],
                    help="estate sizes (SGs), each on a fresh moto server")  # fmt: skip
    ap.add_argument("--with-prowler", action="store_true", help="also run Prowler and compare")
    ap.add_argument("--install-prowler", action="store_true", help="create its venv if missing")
    ap.add_argument("--prowler-venv", type=Path, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="keep outputs in this directory")
    ap.add_argument(
        "--reanalyse",
        type=Path,
        default=None,
        help="only compare the outputs kept in this directory by an earlier --keep",
    )
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.reanalyse is not None:
        cf, cloudfw_on = cloudfw_findings(args.reanalyse / "cloudfw.ocsf.json")
        pr, _statuses = prowler_findings(args.reanalyse / "prowler")
        print(json.dumps(compare(cf, pr, cloudfw_on), indent=2, default=list))
        return

    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    exe = None
    if args.with_prowler:
        exe = ensure_prowler(args.prowler_venv or prowler_venv_default(), args.install_prowler)
    # Prowler calls a few EC2 actions moto lacks (HTTP 500); their tracebacks are noise here
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    for groups in args.groups:
        result = _one_size(groups, exe, args.keep)
        print(json.dumps(result, indent=2, default=list))
        if "ratio_minus_floor" in result:  # cloudfw's time over Prowler's, moto's taken off both
            ours, theirs = (
                result["cloudfw_s"] - result["floor_s"],
                result["prowler_s"] - result["floor_s"],
            )
            print(f"RESULT: name=prowler_minus_floor_{groups} value={ours:.2f} floor={theirs:.2f} "
                  f"ratio={ours / max(theirs, 1e-3):.3f}")  # fmt: skip


def _one_size(groups: int, exe: Path | None, keep: Path | None) -> dict[str, Any]:
    """One estate of ``groups`` SGs: the boto3 floor (`benchmarks.collect_floor`), cloudfw, and
    Prowler when given; the ratio with the floor (what moto itself costs) subtracted from both."""
    from benchmarks.collect_floor import floor_run
    from cloudfw.standins import moto

    server = moto.start()
    with tempfile.TemporaryDirectory(prefix="cloudfw-prowler-") as tmp:
        work = (keep / str(groups)) if keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        try:
            t0 = time.perf_counter()
            build_estate(server.endpoint, groups)
            print(f"seeded {groups} SGs on {server.endpoint} in {time.perf_counter() - t0:.1f} s")
            floor = floor_run(server.endpoint)[0]
            cf_wall = run_cloudfw(server.endpoint, work / "cloudfw.ocsf.json")
            print(f"boto3 floor: {floor:.1f} s wall; cloudfw audit: {cf_wall:.1f} s wall")
            result: dict[str, Any] = {"groups": groups, "cloudfw_s": round(cf_wall, 2),
                                      "floor_s": round(floor, 2)}  # fmt: skip
            if exe is not None:
                pr_wall = run_prowler(exe, server.endpoint, work / "prowler")
                print(f"prowler:       {pr_wall:.1f} s wall")
                cf, cloudfw_on = cloudfw_findings(work / "cloudfw.ocsf.json")
                pr, statuses = prowler_findings(work / "prowler")
                result.update(
                    prowler_s=round(pr_wall, 2),
                    ratio=round(pr_wall / cf_wall, 2),
                    # what each tool adds to the API's own cost (moto's time for the same calls)
                    ratio_minus_floor=round((pr_wall - floor) / max(cf_wall - floor, 1e-3), 2),
                    prowler_statuses=dict(sorted(statuses.items())),
                    **compare(cf, pr, cloudfw_on),
                )
            else:
                print("Prowler not run (pass --with-prowler): no comparison")
        finally:
            server.stop()
    return result


if __name__ == "__main__":
    main()

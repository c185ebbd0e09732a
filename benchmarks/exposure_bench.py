"""Benchmark: effective exposure for 10,000 instances across 1,000 subnets and 5,000 SGs.

Builds a synthetic AWS-shaped estate in process (real model objects, no I/O): one NACL per
subnet (a few denies, allow-all, and an egress side that sometimes leaves out part of the
ephemeral range), 5,000 security groups with 1-4 ingress rules drawn from a port pool, and
10,000 ENIs with 1-3 groups each (70% with a public IP). Then times `build_paths` plus
`effective_exposure` for all of them and reports the peak memory (tracemalloc peak of the
computation, and the process's max RSS).

    python -m benchmarks.exposure_bench [--instances 10000] [--subnets 1000] [--groups 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
import tracemalloc

from cloudfw.exposure import build_paths, effective_exposure
from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Rule,
    RuleSet,
    parse_ports,
    parse_protocol,
)

PORTS = ["22", "80", "443", "3389", "5432", "6379", "8080", "8000-8100", "9200", "1024-65535"]
SOURCES = ["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "81.2.69.0/24", "::/0"]
IN, OUT = Direction.INGRESS, Direction.EGRESS


def _rule(key: str, d: Direction, action: Action, proto: str, ports: str, src: str, n: int) -> Rule:
    return Rule(
        key=key,
        direction=d,
        action=action,
        protocols=parse_protocol(proto),
        ports=parse_ports(ports),
        peers=AddressSet.parse(src),
        order=n,
    )


def estate(instances: int, subnets: int, groups: int, seed: int = 7) -> list[RuleSet]:
    rnd = random.Random(seed)
    acct, region = "123456789012", "eu-west-1"
    enis: dict[str, list[Attachment]] = {}
    for i in range(instances):
        sub = f"subnet-{i % subnets:05d}"
        att = Attachment(
            "network-interface",
            f"eni-{i:06d}",
            f"i-{i:06d}",
            (f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",),
            (f"54.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",) if rnd.random() < 0.7 else (),
            sub,
        )
        for g in rnd.sample(range(groups), rnd.randint(1, 3)):
            enis.setdefault(f"sg-{g:05d}", []).append(att)
    out: list[RuleSet] = []
    for g in range(groups):
        gid = f"sg-{g:05d}"
        rules = [
            _rule(
                f"sgr-{g:05d}-{k}",
                IN,
                Action.ALLOW,
                rnd.choice(["tcp", "tcp", "udp"]),
                rnd.choice(PORTS),
                rnd.choice(SOURCES),
                0,
            )
            for k in range(rnd.randint(1, 4))
        ]
        rules.append(_rule(f"sgr-{g:05d}-out", OUT, Action.ALLOW, "all", "*", "0.0.0.0/0", 0))
        out.append(
            RuleSet(
                Asset("aws", acct, region, "security-group", gid),
                EvalSemantics.ALLOW_UNION,
                tuple(rules),
                attachments=tuple(enis.get(gid, ())),
            )
        )
    for s in range(subnets):
        aid = f"acl-{s:05d}"
        rules = []
        if rnd.random() < 0.4:
            rules.append(
                _rule(
                    f"{aid}:ingress:90", IN, Action.DENY, "tcp", rnd.choice(PORTS), "0.0.0.0/0", 90
                )
            )
        rules.append(_rule(f"{aid}:ingress:100", IN, Action.ALLOW, "all", "*", "0.0.0.0/0", 100))
        eph = "1024-65535" if rnd.random() < 0.8 else "32768-65535"
        rules.append(_rule(f"{aid}:egress:100", OUT, Action.ALLOW, "tcp", eph, "0.0.0.0/0", 100))
        rules.append(_rule(f"{aid}:egress:110", OUT, Action.ALLOW, "udp", eph, "0.0.0.0/0", 110))
        for d in (IN, OUT):
            rules.append(_rule(f"{aid}:{d}:*", d, Action.DENY, "all", "*", "*", 32767))
        sub = f"subnet-{s:05d}"
        out.append(
            RuleSet(
                Asset("aws", acct, region, "network-acl", aid),
                EvalSemantics.FIRST_MATCH_BY_NUMBER,
                tuple(rules),
                attachments=(Attachment("subnet", sub, subnet=sub),),
            )
        )
    return out


def run(instances: int, subnets: int, groups: int, trace: bool) -> dict[str, float]:
    rulesets = estate(instances, subnets, groups)
    if trace:
        tracemalloc.start()
    c0 = time.process_time()
    t0 = time.perf_counter()
    paths = build_paths(rulesets)
    t1 = time.perf_counter()
    results = effective_exposure(paths)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return {
        "instances": instances,
        "subnets": subnets,
        "security_groups": groups,
        "assets": len(results),
        "reachable_assets": sum(1 for r in results if r.reachable),
        "exposures": sum(len(r.exposures) for r in results),
        "blocked": sum(len(r.blocked) for r in results),
        "paths_s": round(t1 - t0, 3),
        "stack_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
        "cpu_s": round(cpu, 3),  # wall time is noisy on a shared machine; CPU time is not
        "assets_per_s": round(len(results) / (t2 - t0), 1),
        "traced_peak_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=10_000)
    ap.add_argument("--subnets", type=int, default=1_000)
    ap.add_argument("--groups", type=int, default=5_000)
    ap.add_argument("--no-trace", action="store_true", help="skip tracemalloc (faster timing)")
    a = ap.parse_args()
    print(json.dumps(run(a.instances, a.subnets, a.groups, not a.no_trace), indent=2))


if __name__ == "__main__":
    main()

"""Synthetic snapshots for the checks benchmark (no I/O, deterministic per seed).

``synthetic_snapshot(100_000, 10, seed=1)`` builds 100,000 AWS-like security groups with ten rules
each (one million rules, each with its API origin and some with a description, as the AWS
normalizer records them): mostly private, office (/24) and SG-reference sources on all sorts of
ports; 0.0.0.0/0 and ::/0 sources mostly on web ports with a tail of admin, database, wide-range
and all-traffic rules; a few very broad provider ranges; and the allow-all egress rule AWS creates
in every group. About 2% of groups are default groups, 15% of VPCs have no flow log. Address,
port and protocol sets go through the model's interning parsers (as a real normalizer's would), so
repeated CIDRs share one object.

Run directly to time `run_checks`:  ``python -m benchmarks.synth [n_groups] [rules_per_group]``
"""

from __future__ import annotations

import gc
import itertools
import random
import sys
import time
from datetime import UTC, datetime

from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    Logging,
    Rule,
    RuleSet,
    Snapshot,
    SourceRef,
    parse_ports,
    parse_protocol,
)
from cloudfw.model.snapshot import Coverage, CoverageStatus
from cloudfw.normalize.aws import SG_RULES_CALL

# (protocol, ports) -> weight. Internal sources reach all sorts of ports; internet-wide sources are
# mostly web ports, with a realistic tail of mistakes (admin ports, databases, wide ranges, all
# traffic) so every exposure check has work to do.
_INTERNAL = {
    ("tcp", "443"): 20, ("tcp", "80"): 10, ("tcp", "22"): 15, ("tcp", "3306"): 8,
    ("tcp", "5432"): 6, ("tcp", "8080"): 8, ("tcp", "6379"): 4, ("tcp", "1024-65535"): 4,
    ("tcp", "0-65535"): 3, ("udp", "53"): 3, ("udp", "1024-65535"): 2, ("-1", "*"): 3,
}  # fmt: skip
_PUBLIC = {
    ("tcp", "443"): 550, ("tcp", "80"): 300, ("tcp", "8443"): 40, ("tcp", "22"): 40,
    ("tcp", "3389"): 10, ("tcp", "3306"): 10, ("tcp", "6379"): 5, ("udp", "500"): 20,
    ("tcp", "1024-65535"): 5, ("tcp", "0-65535"): 5, ("-1", "*"): 5,
}  # fmt: skip


def _sources(rng: random.Random) -> tuple[list[str], list[int]]:
    office = [
        f"{rng.randint(1, 99)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24" for _ in range(200)
    ]
    private = [f"10.{rng.randint(0, 255)}.0.0/16" for _ in range(200)] + ["172.16.0.0/12"]
    sgs = [f"sg:sg-{i:08x}" for i in range(500)]
    tokens = [*private, *office, *sgs, "0.0.0.0/0", "::/0", "52.0.0.0/10", "2600:1f00::/24"]
    weights = [5] * len(private) + [2] * len(office) + [2] * len(sgs) + [180, 60, 3, 3]
    return tokens, weights


def _origin(key: str) -> SourceRef:
    return SourceRef("api", SG_RULES_CALL, record=key)  # as the AWS normalizer records it


def synthetic_snapshot(n_groups: int, rules_per_group: int, seed: int = 1) -> Snapshot:
    """``n_groups`` security groups of ``rules_per_group`` rules (the last one is egress)."""
    rng = random.Random(seed)
    tokens, weights = _sources(rng)
    cum_tokens = list(itertools.accumulate(weights))
    internal = [(parse_protocol(p), parse_ports(q)) for p, q in _INTERNAL]
    public = [(parse_protocol(p), parse_ports(q)) for p, q in _PUBLIC]
    cum_internal = list(itertools.accumulate(_INTERNAL.values()))
    cum_public = list(itertools.accumulate(_PUBLIC.values()))
    every, all_ports = parse_protocol("-1"), parse_ports("0-65535")
    anywhere = AddressSet.parse("0.0.0.0/0")
    descriptions = ["", "", "", "office VPN", "web tier", "monitoring", "partner API"]
    rulesets: list[RuleSet] = []
    accounts = [f"{100000000000 + i}" for i in range(20)]
    for g in range(n_groups):
        gid = f"sg-{g:012x}"
        account = accounts[g % len(accounts)]
        rules: list[Rule] = []
        for i in range(max(rules_per_group - 1, 0)):
            token = rng.choices(tokens, cum_weights=cum_tokens)[0]
            peers = AddressSet.parse(token)
            if token in ("0.0.0.0/0", "::/0"):
                protocols, ports = rng.choices(public, cum_weights=cum_public)[0]
            else:
                protocols, ports = rng.choices(internal, cum_weights=cum_internal)[0]
            key = f"sgr-{g:09x}{i:03x}"
            rules.append(
                Rule(key, Direction.INGRESS, Action.ALLOW, protocols, ports, peers,
                     description=rng.choice(descriptions), origin=_origin(key))
            )  # fmt: skip
        if rules_per_group > 0:
            key = f"sgr-{g:09x}fff"
            rules.append(
                Rule(key, Direction.EGRESS, Action.ALLOW, every, all_ports, anywhere,
                     origin=_origin(key))
            )  # fmt: skip
        n_att = rng.choice((0, 1, 1, 2))
        atts = tuple(
            Attachment(
                "network-interface",
                f"eni-{g:010x}{k}",
                public_ips=(f"54.{g % 250}.{k}.{g % 200}",) if rng.random() < 0.3 else (),
            )
            for k in range(n_att)
        )
        vpc = f"vpc-{g % 2000:08x}"
        rulesets.append(
            RuleSet(
                asset=Asset("aws", account, "us-east-1", "security-group", gid, parent=vpc),
                semantics=EvalSemantics.ALLOW_UNION,
                rules=tuple(rules),
                logging=Logging.OFF if g % 2000 < 300 else Logging.ON,
                log_scope=Asset("aws", account, "us-east-1", "vpc", vpc),
                attachments=atts,
                is_default=g % 50 == 0,
            )
        )
    coverage = tuple(Coverage("aws", f"{a}/us-east-1", CoverageStatus.OK) for a in accounts)
    return Snapshot(tuple(rulesets), coverage, datetime(2026, 1, 1, tzinfo=UTC), "bench")


def main(argv: list[str]) -> int:
    from cloudfw.checks import run_checks
    from cloudfw.policy.catalog import load_catalog
    from cloudfw.policy.config import PolicyConfig

    n = int(argv[1]) if len(argv) > 1 else 100_000
    per = int(argv[2]) if len(argv) > 2 else 10
    t0 = time.perf_counter()
    snap = synthetic_snapshot(n, per, seed=1)
    gc.collect()
    gc.freeze()  # the snapshot is long-lived: keep the cyclic GC from rescanning it
    catalog = load_catalog()
    t1, c1 = time.perf_counter(), time.process_time()
    findings = run_checks(snap, PolicyConfig(), catalog)
    t2, c2 = time.perf_counter(), time.process_time()
    rules = sum(len(rs.rules) for rs in snap.rulesets)
    sys.stdout.write(
        f"built {n} groups / {rules} rules in {t1 - t0:.2f}s; run_checks {t2 - t1:.2f}s wall, "
        f"{c2 - c1:.2f}s CPU ({rules / (c2 - c1):,.0f} rules per CPU second), "
        f"{len(findings)} findings\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

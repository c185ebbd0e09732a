"""`audit --jobs N`: a snapshot file audited in worker processes (one shard of accounts each)
gives exactly the report of the one-process audit, host firewalls of another shard included;
anything the plan assumed and the file breaks falls back to one process, saying why."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudfw.cli.app import _register_all, app
from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Attachment,
    Coverage,
    CoverageStatus,
    Direction,
    EvalSemantics,
    Logging,
    Rule,
    RuleSet,
    Snapshot,
    parse_ports,
    parse_protocol,
)
from cloudfw.sharded import plan
from cloudfw.snapshotio import write_snapshot
from cloudfw.store import Store

_register_all()
IN, OUT = Direction.INGRESS, Direction.EGRESS
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _rule(key: str, ports: str, peers: str = "0.0.0.0/0", action: Action = Action.ALLOW,
          direction: Direction = IN, order: int = 0, proto: str = "tcp") -> Rule:  # fmt: skip
    return Rule(key, direction, action, parse_protocol(proto), parse_ports(ports),
                AddressSet.parse_many(peers.split(",")), order=order)  # fmt: skip


def _account(acct: str, groups: int) -> list[RuleSet]:
    """``groups`` security groups on their own ENIs (public IPs) behind one open NACL."""
    vpc = Asset("aws", acct, "us-east-1", "vpc", f"vpc-{acct}")
    out = []
    for g in range(groups):
        eni = Attachment("network-interface", f"eni-{acct}-{g}", f"i-{acct}-{g}",
                         (f"10.0.{g % 250}.10",), (f"54.0.{g % 250}.1",), "subnet-1")  # fmt: skip
        rules = (
            _rule(f"sg-{g}/in/ssh", "22"),
            _rule(f"sg-{g}/in/web", "443", "0.0.0.0/0,::/0"),
            _rule(f"sg-{g}/in/db", "5432", "10.0.0.0/8"),
            _rule(f"sg-{g}/out/all", "*", direction=OUT, proto="all"),
        )
        asset = Asset("aws", acct, "us-east-1", "security-group", f"sg-{acct}-{g:03d}",
                      parent=vpc.resource_id)  # fmt: skip
        out.append(RuleSet(asset, EvalSemantics.ALLOW_UNION, rules, logging=Logging.OFF,
                           log_scope=vpc, attachments=(eni,), is_default=g == 0))  # fmt: skip
    acl = (
        _rule("acl/in/100", "*", proto="all", order=100),
        _rule("acl/out/100", "*", proto="all", direction=OUT, order=100),
    )
    subnet = Attachment("subnet", "subnet-1", subnet="subnet-1")
    acl_asset = Asset("aws", acct, "us-east-1", "network-acl", f"acl-{acct}")
    out.append(RuleSet(acl_asset, EvalSemantics.FIRST_MATCH_BY_NUMBER, acl,
                       attachments=(subnet,)))  # fmt: skip
    return out


def _host(instance: str) -> RuleSet:
    """A host firewall (its own "account": the host) that drops ssh on a cloud instance."""
    drop = _rule("INPUT:1", "22", "0.0.0.0/0,::/0", Action.DENY, order=1)
    return RuleSet(Asset("host", instance, "", "host-firewall", f"{instance}/INPUT"),
                   EvalSemantics.CHAIN_FIRST_MATCH, (drop,), default_ingress=Action.ALLOW,
                   attachments=(Attachment("host", instance, instance_id=instance),))  # fmt: skip


def estate(*extra: RuleSet) -> Snapshot:
    rulesets = [*_account("111111111111", 40), *_account("222222222222", 25),
                *_account("333333333333", 15), *extra]  # fmt: skip
    cov = tuple(Coverage("aws", f"aws:{a}:us-east-1", CoverageStatus.OK)
                for a in ("111111111111", "222222222222", "333333333333"))  # fmt: skip
    return Snapshot(tuple(rulesets), cov, NOW, "test")


BASELINE = """\
version: 1
approved:
  - id: web
    match: {provider: aws, resource: "sg-*"}
    rules: [{direction: ingress, protocol: tcp, ports: 443, peers: ["0.0.0.0/0", "::/0"]}]
required:
  - id: db-from-vpc
    match: {provider: aws, account: "222222222222", resource: "sg-222222222222-001"}
    rules: [{direction: ingress, protocol: tcp, ports: 5432, peers: ["10.0.0.0/8"]}]
  - id: mgmt
    match: {provider: aws, resource: "sg-gone"}
    rules: [{direction: ingress, protocol: tcp, ports: 22, peers: ["10.0.0.0/8"]}]
exceptions:
  - check: internet-ingress
    resource: sg-333333333333-00*
    reason: migration window
    owner: netsec
    expires: 2099-01-01
"""


def _audit(snap: Path, baseline: Path, *extra: str) -> tuple[dict[str, object], str, int]:
    res = CliRunner().invoke(app, ["audit", "--snapshot", str(snap), "--baseline",
                                   str(baseline), "--format", "json", *extra])  # fmt: skip
    assert res.exit_code in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    doc.pop("generated_at")
    return doc, res.stderr, res.exit_code


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    snap, base = tmp_path / "estate.json", tmp_path / "prod.yaml"
    write_snapshot(estate(), snap)
    base.write_text(BASELINE)
    return snap, base


def test_plan_cuts_between_accounts(files: tuple[Path, Path]) -> None:
    snap, _ = files
    layout = plan(snap, 2)
    assert layout is not None and len(layout.shards) == 2
    data = snap.read_bytes()
    (a0, a1), (b0, b1) = layout.shards
    assert a1 == b0 and data[a0 - 1 : a0] == b"\n" and data[b1:] == b"]}\n"
    first, second = data[a0:a1], data[b0:b1]
    accounts = [{line.split(b'"account":"')[1][:12] for line in part.splitlines()}
                for part in (first, second)]  # fmt: skip
    assert not accounts[0] & accounts[1], "no account is split between shards"
    assert plan(snap, 1) is None  # one shard: nothing to share out


@pytest.mark.parametrize("jobs", ["2", "3", "4"])
def test_sharded_report_equals_the_one_process_report(
    files: tuple[Path, Path], tmp_path: Path, jobs: str
) -> None:
    snap, base = files
    one, err1, code1 = _audit(snap, base, "--jobs", "1", "--no-store")
    many, err_n, code_n = _audit(snap, base, "--jobs", jobs, "--no-store")
    assert "worker processes" not in err1 and "audited in" in err_n and "worker processes" in err_n
    assert many == one and code_n == code1 == 1
    checks = {f["check"] for f in one["findings"]}  # type: ignore[index, union-attr]
    assert {"internet-ingress[ssh]", "unexpectedly-authorized", "revoked", "unlogged",
            "default-group-open"} <= checks  # fmt: skip
    ssh = [f for f in one["findings"] if f["check"] == "internet-ingress[ssh]"]  # type: ignore[union-attr]
    assert {f["severity"] for f in ssh} == {"critical"}, "graded through NACL and ENI"
    assert one["suppressed"], "the exception applies in both"


def test_a_host_firewall_in_front_of_another_shard_keeps_one_process(tmp_path: Path) -> None:
    path, base = tmp_path / "s.json", tmp_path / "b.yaml"
    write_snapshot(estate(_host("i-111111111111-1"), _host("i-unrelated")), path)
    base.write_text(BASELINE)
    layout = plan(path, 2)
    assert layout is not None and len(layout.hosts) == 2
    one, _, _ = _audit(path, base, "--jobs", "1", "--no-store")
    many, err, _ = _audit(path, base, "--jobs", "2", "--no-store")
    assert "stands in front of another shard's instances" in err and many == one
    ssh = {f["resource_id"]: f["severity"] for f in one["findings"]  # type: ignore[union-attr]
           if f["check"] == "internet-ingress[ssh]"}  # fmt: skip
    assert ssh["sg-111111111111-001"] == "medium", "the host firewall drops ssh there"
    assert ssh["sg-111111111111-002"] == "critical"


def test_unrelated_host_firewalls_do_not_stop_sharding(tmp_path: Path) -> None:
    path, base = tmp_path / "s.json", tmp_path / "b.yaml"
    write_snapshot(estate(_host("i-elsewhere")), path)
    base.write_text(BASELINE)
    one, _, _ = _audit(path, base, "--jobs", "1", "--no-store")
    many, err, _ = _audit(path, base, "--jobs", "2", "--no-store")
    assert "worker processes" in err and many == one


def test_history_rows_are_the_same(files: tuple[Path, Path], tmp_path: Path) -> None:
    snap, base = files
    counts = []
    for jobs in ("1", "2"):
        store = tmp_path / f"store{jobs}.sqlite"
        _audit(snap, base, "--jobs", jobs, "--store", str(store))
        with Store(store, readonly=True) as db:
            counts.append(sorted(db.rules(db.scans()[0].id).values()))
    assert counts[0] == counts[1] and len(counts[0]) == 80 * 4 + 3 * 2


def test_a_file_that_breaks_the_plan_is_audited_in_one_process(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    snap, base = files
    lines = snap.read_bytes().split(b"\n")
    body = [x.rstrip(b",") for x in lines[1:-2]]
    body[1], body[-3] = body[-3], body[1]  # two accounts' lines swapped: accounts not adjacent
    moved = tmp_path / "moved.json"
    moved.write_bytes(b"\n".join([lines[0], b",\n".join(body), b"]}", b""]))
    one, _, _ = _audit(moved, base, "--jobs", "1", "--no-store")
    many, err, _ = _audit(moved, base, "--jobs", "2", "--no-store")
    assert "one process" in err and many == one
    plain, _, _ = _audit(snap, base, "--jobs", "1", "--no-store")
    assert one == plain, "line order does not change the report or the digest"


def test_scope_in_another_account_falls_back(tmp_path: Path) -> None:
    snap = estate()
    odd = snap.rulesets[0]
    elsewhere = replace(odd.log_scope, account="999999999999")  # type: ignore[type-var]
    path, base = tmp_path / "s.json", tmp_path / "b.yaml"
    write_snapshot(replace(snap, rulesets=(replace(odd, log_scope=elsewhere),
                                           *snap.rulesets[1:])), path)  # fmt: skip
    base.write_text(BASELINE)
    one, _, _ = _audit(path, base, "--jobs", "1", "--no-store")
    many, err, _ = _audit(path, base, "--jobs", "2", "--no-store")
    assert "log scope in another account" in err and many == one


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda b: b.replace(b"cloudfw.snapshot/1", b"cloudfw.snapshot/9", 1), r"\$\.schema"),
        (lambda b: b.replace(b'"ports":"22"', b'"ports":"70000"', 1), r"rules\[\d+\]\.ports"),
        (lambda b: b.replace(b'"ports":"22"', b'"ports":22', 1), r"rules\[\d+\]\.ports"),
    ],
)
def test_errors_name_the_file_and_field_as_in_one_process(
    files: tuple[Path, Path], edit: object, where: str
) -> None:
    snap, base = files
    snap.write_bytes(edit(snap.read_bytes()))  # type: ignore[operator]
    for jobs in ("1", "2"):
        res = CliRunner().invoke(app, ["audit", "--snapshot", str(snap), "--baseline", str(base),
                                       "--jobs", jobs, "--no-store"])  # fmt: skip
        lines = res.stderr.strip().splitlines()
        assert res.exit_code == 2 and len(lines) == 1, res.stderr
        assert lines[0].startswith(f"cloudfw: error: {snap}: ") and re.search(where, lines[0])

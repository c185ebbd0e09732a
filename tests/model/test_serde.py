"""Snapshot documents: round trip, digest stability, located decode errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Coverage,
    CoverageStatus,
    Direction,
    EvalSemantics,
    Logging,
    Rule,
    RuleSet,
    Snapshot,
    SourceRef,
    icmp_space,
    parse_ports,
    parse_protocol,
)
from cloudfw.model.serde import (
    DecodeError,
    snapshot_digest,
    snapshot_from_dict,
    snapshot_to_dict,
    source_to_dict,
)
from cloudfw.snapshotio import SnapshotFileError, digest, read_snapshot, write_snapshot

WHEN = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def sample() -> Snapshot:
    a = Asset(
        "aws",
        "123456789012",
        "us-east-1",
        "security-group",
        "sg-1",
        "web",
        "vpc-1",
        (("Role", "web"),),
    )
    rules = (
        Rule(
            "sgr-1",
            Direction.INGRESS,
            Action.ALLOW,
            parse_protocol("tcp"),
            parse_ports("22"),
            AddressSet.parse_many(["0.0.0.0/0", "::/0"]),
            description="ssh",
        ),
        Rule(
            "sgr-2",
            Direction.INGRESS,
            Action.ALLOW,
            parse_protocol("icmp"),
            icmp_space(8, None),
            AddressSet.symbol("sg", "sg-2"),
            origin=SourceRef("api", "ec2", record="sgr-2"),
        ),
        Rule(
            "r3",
            Direction.EGRESS,
            Action.DENY,
            order=5,
            layer=1,
            enabled=False,
            logging=Logging.OFF,
            targets=frozenset({"tag:web"}),
            quick=True,
            local=AddressSet.parse("10.0.0.0/8"),
            unresolved="odd",
        ),
    )
    rs = RuleSet(a, EvalSemantics.ALLOW_UNION, rules, logging=Logging.ON, is_default=True)
    cov = (Coverage("aws", "aws:123456789012:us-east-1", CoverageStatus.OK, resources=1),)
    return Snapshot((rs,), cov, WHEN, "0.1.0")


def test_round_trip_and_digest(tmp_path: Path) -> None:
    snap = sample()
    doc = snapshot_to_dict(snap)
    back = snapshot_from_dict(json.loads(json.dumps(doc)))
    assert back == snap
    assert snapshot_digest(back) == snapshot_digest(snap)
    path = tmp_path / "s.json"
    write_snapshot(snap, path)
    loaded = read_snapshot(path)
    assert loaded.rulesets == snap.rulesets
    assert digest(loaded) == snapshot_digest(snap), "file digest equals the model digest"
    gz = tmp_path / "s.json.gz"
    write_snapshot(snap, gz)
    assert read_snapshot(gz).rulesets == snap.rulesets


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["rulesets"][0]["rules"][0].update(ports="70000"), "rules[0].ports"),
        (lambda d: d["rulesets"][0]["rules"][0].update(peers=["10.0.0.300/8"]), "rules[0].peers"),
        (lambda d: d["rulesets"][0]["rules"][1].update(direction="sideways"), "rules[1].direction"),
        (lambda d: d["rulesets"][0]["rules"][0].update(order="1"), "rules[0].order"),
        (lambda d: d["rulesets"][0]["rules"][0].update(bogus=1), "rules[0].bogus"),
        (lambda d: d["rulesets"][0].update(semantics="magic"), "rulesets[0].semantics"),
        (lambda d: d.update(schema="other/9"), "$.schema"),
    ],
)
def test_decode_errors_name_the_field(mutate: object, where: str) -> None:
    doc = json.loads(json.dumps(snapshot_to_dict(sample())))
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(DecodeError) as err:
        snapshot_from_dict(doc)
    assert where in str(err.value)


def test_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "cloudfw.snapshot/1",\n "rulesets": [')
    with pytest.raises(SnapshotFileError, match=r"bad\.json: line 2: invalid JSON"):
        read_snapshot(bad)
    with pytest.raises(SnapshotFileError, match="cannot read"):
        read_snapshot(tmp_path / "missing.json")
    trunc = tmp_path / "t.json.gz"
    trunc.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(SnapshotFileError, match=r"t\.json\.gz"):
        read_snapshot(trunc)


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["rulesets"][0]["rules"][0].update(direction=["ingress"]), "direction"),
        (lambda d: d["rulesets"][0]["rules"][0].update(action={"a": 1}), "action"),
        (lambda d: d["rulesets"][0]["rules"][0].update(peers=[5]), "peers"),
        (lambda d: d["rulesets"][0]["rules"][0].update(ports=""), "ports"),
        (
            lambda d: d["rulesets"][0].update(attachments=[{"resource_id": "eni-1"}]),
            "resource_type",
        ),
        (
            lambda d: d["rulesets"][0].update(
                attachments=[{"resource_type": "eni", "resource_id": "e", "public_ips": None}]
            ),
            "public_ips",
        ),
        (lambda d: d["rulesets"][0]["rules"][1]["origin"].update(line="3"), "origin.line"),
        (lambda d: d["rulesets"][0]["rules"][1]["origin"].update(kind=1), "origin.kind"),
        (lambda d: d["rulesets"][0]["rules"][1]["origin"].update(extra=1), "origin.extra"),
        (lambda d: d["rulesets"][0]["rules"][1].update(origin="api"), "origin"),
        (lambda d: d["rulesets"][0]["rules"][1].update(builtin="yes"), "builtin"),
    ],
)
def test_fast_decoding_never_accepts_what_validation_rejects(mutate: object, where: str) -> None:
    doc = json.loads(json.dumps(snapshot_to_dict(sample())))
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(DecodeError) as err:
        snapshot_from_dict(doc)
    assert where in str(err.value)


def test_empty_port_set_round_trips_and_naive_times_are_utc() -> None:
    from dataclasses import replace

    from cloudfw.model import Intervals

    snap = sample()
    rs = snap.rulesets[0]
    empty = replace(rs.rules[0], ports=Intervals())
    snap = replace(snap, rulesets=(replace(rs, rules=(empty,)),))
    doc = json.loads(json.dumps(snapshot_to_dict(snap)))
    assert doc["rulesets"][0]["rules"][0]["ports"] == "none"
    assert snapshot_from_dict(doc).rulesets[0].rules[0].ports == Intervals()
    doc["collected_at"] = "2026-01-01T00:00:00"
    naive = snapshot_from_dict(doc)
    assert naive.collected_at.tzinfo is not None
    assert naive.merge(sample()).collected_at == WHEN


def test_plain_rule_builds_what_the_dataclass_builds() -> None:
    from dataclasses import fields

    from cloudfw.model.rule import PLAIN_RULE_FIELDS, plain_rule

    assert tuple(f.name for f in fields(Rule)) == PLAIN_RULE_FIELDS
    args = ("k", Direction.EGRESS, Action.DENY, parse_protocol("udp"), parse_ports("53"),
            AddressSet.parse("10.0.0.0/8"))  # fmt: skip
    fast = plain_rule(*args, 7, 2, Logging.ON, "dns")
    slow = Rule(*args, order=7, layer=2, logging=Logging.ON, description="dns")
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(AttributeError):
        fast.key = "other"  # type: ignore[misc]  # still frozen
    from cloudfw.model.fastpath import source_fast

    assert tuple(f.name for f in fields(SourceRef)) == ("kind", "location", "line", "record")
    for ref in (SourceRef("api", "ec2", record="r"), SourceRef("file", "f", 3)):
        assert source_fast(json.loads(json.dumps(source_to_dict(ref)))) == ref


def test_plain_source_builds_what_the_dataclass_builds() -> None:
    from dataclasses import fields

    from cloudfw.model import SourceRef, plain_source

    assert [f.name for f in fields(SourceRef)] == ["kind", "location", "line", "record"]
    for args in (("file", "a.log", 3, None), ("record", "x.json", None, "r1")):
        fast, slow = plain_source(*args), SourceRef(*args)
        assert fast == slow and hash(fast) == hash(slow) and str(fast) == str(slow)
    with pytest.raises(AttributeError):
        plain_source("file", "a", 1).line = 2  # type: ignore[misc]  # still frozen

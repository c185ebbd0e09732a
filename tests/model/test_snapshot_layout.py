"""The snapshot file's line layout: streamed back exactly as the one-document reading, with the
same digest; any deviation is read as one document; errors stay located."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from cloudfw.model import (
    Action,
    AddressSet,
    Asset,
    Coverage,
    CoverageStatus,
    Direction,
    EvalSemantics,
    Rule,
    RuleSet,
    Snapshot,
    parse_ports,
    parse_protocol,
)
from cloudfw.model.serde import snapshot_digest, snapshot_to_dict
from cloudfw.snapshotio import SnapshotFileError, encode_snapshot, read_snapshot, write_snapshot

WHEN = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def estate(n: int = 5) -> Snapshot:
    """Rule sets deliberately out of digest order (and one from another provider)."""
    web = Asset("aws", "123456789012", "us-east-1", "security-group", "sg-web", "web", "vpc-1")
    ssh = Rule(
        "sgr-1",
        Direction.INGRESS,
        Action.ALLOW,
        parse_protocol("tcp"),
        parse_ports("22"),
        AddressSet.parse_many(["0.0.0.0/0", "::/0"]),
        description="ssh \u00e9 \\n",
    )
    cov = (Coverage("aws", "123456789012/us-east-1", CoverageStatus.OK, resources=1),)
    base = Snapshot((RuleSet(web, EvalSemantics.ALLOW_UNION, (ssh,)),), cov, WHEN, "0.1.0")
    extra = []
    for i in reversed(range(n)):
        a = Asset("gcp" if i == 2 else "aws", "1", "r", "security-group", f"sg-{i:03d}")
        r = Rule(f"k{i}", Direction.INGRESS, Action.ALLOW)
        extra.append(RuleSet(a, EvalSemantics.ALLOW_UNION, (r,)))
    return replace(base, rulesets=(*extra, *base.rulesets), warnings=("w 1", 'quote " x'))


def test_layout_is_one_rule_set_per_line_sorted() -> None:
    data = encode_snapshot(estate())
    lines = data.split(b"\n")
    assert lines[0].endswith(b',"rulesets":[') and lines[-2:] == [b"]}", b""]
    body = lines[1:-2]
    assert len(body) == 6 and all(x.endswith(b",") for x in body[:-1])
    keys = [(d["asset"]["provider"], d["asset"]["resource_id"]) for d in
            (orjson.loads(x.rstrip(b",")) for x in body)]  # fmt: skip
    assert keys == sorted(keys)
    snap = estate()
    in_order = sorted(snap.rulesets, key=lambda rs: (rs.asset.provider, rs.asset.resource_id))
    assert orjson.loads(data) == snapshot_to_dict(replace(snap, rulesets=tuple(in_order)))


@pytest.mark.parametrize("name", ["s.json", "s.json.gz"])
def test_streamed_equals_document_reading(tmp_path: Path, name: str) -> None:
    snap = estate()
    path = tmp_path / name
    write_snapshot(snap, path)
    streamed = read_snapshot(path)
    pretty = tmp_path / "pretty.json"
    doc = orjson.loads(encode_snapshot(snap))
    pretty.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    whole = read_snapshot(pretty)
    assert streamed == whole
    assert set(streamed.rulesets) == set(snap.rulesets)
    assert streamed.digest_hint == whole.digest_hint == snapshot_digest(snap)


def test_unsorted_lines_still_digest_correctly(tmp_path: Path) -> None:
    snap = estate()
    lines = encode_snapshot(snap).split(b"\n")
    body = [x.rstrip(b",") for x in lines[1:-2]]
    body.reverse()
    path = tmp_path / "hand.json"
    path.write_bytes(b"\n".join([lines[0], b",\n".join(body), b"]}", b""]))
    back = read_snapshot(path)
    assert [rs.asset.resource_id for rs in back.rulesets] == [
        orjson.loads(x)["asset"]["resource_id"] for x in body
    ]
    assert back.digest_hint == snapshot_digest(snap)


def test_empty_snapshot(tmp_path: Path) -> None:
    snap = Snapshot((), (), WHEN, "t")
    path = tmp_path / "e.json"
    write_snapshot(snap, path)
    assert path.read_bytes().endswith(b',"rulesets":[\n]}\n')
    back = read_snapshot(path)
    assert back.rulesets == () and back.digest_hint == snapshot_digest(snap)


def _lines(snap: Snapshot) -> list[bytes]:
    return encode_snapshot(snap).split(b"\n")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # a missing comma between two rule sets: the document is not JSON at all
        (lambda ls: [ls[0], ls[1].rstrip(b","), *ls[2:]], r"line 3: invalid JSON"),
        # a trailing comma before the closing line
        (lambda ls: [*ls[:-3], ls[-3] + b",", *ls[-2:]], r"line \d+: invalid JSON"),
        # truncated: no closing line
        (lambda ls: ls[:-2], r"line \d+: invalid JSON"),
        # garbage after the document
        (lambda ls: [*ls, b"{}"], r"invalid JSON"),
        # a rule set split over two lines is fine JSON, read as one document
        (lambda ls: [ls[0], ls[1][:10], ls[1][10:], *ls[2:]], None),
        # a broken field inside a well-formed line names the field
        (lambda ls: [ls[0], ls[1].replace(b'"ingress"', b'"sideways"', 1), *ls[2:]],
         r"\$\.rulesets\[0\]\.rules\[0\]\.direction"),
    ],
)  # fmt: skip
def test_deviations(tmp_path: Path, edit: object, message: str | None) -> None:
    snap = estate()
    path = tmp_path / "x.json"
    path.write_bytes(b"\n".join(edit(_lines(snap))))  # type: ignore[operator]
    if message is None:
        assert read_snapshot(path).digest_hint == snapshot_digest(snap)
        return
    with pytest.raises(SnapshotFileError, match=message):
        read_snapshot(path)


def test_truncated_gzip_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "s.json.gz"
    path.write_bytes(gzip.compress(encode_snapshot(estate()))[:-40])
    with pytest.raises(SnapshotFileError, match=r"s\.json\.gz: cannot read"):
        read_snapshot(path)

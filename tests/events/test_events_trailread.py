"""CloudTrail reads decoded field by field (cloudfw.events.trailread) are the same events as the
whole-record path (reads.aws_read), by property over records of every shape a field can take;
and a whole file read through the reader gives the same lines either way."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.events import ENUMERATION, EventReader, ReadOptions, local_units, reads
from cloudfw.events.errors import RecordError
from cloudfw.events.serialize import to_jsonl
from cloudfw.events.trailread import decode_read
from cloudfw.model import EnumerationEvent, SourceRef

ROOT = Path(__file__).resolve().parents[2]
RECON = ROOT / "tests" / "events" / "enumeration" / "cloudtrail-recon.json"

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False,
    allow_infinity=False), st.text(max_size=8), st.sampled_from(["", "0", "111122223333"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=2)
    ),
    max_leaves=6,
)
identity = st.one_of(
    values,
    st.fixed_dictionaries({}, optional={
        "arn": st.one_of(st.just("arn:aws:iam::111122223333:user/a"), values),
        "invokedBy": values, "principalId": values, "userName": values, "type": values,
        "accountId": st.one_of(st.just("444455556666"), values),
    }),
    st.just('{"arn": "arn:aws:iam::1:user/json-in-a-string"}'),
)  # fmt: skip
request = st.one_of(
    values,
    st.fixed_dictionaries({}, optional={
        "groupId": st.one_of(st.just("sg-0a1b"), values),
        "securityGroupIdSet": st.one_of(values, st.just({"items": [{"groupId": "sg-1"}, {}]})),
        "networkAclId": values, "vpcId": values,
    }),
)  # fmt: skip
record = st.fixed_dictionaries(
    {"eventName": st.sampled_from(sorted(reads.AWS_READS))},
    optional={
        "eventSource": st.sampled_from(["ec2.amazonaws.com", "network-firewall.amazonaws.com",
                                        "rds.amazonaws.com", "s3.amazonaws.com", None]),
        "eventTime": st.one_of(st.just("2026-11-03T02:10:04Z"), st.just("2026-11-03T02:10:04.5Z"),
                               st.just(1762135804), values),
        "awsRegion": values, "recipientAccountId": values, "sourceIPAddress": values,
        "userAgent": values, "errorCode": st.one_of(st.just("AccessDenied"), values),
        "eventID": values, "userIdentity": identity, "requestParameters": request,
        "detail-type": values, "tlsDetails": values,
    },
)  # fmt: skip


def _whole(rec: dict[str, Any], origin: SourceRef) -> EnumerationEvent | str | None:
    try:
        return reads.aws_read(rec, origin) if reads.is_aws_read(rec) else None
    except (RecordError, ValueError, TypeError) as e:
        return f"{type(e).__name__}: {e}"


def _view(rec: dict[str, Any], origin: SourceRef) -> EnumerationEvent | str | None:
    view = decode_read(orjson.dumps(rec))
    assert view is not None
    try:
        return reads.aws_view_read(view, origin)
    except (RecordError, ValueError, TypeError) as e:
        return f"{type(e).__name__}: {e}"


@settings(max_examples=400, deadline=None)
@given(record)
def test_a_decoded_read_is_the_whole_records_read(rec: dict[str, Any]) -> None:
    origin = SourceRef("record", "f.json", record="0")
    if decode_read(orjson.dumps(rec)) is None:  # not a read's shape: the reader converts it whole
        ident, envelope = rec.get("userIdentity"), "detail-type" in rec
        assert envelope or not (ident is None or isinstance(ident, dict))
        return
    assert _view(rec, origin) == _whole(rec, origin)


def test_shapes_that_are_not_a_plain_read_go_the_whole_record_way() -> None:
    base = {"eventName": "DescribeSecurityGroups", "eventTime": "2026-11-03T02:10:04Z"}
    assert decode_read(orjson.dumps(base)) is not None
    for extra in ({"detail-type": None}, {"userIdentity": "{}"}, {"userIdentity": []}):
        assert decode_read(orjson.dumps({**base, **extra})) is None
    assert decode_read(b'{"eventName": 5}') is None
    assert decode_read(b"[1]") is None


def _lines(path: Path) -> list[bytes]:
    reader = EventReader(ReadOptions(kinds=frozenset({ENUMERATION})))
    return [to_jsonl(ev) for unit in local_units(str(path)) for ev in reader.read_all([unit])]


@pytest.mark.parametrize("gz", [False, True])
def test_a_trail_file_reads_the_same_through_the_lazy_parser(tmp_path: Path, gz: bool) -> None:
    """The corpus file as a small buffered CloudTrail file (the decoded path) and as JSON
    Lines of the same records (the whole-record path): the same enumeration lines."""
    records = json.loads(RECON.read_text())["Records"]
    trail = tmp_path / ("t.json.gz" if gz else "t.json")
    body = json.dumps({"Records": records}).encode()
    trail.write_bytes(gzip.compress(body) if gz else body)
    lines = tmp_path / "t.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    decoded, whole = _lines(trail), _lines(lines)
    assert decoded == whole
    assert len(decoded) > 20

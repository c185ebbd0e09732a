"""CloudTrail reads decoded field by field and written straight into their lines
(cloudfw.events.trailread) are the same events and the same lines as the whole-record path
(reads.aws_read, serialize.to_jsonl), by property over records of every shape a field can take;
times parse as parse_time does; and a whole file read through the reader gives the same lines
either way."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.events import ENUMERATION, EventReader, ReadOptions, local_units, reads
from cloudfw.events.decode import LINE, PROBLEM, READ
from cloudfw.events.errors import RecordError
from cloudfw.events.lines import LineWriter, read_line
from cloudfw.events.normal import parse_time
from cloudfw.events.reads import TARGET_KEYS
from cloudfw.events.serialize import stamp, to_jsonl
from cloudfw.events.trailread import Request, TrailEvents, TrailLines, decode_read
from cloudfw.model import EnumerationEvent, SourceRef, epoch_micros

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
        return str(e)


@settings(max_examples=500, deadline=None)
@given(record)
def test_a_decoded_read_is_the_whole_records_read_and_line(rec: dict[str, Any]) -> None:
    origin = SourceRef("record", "f.json", record="0")
    whole = _whole(rec, origin)
    op = TrailLines("f.json")(orjson.dumps(rec), "0")
    as_event = TrailEvents("f.json")(orjson.dumps(rec), "0")
    if as_event is None or as_event[0] is PROBLEM:  # both hooks leave it or refuse it alike
        assert as_event == op
    else:
        assert as_event[0] is READ
        assert as_event[1] == whole
    if op is None:  # not a firewall read, or not a read's shape: the reader converts it whole
        if decode_read(orjson.dumps(rec)) is None:
            ident, envelope = rec.get("userIdentity"), "detail-type" in rec
            assert (
                envelope
                or not (ident is None or isinstance(ident, dict))
                or ("requestParameters" in rec and not isinstance(rec["requestParameters"], dict))
            )
        else:
            assert whole is None
        return
    if op[0] is PROBLEM:
        assert op[1].message == whole
        assert (op[1].location, op[1].record, op[2]) == ("f.json", "0", False)
        return
    assert op[0] is LINE
    line = read_line(op[1])
    assert isinstance(whole, EnumerationEvent)
    assert line.event() == whole
    assert line.line == to_jsonl(whole)
    assert (line.event_id, line.micros, line.success) == (
        whole.event_id, epoch_micros(whole.time), whole.success
    )  # fmt: skip
    assert line.caller == ("aws", whole.account, whole.principal, whole.source_ip)


def test_the_request_struct_reads_every_target_key() -> None:
    assert Request.__struct_fields__ == TARGET_KEYS


stamped = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format,
    st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61),
)  # fmt: skip
times = st.one_of(
    stamped, st.text(max_size=24), st.just("2026-11-03T02:10:04.5Z"),
    st.just("2026-11-03T04:10:04+02:00"), st.integers(-(2**40), 2**40), st.none(),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(times, max_size=4))
def test_a_time_is_written_as_parse_time_and_stamp_would(values: list[object]) -> None:
    writer = LineWriter()
    for value in values + values:  # the second time from the writer's memory
        try:
            t = parse_time(value, "eventTime")
        except RecordError as e:
            with pytest.raises(RecordError, match=re.escape(str(e))):
                writer.time(value, "eventTime")
            continue
        assert writer.time(value, "eventTime") == (stamp(t), epoch_micros(t))


def test_shapes_that_are_not_a_plain_read_go_the_whole_record_way() -> None:
    base = {"eventName": "DescribeSecurityGroups", "eventTime": "2026-11-03T02:10:04Z"}
    assert decode_read(orjson.dumps(base)) is not None
    for extra in ({"detail-type": None}, {"userIdentity": "{}"}, {"userIdentity": []}):
        assert decode_read(orjson.dumps({**base, **extra})) is None
    assert decode_read(b'{"eventName": 5}') is None
    assert decode_read(b"[1]") is None


def _lines(path: Path, as_lines: bool = False) -> list[bytes]:
    reader = EventReader(ReadOptions(kinds=frozenset({ENUMERATION}), lines=as_lines))
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
    assert decoded == whole == _lines(trail, as_lines=True)
    assert len(decoded) > 20

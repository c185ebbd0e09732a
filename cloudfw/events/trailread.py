"""The fields of a CloudTrail record that a firewall read (`cloudfw.events.reads`) needs,
decoded in one C pass with msgspec instead of converting the whole record to Python objects,
and written straight into the read's jsonl line (`cloudfw.events.lines`).

A quarter of a busy trail can be ``Describe*`` calls; turning each of those ~2 KB records into a
dict (``userIdentity.sessionContext``, ``tlsDetails`` ...) only to read a dozen fields was most of
the cost of ``--kind enumeration|all``. :func:`decode_read` decodes the record's minified JSON
into :class:`AwsRead`, which holds exactly those fields; a record whose fields have other shapes
than a read's (``userIdentity`` as a string, an EventBridge envelope ...) is None, and the reader
then takes the whole-record path as before, so the events are the same either way.
`TrailEvents` is `cloudfw.events.reads.aws_read` of such a record; `TrailLines` is the same
written straight into the event's jsonl line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import orjson

from cloudfw.events.decode import LINE, PROBLEM, READ, RECORD_ERRORS, Op
from cloudfw.events.errors import Problem
from cloudfw.events.lines import LineFields, LineWriter
from cloudfw.events.normal import parse_time
from cloudfw.events.reads import AWS_SOURCES, DEFAULT_SOURCE, TARGET_KEYS, aws_target
from cloudfw.model import EnumerationEvent, SourceRef


class Identity(msgspec.Struct, frozen=True, gc=False):
    """``userIdentity``: the keys `cloudfw.events.aws.principal` and the account fallback
    read (missing keys are None, as ``dict.get`` would say)."""

    arn: Any = None
    invokedBy: Any = None
    principalId: Any = None
    userName: Any = None
    type: Any = None
    accountId: Any = None


class Request(msgspec.Struct, frozen=True, gc=False):
    """``requestParameters``: the keys `aws_target` reads (`TARGET_KEYS`, in order; the
    others are skipped undecoded)."""

    groupId: Any = None
    networkAclId: Any = None
    firewallArn: Any = None
    firewallName: Any = None
    firewallPolicyArn: Any = None
    firewallPolicyName: Any = None
    ruleGroupArn: Any = None
    ruleGroupName: Any = None
    resourceArn: Any = None
    prefixListId: Any = None
    vpcId: Any = None
    dBSecurityGroupName: Any = None
    securityGroupIdSet: Any = None
    networkAclIdSet: Any = None


_NO_TARGET = (None,) * len(TARGET_KEYS)


class AwsRead(msgspec.Struct, frozen=True, gc=False):
    """A CloudTrail record reduced to what a read needs (missing keys None, except
    ``eventSource``: missing is EC2, ``null`` stays None)."""

    eventName: str
    eventSource: Any = DEFAULT_SOURCE
    eventTime: Any = None
    awsRegion: Any = None
    recipientAccountId: Any = None
    sourceIPAddress: Any = None
    userAgent: Any = None
    errorCode: Any = None
    eventID: Any = None
    userIdentity: Identity | None = None
    requestParameters: Request | None = None
    #: present (even null) when the record is an EventBridge envelope, not a plain record
    detail_type: Any = msgspec.field(default=msgspec.UNSET, name="detail-type")


_DECODER = msgspec.json.Decoder(AwsRead)


def decode_read(text: bytes) -> AwsRead | None:
    """``text``: one record's JSON. None when it is not shaped like a plain CloudTrail record
    (the caller then converts the whole record)."""
    try:
        rec = _DECODER.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return rec if rec.detail_type is msgspec.UNSET else None


def _firewall_read(text: bytes) -> AwsRead | None:
    """`decode_read`, None too for a record that is not a firewall read after all (another
    service's call of the same name)."""
    try:
        rec = _DECODER.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    source = rec.eventSource
    names = AWS_SOURCES.get(source if source.__class__ is str else str(source))  # is_read_of
    if names is None or rec.eventName not in names or rec.detail_type is not msgspec.UNSET:
        return None
    return rec


#: account, region, resource_id, principal, source_ip, user_agent, success, error_code, event_id
Values = tuple[str, str, str, str, str, str, bool, str, str]


def _values(rec: AwsRead) -> Values:
    """`cloudfw.events.reads.aws_read`'s fields of a decoded record, but its time and API."""
    ident, code = rec.userIdentity, rec.errorCode
    account = rec.recipientAccountId or (None if ident is None else ident.accountId)
    if ident is None:  # as `principal_of`
        who = ""
    elif ident.arn or ident.invokedBy or ident.principalId or ident.userName:
        who = str(ident.arn or ident.invokedBy or ident.principalId or ident.userName)
    else:
        who = "" if ident.type is None else str(ident.type)
    req = rec.requestParameters
    if req is None or (values := msgspec.structs.astuple(req)) == _NO_TARGET:
        target = ""
    else:
        target = aws_target(dict(zip(TARGET_KEYS, values, strict=True)))
    region, ip, agent, eid = rec.awsRegion, rec.sourceIPAddress, rec.userAgent, rec.eventID
    return (
        "" if account is None else str(account),
        "" if region is None else str(region),
        target,
        who,
        "" if ip is None else str(ip),
        "" if agent is None else str(agent),
        not code,
        "" if code is None else str(code),
        "" if eid is None else str(eid),
    )


def _read_op(
    text: bytes, index: str, location: str, build: Callable[[AwsRead, str], Op]
) -> Op | None:
    """``build``'s op for a firewall read of a plain record's shape, ``(PROBLEM, ...)`` naming
    ``location`` and the record when it does not fit, None when the record is not such a read."""
    rec = _firewall_read(text)
    if rec is None:
        return None
    try:
        return build(rec, index)
    except RECORD_ERRORS as e:
        return (PROBLEM, Problem(location, str(e) or type(e).__name__, index), False)


class TrailEvents:
    """`cloudfw.events.files.iter_raw`'s ``read`` hook for the CloudTrail reads of one input
    (``location``) when the reader wants events: each record decoded (`decode_read`) into its
    `EnumerationEvent`, as ``(READ, event)``; ``(PROBLEM, ...)`` for a record that does not fit;
    None when it is not a firewall read of a plain record's shape (the reader then converts
    the whole record)."""

    def __init__(self, location: str) -> None:
        self.location = location

    def __call__(self, text: bytes, index: str) -> Op | None:
        return _read_op(text, index, self.location, self._event)

    def _event(self, rec: AwsRead, index: str) -> Op:
        account, region, target, who, ip, agent, ok, code, eid = _values(rec)
        t = parse_time(rec.eventTime, "eventTime")
        origin = SourceRef("record", self.location, record=index)
        return (
            READ,
            EnumerationEvent(
                "aws", account, region, t, rec.eventName, target, who, ip, agent, ok, code,
                eid, origin,
            ),
        )  # fmt: skip


class TrailLines(LineWriter):
    """`TrailEvents` for a reader that writes jsonl: each record written straight into its
    line, as ``(LINE, fields)`` (the fields of a `cloudfw.events.lines.ReadLine`)."""

    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location

    def __call__(self, text: bytes, index: str) -> Op | None:
        return _read_op(text, index, self.location, lambda rec, i: (LINE, self._fields(rec, i)))

    def _fields(self, rec: AwsRead, index: str) -> LineFields:
        t = rec.eventTime
        when = self._times.get(t) if t.__class__ is str else None
        if when is None:
            when = self.time(t, "eventTime")
        account, region, target, who, ip, agent, ok, code, eid = _values(rec)
        doc = self._doc  # the line's fields, `cloudfw.events.serialize.enumeration_doc`'s
        doc["account"] = account
        doc["region"] = region
        doc["time"] = when[0]
        doc["event_name"] = rec.eventName
        doc["resource_id"] = target
        doc["principal"] = who
        doc["source_ip"] = ip
        doc["success"] = ok
        doc["error_code"] = code
        doc["event_id"] = eid
        doc["user_agent"] = agent
        line = orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE)
        caller = self.caller(("aws", account, who, ip))
        return (line, eid, when[1], caller, ok, self.location, index)

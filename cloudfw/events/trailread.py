"""The fields of a CloudTrail record that a firewall read (`cloudfw.events.reads`) needs,
decoded in one C pass with msgspec instead of converting the whole record to Python objects.

A quarter of a busy trail can be ``Describe*`` calls; turning each of those ~2 KB records into a
dict (``userIdentity.sessionContext``, ``tlsDetails`` ...) only to read a dozen fields was most of
the cost of ``--kind enumeration|all``. :func:`decode_read` decodes the record's minified JSON
into :class:`AwsRead`, which holds exactly those fields; a record whose fields have other shapes
than a read's (``userIdentity`` as a string, an EventBridge envelope ...) is None, and the reader
then takes the whole-record path as before, so the events are the same either way.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cloudfw.events.reads import DEFAULT_SOURCE


class Identity(msgspec.Struct, frozen=True, gc=False):
    """``userIdentity``: the keys `cloudfw.events.aws.principal` and the account fallback
    read (missing keys are None, as ``dict.get`` would say)."""

    arn: Any = None
    invokedBy: Any = None
    principalId: Any = None
    userName: Any = None
    type: Any = None
    accountId: Any = None


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
    requestParameters: Any = None
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

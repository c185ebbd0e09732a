"""AWS event sources: CloudTrail log objects in S3, and CloudTrail LookupEvents.

Only this module touches boto3 for events. It yields raw material (object streams, LookupEvents
items) for the pure readers in ``cloudfw.events``. Read-only: ListObjectsV2, GetObject and
LookupEvents, through the read-only guarded session. Endpoints follow the standard
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_CLOUDTRAIL`` variables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from cloudfw.events.stream import SKIP_DIRS, SUFFIXES
from cloudfw.providers.aws.session import (
    SessionFactory,
    client_config,
    make_client,
    read_only_session,
)
from cloudfw.providers.aws.tuning import AwsTuning
from cloudfw.providers.base import EventSourceError

SKIP_PARTS = tuple(f"/{d}/" for d in sorted(SKIP_DIRS))  # the same objects a local tree skips


def parse_s3_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://"):
        raise EventSourceError(url, "expected s3://bucket/prefix")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise EventSourceError(url, "missing bucket name")
    return bucket, prefix


def _client(session_factory: SessionFactory | None, service: str, region: str = "") -> Any:
    """Through the collectors' own door: read-only session, https (or loopback) endpoint,
    standard retries and timeouts."""
    session = read_only_session(session_factory)
    where = region or session.region_name or "us-east-1"
    return make_client(session, service, where, client_config(AwsTuning()))


def _describe(e: Exception) -> str:
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}".rstrip(": ")
    return f"{type(e).__name__}: {e}"


def s3_objects(
    url: str,
    session_factory: SessionFactory | None = None,
    client: Any = None,
    page_size: int = 1000,
) -> Iterator[tuple[str, Callable[[], IO[bytes]]]]:
    """(``s3://bucket/key``, opener) for every log object under the prefix, in key order.

    Digest and Insight objects are skipped. The opener returns the streaming body: nothing is
    downloaded whole. A listing failure raises EventSourceError naming the prefix."""
    bucket, prefix = parse_s3_url(url)
    s3 = client or _client(session_factory, "s3")
    own = client is None and session_factory is None  # objects any process can open alike
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
        )
        for page in pages:
            for obj in page.get("Contents", []):
                key = str(obj["Key"])
                if any(p in f"/{key}" for p in SKIP_PARTS) or not key.endswith(SUFFIXES):
                    continue
                opener = S3Object(bucket, key) if own else _opener(s3, bucket, key)
                yield f"s3://{bucket}/{key}", opener
    except (ClientError, BotoCoreError) as e:
        raise EventSourceError(url, _describe(e)) from None


_PROCESS_CLIENT: dict[int, Any] = {}


@dataclass(frozen=True)
class S3Object:
    """Opens one object from the standard credential chain of the process that calls it: a
    picklable opener (`cloudfw.events.fanout` decodes objects in workers; no credential is in
    it). One client per process (a forked worker never reuses its parent's connections)."""

    bucket: str
    key: str
    portable: ClassVar[bool] = True

    def __call__(self) -> IO[bytes]:
        s3 = _PROCESS_CLIENT.get(os.getpid())
        if s3 is None:
            _PROCESS_CLIENT.clear()
            s3 = _PROCESS_CLIENT[os.getpid()] = _client(None, "s3")
        return _opener(s3, self.bucket, self.key)()


def _opener(s3: Any, bucket: str, key: str) -> Callable[[], IO[bytes]]:
    def open_() -> IO[bytes]:
        try:
            body: IO[bytes] = s3.get_object(Bucket=bucket, Key=key)["Body"]
        except (ClientError, BotoCoreError) as e:
            raise EventSourceError(f"s3://{bucket}/{key}", _describe(e)) from None
        return body

    return open_


def lookup_events(
    region: str,
    since: datetime | None = None,
    until: datetime | None = None,
    session_factory: SessionFactory | None = None,
    client: Any = None,
    page_size: int = 50,
) -> Iterator[dict[str, Any]]:
    """Every write (``ReadOnly=false``) management event from LookupEvents in one region.

    Items keep the API shape: ``CloudTrailEvent`` is the full record as a JSON string."""
    ct = client or _client(session_factory, "cloudtrail", region)
    args: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        "PaginationConfig": {"PageSize": page_size},
    }
    if since:
        args["StartTime"] = since
    if until:
        args["EndTime"] = until
    try:
        for page in ct.get_paginator("lookup_events").paginate(**args):
            yield from page.get("Events", [])
    except (ClientError, BotoCoreError) as e:
        raise EventSourceError(f"cloudtrail://{region}", _describe(e)) from None

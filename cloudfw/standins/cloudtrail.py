"""A CloudTrail ``LookupEvents`` stand-in (moto lacks it): stdlib JSON-1.1 HTTP on 127.0.0.1.

Point boto3 at it with ``AWS_ENDPOINT_URL_CLOUDTRAIL`` (or ``endpoint_url``). It serves full
CloudTrail records the way the API does: newest first, ``CloudTrailEvent`` as a JSON string,
``ReadOnly`` as a string, ``EventTime`` as epoch seconds, paged by ``NextToken`` (at most
``MaxResults``, capped at 50 like AWS). ``LookupAttributes`` (EventName, ReadOnly, EventSource,
Username, ResourceName, EventId) and ``StartTime``/``EndTime`` filter. Every request is recorded
in ``requests``. ``fail_after`` makes the N-th page request answer 500 (a fault to test with).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudfw.standins.awsjson import Answer, AwsJsonServer

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
MAX_PAGE = 50


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _item(rec: Mapping[str, Any]) -> dict[str, Any]:
    ident = rec.get("userIdentity") or {}
    req = rec.get("requestParameters") or {}
    resources = []
    kinds = (("groupId", "AWS::EC2::SecurityGroup"), ("networkAclId", "AWS::EC2::NetworkAcl"))
    for key, rtype in kinds:
        if isinstance(req, Mapping) and isinstance(req.get(key), str):
            resources.append({"ResourceType": rtype, "ResourceName": req[key]})
    return {
        "EventId": rec.get("eventID", ""),
        "EventName": rec.get("eventName", ""),
        "ReadOnly": "true" if rec.get("readOnly") else "false",
        "AccessKeyId": ident.get("accessKeyId", ""),
        "EventTime": _epoch(str(rec.get("eventTime"))),
        "EventSource": rec.get("eventSource", ""),
        "Username": ident.get("userName") or str(ident.get("arn", "")).rsplit("/", 1)[-1],
        "Resources": resources,
        "CloudTrailEvent": json.dumps(rec),
    }


@dataclass
class CloudTrailStandin:
    records: Sequence[Mapping[str, Any]]
    fail_after: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    endpoint: str = ""
    _server: AwsJsonServer | None = None

    def start(self) -> CloudTrailStandin:
        items = sorted((_item(r) for r in self.records), key=lambda i: -float(i["EventTime"]))

        def handle(target: str, _: Mapping[str, str], req: dict[str, Any]) -> Answer:
            self.requests.append({"target": target, **req})
            if target != TARGET:
                return 400, {"__type": "UnknownOperationException"}
            if self.fail_after is not None and len(self.requests) > self.fail_after:
                return 500, {"__type": "InternalFailure", "message": "injected"}
            sel = [i for i in items if _matches(i, req)]
            start = int(req.get("NextToken") or 0)
            size = min(int(req.get("MaxResults") or MAX_PAGE), MAX_PAGE)
            body: dict[str, Any] = {"Events": sel[start : start + size]}
            if start + size < len(sel):
                body["NextToken"] = str(start + size)
            return 200, body

        self._server = AwsJsonServer(handle, "application/x-amz-json-1.1")
        self.endpoint = self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def _matches(item: Mapping[str, Any], req: Mapping[str, Any]) -> bool:
    t = float(item["EventTime"])
    if "StartTime" in req and t < float(req["StartTime"]):
        return False
    if "EndTime" in req and t > float(req["EndTime"]):
        return False
    for attr in req.get("LookupAttributes") or []:
        key, value = attr.get("AttributeKey"), attr.get("AttributeValue")
        if key == "ResourceName":
            if not any(r["ResourceName"] == value for r in item["Resources"]):
                return False
        elif key in ("EventName", "ReadOnly", "EventSource", "Username", "EventId") and (
            str(item.get(key)) != value
        ):
            return False
    return True

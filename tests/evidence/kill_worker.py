"""Writes a large CloudTrail file for the kill -9 test: `kill_worker.py OUT N` (N records, each an
AuthorizeSecurityGroupIngress in the shape CloudTrail logs it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def record(i: int) -> dict[str, object]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE0001",
                         "arn": "arn:aws:iam::111122223333:user/alice",
                         "accountId": "111122223333", "userName": "alice"},
        "eventTime": f"2026-11-02T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "AuthorizeSecurityGroupIngress",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {
            "groupId": f"sg-{i:017x}",
            "ipPermissions": {"items": [{
                "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
            }]},
        },
        "responseElements": {"requestId": f"req-{i}", "_return": True},
        "requestID": f"5f3c2a1e-0000-4000-8000-{i:012d}",
        "eventID": f"0d7e3a5b-1111-4222-8333-{i:012d}",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }  # fmt: skip


if __name__ == "__main__":
    out, n = Path(sys.argv[1]), int(sys.argv[2])
    out.write_text(json.dumps({"Records": [record(i) for i in range(n)]}), encoding="utf-8")

"""Synthetic CloudTrail log trees for the events benchmark (deterministic, fast).

Writes ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<ts>_<id>
.json.gz`` files of ``{"Records": [...]}``. About ``firewall_share`` of the records are firewall
changes in all three request layouts (nested ipPermissions, legacy flat, PascalCase wrappers),
NACL entries and flow-log deletions; the rest is realistic noise (Describe*, S3, STS, KMS,
console logins), including read-only calls such as DescribeSecurityGroups that a naive name
filter picks up.

    python -m benchmarks.cloudtrail_gen OUT_DIR [--records 1000000] [--per-file 2000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def _ident(i: int) -> dict[str, Any]:
    if i % 3 == 0:
        return {"type": "IAMUser", "principalId": f"AIDAEXAMPLE{i:09d}",
                "arn": f"arn:aws:iam::111122223333:user/user{i}", "accountId": "111122223333",
                "accessKeyId": f"AKIAEXAMPLE{i:09d}", "userName": f"user{i}"}  # fmt: skip
    return {"type": "AssumedRole", "principalId": f"AROAEXAMPLE{i:09d}:session{i}",
            "arn": f"arn:aws:sts::111122223333:assumed-role/role{i}/session{i}",
            "accountId": "111122223333", "accessKeyId": f"ASIAEXAMPLE{i:09d}",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": f"AROA{i:016d}",
                               "arn": f"arn:aws:iam::111122223333:role/role{i}",
                               "accountId": "111122223333", "userName": f"role{i}"},
                               "attributes": {"creationDate": "2026-11-02T08:00:00Z",
                                              "mfaAuthenticated": "false"}}}  # fmt: skip


NOISE: list[tuple[str, str, Any, Any, bool]] = [
    ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}, None, True),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", {"securityGroupSet": {}, "filterSet": {}},
     None, True),
    ("ec2.amazonaws.com", "DescribeNetworkAcls", {"networkAclIdSet": {}, "filterSet": {}}, None,
     True),
    ("ec2.amazonaws.com", "DescribeFlowLogs", {"DescribeFlowLogsRequest": {}}, None, True),
    ("s3.amazonaws.com", "GetObject", {"bucketName": "app-assets",
     "Host": "app-assets.s3.amazonaws.com", "key": "static/js/main.8f2c1a.js"}, None, True),
    ("s3.amazonaws.com", "PutObject",
     {"bucketName": "app-logs", "key": "2026/11/02/part-0001.gz"}, None, False),
    ("sts.amazonaws.com", "AssumeRole", {"roleArn": "arn:aws:iam::111122223333:role/deploy",
     "roleSessionName": "ci-1234", "durationSeconds": 3600},
     {"credentials": {"accessKeyId": "ASIAEXAMPLEEXAMPLE01",
                      "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                      "expiration": "Nov 2, 2026, 11:00:00 AM"}}, False),
    ("kms.amazonaws.com", "Decrypt", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, None, True),
    ("kms.amazonaws.com", "GenerateDataKey", {"keyId": "alias/app", "keySpec": "AES_256"}, None,
     True),
    ("signin.amazonaws.com", "ConsoleLogin", None, {"ConsoleLogin": "Success"}, False),
    ("lambda.amazonaws.com", "Invoke", {"functionName": "resize-images"}, None, False),
    ("logs.amazonaws.com", "CreateLogStream", {"logGroupName": "/aws/lambda/resize",
     "logStreamName": "2026/11/02/[$LATEST]abc"}, None, False),
]  # fmt: skip


def _firewall(i: int, rng: random.Random) -> tuple[str, Any, Any]:
    sg = f"sg-{rng.getrandbits(60):015x}"
    port = rng.choice((22, 80, 443, 3389, 5432, 8080))
    cidr = rng.choice(("0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "192.168.1.0/24"))
    kind = i % 6
    if kind == 0:
        return "AuthorizeSecurityGroupIngress", {"groupId": sg, "ipPermissions": {"items": [
            {"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
             "ipRanges": {"items": [{"cidrIp": cidr}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}}, {
            "requestId": "r", "_return": True}  # fmt: skip
    if kind == 1:
        flat = {"groupId": sg, "cidrIp": cidr, "ipProtocol": "tcp", "fromPort": port,
                "toPort": port, "ipPermissions": {}}  # fmt: skip
        return "AuthorizeSecurityGroupIngress", flat, {"_return": True}
    if kind == 2:
        return "RevokeSecurityGroupEgress", {"groupId": sg, "ipPermissions": {"items": [
            {"ipProtocol": "-1", "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}, {
            "_return": True}  # fmt: skip
    if kind == 3:
        return "ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": {
            "GroupId": sg, "SecurityGroupRule": {"SecurityGroupRuleId": f"sgr-{i:017x}", "tag": 1,
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                                  "CidrIpv4": cidr}}}}, {"ModifySecurityGroupRulesResponse": {
            "return": True}}  # fmt: skip
    if kind == 4:
        return "CreateNetworkAclEntry", {"networkAclId": f"acl-{i:017x}", "ruleNumber": 100,
                                         "egress": False, "ruleAction": "allow", "icmpTypeCode": {},
                                         "portRange": {"from": port, "to": port},
                                         "aclProtocol": "6", "cidrBlock": cidr}, {
            "_return": True}  # fmt: skip
    return (
        "DeleteFlowLogs",
        {"DeleteFlowLogsRequest": {"FlowLogId": {"content": f"fl-{i:017x}", "tag": 1}}},
        {"DeleteFlowLogsResponse": {"unsuccessful": ""}},
    )


@dataclass
class GenStats:
    files: int = 0
    records: int = 0
    firewall: int = 0
    bytes_gz: int = 0
    bytes_json: int = 0


def generate(
    out: Path, records: int, per_file: int = 2000, firewall_share: float = 0.02, seed: int = 1
) -> GenStats:
    rng = random.Random(seed)
    idents = [_ident(i) for i in range(40)]
    stats = GenStats()
    n = 0
    while n < records:
        f = stats.files
        acct = ACCOUNTS[f % len(ACCOUNTS)]
        region = REGIONS[f // len(ACCOUNTS) % len(REGIONS)]
        day = 1 + f // 96 % 28
        hh, mm = f // 4 % 24, f % 4 * 15
        batch = []
        for _ in range(min(per_file, records - n)):
            ident = idents[rng.randrange(len(idents))]
            t = f"2026-11-{day:02d}T{hh:02d}:{mm + rng.randrange(15):02d}:{rng.randrange(60):02d}Z"
            if rng.random() < firewall_share:
                name, req, resp = _firewall(n, rng)
                source, ro = "ec2.amazonaws.com", False
                stats.firewall += 1
            else:
                source, name, req, resp, ro = NOISE[rng.randrange(len(NOISE))]
            batch.append({
                "eventVersion": "1.09", "userIdentity": ident, "eventTime": t,
                "eventSource": source, "eventName": name, "awsRegion": region,
                "sourceIPAddress": f"198.51.100.{n % 250}", "userAgent": "aws-cli/2.17.0 "
                "Python/3.11.9 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.x",
                "requestParameters": req, "responseElements": resp,
                "requestID": f"{n:08x}-1111-4222-8333-{f:012x}",
                "eventID": f"{n:08x}-aaaa-4bbb-8ccc-{f:012x}", "readOnly": ro,
                "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": acct,
                "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com"},
            })  # fmt: skip
            n += 1
        d = out / "AWSLogs" / acct / "CloudTrail" / region / "2026" / "11" / f"{day:02d}"
        d.mkdir(parents=True, exist_ok=True)
        name = f"{acct}_CloudTrail_{region}_202611{day:02d}T{hh:02d}{mm:02d}Z_{f:016x}.json.gz"
        data = json.dumps({"Records": batch}, separators=(",", ":")).encode()
        gz = gzip.compress(data, compresslevel=6, mtime=0)
        (d / name).write_bytes(gz)
        stats.files += 1
        stats.records += len(batch)
        stats.bytes_json += len(data)
        stats.bytes_gz += len(gz)
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=2000)
    args = ap.parse_args()
    print(generate(args.out, args.records, args.per_file))


if __name__ == "__main__":
    main()

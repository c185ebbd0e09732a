"""An AWS Network Firewall stand-in (moto has only firewalls and logging): stdlib JSON 1.0 HTTP
on 127.0.0.1, plus the seeder that builds a scenario's ``network_firewalls`` into it and moto.

Point boto3 at it with ``AWS_ENDPOINT_URL_NETWORK_FIREWALL``. It answers the read operations
the collector uses (``ListFirewalls``, ``DescribeFirewall``, ``DescribeLoggingConfiguration``,
``DescribeFirewallPolicy``, ``DescribeRuleGroup``, ``DescribeTLSInspectionConfiguration``,
``ListRuleGroups``) from recorded responses, per region (from the request's SigV4 credential
scope), paging lists by ``NextToken`` at ``page_size`` items (or ``MaxResults``). Anything else
is refused as AWS refuses an unknown target. Every request is recorded in ``requests``;
``fail`` maps an operation to the HTTP status it answers with (a fault to test with).

Seeding (`seed`): for each firewall of a scenario, moto gets what real AWS creates: one Gateway
Load Balancer endpoint per firewall subnet, and for each ``protects`` subnet a route table whose
``0.0.0.0/0`` goes to that endpoint. The stand-in gets the firewall (with ``SyncStates`` naming
the endpoints), its logging configuration, and the recorded policy and rule groups from
``moto_fixtures/network-firewall/`` (`load_recorded`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudfw.standins.awsjson import Answer, AwsJsonServer
from cloudfw.standins.moto import FAKE_KEYS, Scenario, load_scenarios

PREFIX = "NetworkFirewall_20201112."
ACCOUNT = "123456789012"
_REGION = re.compile(r"Credential=[^/]+/\d+/([a-z0-9-]+)/")
_LISTS = {"ListFirewalls": "Firewalls", "ListRuleGroups": "RuleGroups"}


@dataclass
class NfwState:
    """Recorded responses per region: DescribeFirewall responses (by ARN), logging
    configurations, and DescribeFirewallPolicy / DescribeRuleGroup /
    DescribeTLSInspectionConfiguration responses by ARN."""

    firewalls: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    logging: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    tls: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class NfwStandin:
    state: NfwState
    page_size: int = 1
    fail: Mapping[str, int] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    endpoint: str = ""
    _server: AwsJsonServer | None = None

    def start(self) -> NfwStandin:
        self._server = AwsJsonServer(self._handle, "application/x-amz-json-1.0")
        self.endpoint = self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _handle(self, target: str, headers: Mapping[str, str], req: dict[str, Any]) -> Answer:
        m = _REGION.search(headers.get("Authorization", ""))
        region = m.group(1) if m else "us-east-1"
        op = target.removeprefix(PREFIX)
        self.requests.append({"operation": op, "region": region, **req})
        if op in self.fail:
            return self.fail[op], _error("InternalServerError", "injected")
        return self.answer(op, region, req)

    def answer(self, op: str, region: str, req: Mapping[str, Any]) -> Answer:
        s = self.state
        fws = s.firewalls.get(region, {})
        if op in _LISTS:
            items = (
                [
                    {"FirewallName": f["Firewall"]["FirewallName"], "FirewallArn": a}
                    for a, f in sorted(fws.items())
                ]
                if op == "ListFirewalls"
                else [
                    {"Name": g["RuleGroupResponse"]["RuleGroupName"], "Arn": a}
                    for a, g in sorted(s.rule_groups.items())
                    if f":{region}:" in a
                ]
            )
            start = int(req.get("NextToken") or 0)
            size = int(req.get("MaxResults") or self.page_size)
            body: dict[str, Any] = {_LISTS[op]: items[start : start + size]}
            if start + size < len(items):
                body["NextToken"] = str(start + size)
            return 200, body
        if op in ("DescribeFirewall", "DescribeLoggingConfiguration"):
            arn = _find(
                fws,
                req.get("FirewallArn"),
                req.get("FirewallName"),
                lambda f: f["Firewall"]["FirewallName"],
            )
            if arn is None:
                return 400, _error("ResourceNotFoundException", "firewall not found")
            if op == "DescribeFirewall":
                return 200, fws[arn]
            return 200, {"FirewallArn": arn, "LoggingConfiguration": s.logging.get(arn, {})}
        table, arg = {
            "DescribeFirewallPolicy": (s.policies, "FirewallPolicyArn"),
            "DescribeRuleGroup": (s.rule_groups, "RuleGroupArn"),
            "DescribeTLSInspectionConfiguration": (s.tls, "TLSInspectionConfigurationArn"),
        }.get(op, ({}, ""))
        if not arg:
            return 400, _error("UnknownOperationException", f"{op} is not served here")
        hit = table.get(str(req.get(arg)))
        if hit is None:
            return 400, _error("ResourceNotFoundException", f"{req.get(arg)} not found")
        return 200, hit


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"__type": kind, "Message": message}


def _hex(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _find(items: Mapping[str, Any], arn: Any, name: Any, name_of: Any) -> str | None:
    if arn and str(arn) in items:
        return str(arn)
    return next((a for a, v in items.items() if name and name_of(v) == name), None)


# -- seeding -----------------------------------------------------------------------------------
def load_recorded(directory: str | Path, state: NfwState) -> None:
    """Every recorded response under ``directory`` (``policies/``, ``rule-groups/``,
    ``tls/``: one DescribeFirewallPolicy / DescribeRuleGroup /
    DescribeTLSInspectionConfiguration response per JSON file) into ``state``, by ARN."""
    root = Path(directory)
    for sub, table, meta, key in (
        ("policies", state.policies, "FirewallPolicyResponse", "FirewallPolicyArn"),
        ("rule-groups", state.rule_groups, "RuleGroupResponse", "RuleGroupArn"),
        ("tls", state.tls, "TLSInspectionConfigurationResponse", "TLSInspectionConfigurationArn"),
    ):
        for path in sorted((root / sub).glob("*.json")):
            resp = json.loads(path.read_text(encoding="utf-8"))
            table[str(resp[meta][key])] = resp


def seed(
    endpoint: str,
    scenarios_dir: str | Path,
    ids: dict[str, str],
    recorded: str | Path | None = None,
) -> NfwState:
    """Build every scenario's ``network_firewalls`` into moto (endpoints, route tables) and
    into a new `NfwState`; ``ids`` (from `moto.seed`) gains firewall name -> firewall name.
    ``recorded`` defaults to ``network-firewall/`` next to the scenario directory."""
    state = NfwState()
    load_recorded(recorded or Path(scenarios_dir).parent / "network-firewall", state)
    for sc in load_scenarios(scenarios_dir):
        for fw in sc.data.get("network_firewalls") or ():
            _seed_one(endpoint, sc, fw, ids, state)
    return state


def _seed_one(
    endpoint: str, sc: Scenario, fw: Mapping[str, Any], ids: dict[str, str], state: NfwState
) -> None:
    import boto3.session

    ec2: Any = boto3.session.Session(region_name=sc.region, **FAKE_KEYS).client(
        "ec2", endpoint_url=endpoint
    )
    vpc = ids[fw["vpc"]]
    name = str(fw["name"])
    policy = next(
        (
            a
            for a, p in state.policies.items()
            if p["FirewallPolicyResponse"]["FirewallPolicyName"] == fw["policy"]
        ),
        f"arn:aws:network-firewall:{sc.region}:{ACCOUNT}:firewall-policy/{fw['policy']}",
    )
    sync: dict[str, Any] = {}
    endpoints: list[str] = []
    for sub in fw["subnets"]:
        sid = ids[sub]
        az = ec2.describe_subnets(SubnetIds=[sid])["Subnets"][0]["AvailabilityZone"]
        ep = ec2.create_vpc_endpoint(
            VpcEndpointType="GatewayLoadBalancer",
            VpcId=vpc,
            ServiceName=f"com.amazonaws.vpce.{sc.region}.vpce-svc-{_hex(name, 17)}",
            SubnetIds=[sid],
        )["VpcEndpoint"]["VpcEndpointId"]
        endpoints.append(ep)
        sync[az] = {
            "Attachment": {"SubnetId": sid, "EndpointId": ep, "Status": "READY"},
            "Config": {policy: {"SyncStatus": "IN_SYNC"}},
        }
    for sub in fw.get("protects") or ():
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", VpcEndpointId=endpoints[0]
        )
        ec2.associate_route_table(RouteTableId=rt, SubnetId=ids[sub])
    arn = f"arn:aws:network-firewall:{sc.region}:{ACCOUNT}:firewall/{name}"
    state.firewalls.setdefault(sc.region, {})[arn] = {
        "UpdateToken": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
        "Firewall": {
            "FirewallName": name,
            "FirewallArn": arn,
            "FirewallPolicyArn": policy,
            "VpcId": vpc,
            "SubnetMappings": [
                {"SubnetId": ids[s], "IPAddressType": "IPV4"} for s in fw["subnets"]
            ],
            "DeleteProtection": True,
            "SubnetChangeProtection": True,
            "FirewallPolicyChangeProtection": True,
            "Description": str(fw.get("description", "")),
            "FirewallId": _hex(arn, 32),
            "Tags": [{"Key": "Name", "Value": name}, {"Key": "cloudfw:scenario", "Value": sc.name}],
        },
        "FirewallStatus": {
            "Status": "READY",
            "ConfigurationSyncStateSummary": "IN_SYNC",
            "SyncStates": sync,
        },
    }
    state.logging[arn] = {
        "LogDestinationConfigs": [
            {
                "LogType": str(t),
                "LogDestinationType": "CloudWatchLogs",
                "LogDestination": {"logGroup": f"/aws/network-firewall/{name}/{str(t).lower()}"},
            }
            for t in fw.get("logging") or ()
        ]
    }
    ids[name] = name

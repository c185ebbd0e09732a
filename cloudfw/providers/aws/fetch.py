"""Read one account x region through the EC2 API (paginated, read-only) into `AwsRegionRaw`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from cloudfw.normalize.aws import AwsRegionRaw
from cloudfw.providers.base import CollectError

REASON_MAX = 300
# What a call can fail with once the request is on its way (HTTP errors, transport, garbage).
API_ERRORS = (ClientError, BotoCoreError, ResponseParserError)

# (paginator, result key): the calls a region cannot be audited without.
CORE_CALLS = {
    "security_groups": ("describe_security_groups", "SecurityGroups"),
    "security_group_rules": ("describe_security_group_rules", "SecurityGroupRules"),
    "network_acls": ("describe_network_acls", "NetworkAcls"),
    "vpcs": ("describe_vpcs", "Vpcs"),
    "subnets": ("describe_subnets", "Subnets"),
}
# Calls that refine the picture; a failure leaves the region incomplete but keeps its rule sets.
AUX_CALLS = {
    "flow_logs": ("describe_flow_logs", "FlowLogs"),
    "network_interfaces": ("describe_network_interfaces", "NetworkInterfaces"),
}


class AwsCallError(CollectError):
    """One API call failed after botocore's retries. The message is one line naming the call."""


@dataclass
class RegionRead:
    raw: AwsRegionRaw
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def pages(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of ``key`` over all pages of ``operation`` (botocore paginator)."""
    out: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator(operation).paginate(**params):
            out.extend(page.get(key) or ())
    except API_ERRORS as exc:
        raise AwsCallError(describe_error(exc, operation)) from exc
    return out


def call(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """One non-paginated call; failures become `AwsCallError`."""
    try:
        result: dict[str, Any] = getattr(client, operation)(**params)
    except API_ERRORS as exc:
        raise AwsCallError(describe_error(exc, operation)) from exc
    return result


def _api_name(operation: str) -> str:
    return "".join(p.capitalize() for p in operation.split("_"))


def describe_error(exc: BaseException, operation: str = "") -> str:
    """One line: ``Operation: Code: message`` for API errors, ``Operation: Type: message`` else."""
    op = _api_name(operation) if operation else ""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        text = f"{exc.operation_name}: {err.get('Code', '?')}: {err.get('Message', '')}"
    elif isinstance(exc, ResponseParserError):
        text = str(exc)
        body = (text.partition("succeed:")[2] or text).replace("\\n", " ").replace("\\r", " ")
        body = body.strip().removeprefix("b'").removeprefix('b"').rstrip("'\"")
        text = f"{op}: unparseable response (not AWS XML/JSON): {body}"
    else:
        text = f"{op + ': ' if op else ''}{type(exc).__name__}: {exc}"
    text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def read_region(ec2: Any, account: str, region: str, resolve_prefix_lists: bool) -> RegionRead:
    """Read a region. Core call failures raise; auxiliary failures are recorded as errors."""
    core = {name: pages(ec2, op, key) for name, (op, key) in CORE_CALLS.items()}
    errors: list[str] = []
    aux: dict[str, list[dict[str, Any]] | None] = {}
    for name, (op, key) in AUX_CALLS.items():
        try:
            aux[name] = pages(ec2, op, key)
        except AwsCallError as exc:
            aux[name] = None
            errors.append(str(exc))
    warnings: list[str] = []
    prefix_lists: dict[str, list[str]] = {}
    wanted = sorted(
        {str(r["PrefixListId"]) for r in core["security_group_rules"] if r.get("PrefixListId")}
    )
    for pl in wanted if resolve_prefix_lists else ():
        try:
            entries = pages(ec2, "get_managed_prefix_list_entries", "Entries", PrefixListId=pl)
            prefix_lists[pl] = [str(e["Cidr"]) for e in entries if e.get("Cidr")]
        except AwsCallError as exc:
            warnings.append(f"prefix list {pl} kept symbolic: {exc}")
    raw = AwsRegionRaw(
        account=account,
        region=region,
        security_groups=core["security_groups"],
        security_group_rules=core["security_group_rules"],
        network_acls=core["network_acls"],
        vpcs=core["vpcs"],
        subnets=core["subnets"],
        flow_logs=aux["flow_logs"],
        network_interfaces=aux["network_interfaces"],
        prefix_lists=prefix_lists,
    )
    return RegionRead(raw, warnings, errors)

"""AWS Config -> the EC2 API shapes `cloudfw.normalize.aws` reads.

Read: configuration snapshot and history files (``AWSLogs/<account>/Config/<region>/…`` in S3:
``{"configurationItems": [...]}``, ``configuration`` an object), `aws configservice
get-resource-config-history` / `batch-get-resource-config` (``configuration`` a JSON string),
and `select-resource-config` / `select-aggregate-resource-config` results (``{"Results": [JSON
strings]}``, ``accountId``). Config's ``configuration`` is the EC2 object in lower camelCase
(``ipPermissions[].ipv4Ranges[].cidrIp``); it is turned into the API's PascalCase. When a file
holds several items of one resource (history), the latest capture wins and a deleted resource is
dropped. Config records no security group rule ids: rules are keyed by their content.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson

from cloudfw.imports.errors import ImportFileError, show
from cloudfw.imports.schema import check
from cloudfw.imports.source import Document

Raw = dict[str, Any]
T = TypeVar("T")
RESOURCE_KINDS = {
    "AWS::EC2::SecurityGroup": "security_groups",
    "AWS::EC2::NetworkAcl": "network_acls",
    "AWS::EC2::NetworkInterface": "network_interfaces",
    "AWS::EC2::FlowLog": "flow_logs",
    "AWS::EC2::VPC": "vpcs",
    "AWS::EC2::Subnet": "subnets",
    "AWS::EC2::PrefixList": "prefix_list_entries",
}
ITEM = {"resourceType": str, "resourceId": str, "awsAccountId": str, "accountId": str,
        "awsRegion": str, "configurationItemStatus": str,
        "configurationItemCaptureTime": str}  # fmt: skip
_DELETED = ("ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded")
_ENVELOPES = ("configurationItems", "ConfigurationItems", "baseConfigurationItems", "Results")


def is_config(v: object) -> bool:
    if isinstance(v, dict):
        if any(isinstance(v.get(k), list) for k in _ENVELOPES):
            return True
        return str(v.get("resourceType", "")).startswith("AWS::")
    if isinstance(v, list) and v and isinstance(v[0], dict):
        return str(v[0].get("resourceType", "")).startswith("AWS::")
    return False


def items_of(doc: Document) -> list[tuple[str, Raw]]:
    """(JSON path, configuration item) of a Config document, with string JSON decoded."""
    v = doc.value
    if isinstance(v, list):
        raw = [(f"$[{i}]", x) for i, x in enumerate(v)]
    elif isinstance(v, dict) and not any(isinstance(v.get(k), list) for k in _ENVELOPES):
        raw = [("$", v)]
    else:
        assert isinstance(v, dict)
        key = next(k for k in _ENVELOPES if isinstance(v.get(k), list))
        raw = [(f"$.{key}[{i}]", x) for i, x in enumerate(v[key])]
    out: list[tuple[str, Raw]] = []
    for path, x in raw:
        if isinstance(x, str):  # select-*-resource-config rows are JSON strings
            try:
                x = orjson.loads(x)
            except orjson.JSONDecodeError as exc:
                raise ImportFileError(f"{doc.where}: {path}: invalid JSON: {exc.msg}") from None
        if not isinstance(x, dict):
            raise ImportFileError(f"{doc.where}: {path}: expected a configuration item, got "
                                  f"{show(x)}")  # fmt: skip
        check(x, ITEM, path, doc.where)
        conf = x.get("configuration")
        if isinstance(conf, str):
            try:
                x = x | {"configuration": orjson.loads(conf)}
            except orjson.JSONDecodeError as exc:
                raise ImportFileError(
                    f"{doc.where}: {path}.configuration: invalid JSON: {exc.msg}"
                ) from None
        out.append((path, x))
    return out


def latest(items: list[tuple[T, Raw]]) -> list[tuple[T, Raw]]:
    """One item per resource (over every file read): the last captured; deleted resources
    dropped. ``T`` is where the item was read, carried along."""
    best: dict[tuple[str, ...], tuple[T, Raw]] = {}
    for path, it in items:
        key = (*scope_of(it), str(it.get("resourceType")), str(it.get("resourceId")))
        old = best.get(key)
        when = str(it.get("configurationItemCaptureTime") or "")
        if old is None or when >= str(old[1].get("configurationItemCaptureTime") or ""):
            best[key] = (path, it)
    return [(p, it) for p, it in best.values()
            if str(it.get("configurationItemStatus", "")) not in _DELETED]  # fmt: skip


def to_api(kind: str, item: Raw, where: str, path: str) -> Raw:
    """A configuration item's ``configuration`` in the EC2 API's PascalCase shape."""
    conf = item.get("configuration")
    if not isinstance(conf, dict):
        raise ImportFileError(f"{where}: {path}.configuration: expected an object, got "
                              f"{show(conf)}")  # fmt: skip
    api: Raw = _pascal(conf)
    if kind == "security_groups":
        for key in ("IpPermissions", "IpPermissionsEgress"):
            api[key] = [_permission(p) for p in api.get(key) or () if isinstance(p, dict)]
    if kind == "flow_logs":
        # Config records flow logs that exist; the EC2 API calls those ACTIVE
        api.setdefault("ResourceId", api.get("ResourceId") or conf.get("resourceId"))
        api.setdefault("FlowLogStatus", "ACTIVE")
        api["FlowLogStatus"] = api.get("FlowLogStatus") or "ACTIVE"
    if kind == "prefix_list_entries":
        return api  # split into entries by the caller (`prefix_list_entries`)
    tags = item.get("tags")
    if "Tags" not in api and isinstance(tags, dict):
        api["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in sorted(tags.items())]
    return api


def _permission(p: Raw) -> Raw:
    """Config keeps both the legacy ``ipRanges`` (strings) and ``ipv4Ranges`` (objects)."""
    out = dict(p)
    v4 = out.pop("Ipv4Ranges", None)
    legacy = out.pop("IpRanges", None) or []
    if v4 is not None:
        out["IpRanges"] = v4
    else:
        out["IpRanges"] = [{"CidrIp": c} if isinstance(c, str) else c for c in legacy]
    return out


def _pascal(v: Any) -> Any:
    if isinstance(v, dict):
        return {(k[:1].upper() + k[1:]): _pascal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_pascal(x) for x in v]
    return v


def scope_of(item: Raw) -> tuple[str, str]:
    return (str(item.get("awsAccountId") or item.get("accountId") or ""),
            str(item.get("awsRegion") or ""))  # fmt: skip


def prefix_list_entries(api: Raw, item: Raw) -> list[Raw]:
    """An ``AWS::EC2::PrefixList`` as `get-managed-prefix-list-entries` records, each naming
    its list."""
    pl = str(api.get("PrefixListId") or item.get("resourceId") or "")
    entries = api.get("Entries") or []
    out = [{"Cidr": e.get("Cidr"), "PrefixListId": pl} for e in entries if isinstance(e, dict)]
    return out or [{"PrefixListId": pl}]

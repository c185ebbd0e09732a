"""Azure CLI JSON (`az network … list/show`) and Azure Resource Graph results -> one
`SubscriptionData` per subscription, normalized as a live collection is.

The Azure CLI prints resources *flattened*: the ARM ``properties`` object merged into the
resource, sub-resources too (``securityRules[].priority``, ``ipConfigurations[].privateIpAddress``),
with the SDK's spelling of acronyms (``privateIpAddress`` for ARM's ``privateIPAddress``). Resource
Graph (``az graph query``: ``{"data": [...]}``, or the plain list ``--query data`` prints) and the
ARM REST API keep ARM's nesting, with lower-cased types in Resource Graph. Both are read; a
flattened document is first nested back into ARM's shape. The subscription is the one in each
resource id (or Resource Graph's ``subscriptionId``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudfw.imports.base import ImportOptions, Unit, scope_error
from cloudfw.imports.errors import ImportFileError, show
from cloudfw.imports.schema import check
from cloudfw.imports.source import Document
from cloudfw.normalize.azure import SubscriptionData, normalize_subscription

Raw = dict[str, Any]
# lower-cased ARM type -> SubscriptionData field
KINDS = {
    "microsoft.network/networksecuritygroups": "nsgs",
    "microsoft.network/networkinterfaces": "network_interfaces",
    "microsoft.network/publicipaddresses": "public_ips",
    "microsoft.network/virtualnetworks": "virtual_networks",
    "microsoft.network/azurefirewalls": "firewalls",
    "microsoft.network/firewallpolicies": "firewall_policies",
    "microsoft.network/firewallpolicies/rulecollectiongroups": "rule_collection_groups",
    "microsoft.network/networkwatchers/flowlogs": "flow_logs",
    "microsoft.insights/diagnosticsettings": "diagnostics",
}
CONSEQUENCE = {
    "nsgs": "az network nsg list (network security groups not audited)",
    "network_interfaces": "az network nic list (NIC attachments unknown: exposure not graded)",
    "virtual_networks": "az network vnet list (subnet attachments unknown)",
    "firewalls": "az network firewall list (Azure Firewalls not audited)",
    "flow_logs": "az network watcher flow-log list (NSG flow logs unknown)",
}
# Keys kept beside ``properties`` in ARM (resources, then sub-resources).
_TOP = frozenset({
    "id", "name", "type", "location", "tags", "etag", "zones", "identity", "extendedLocation",
    "sku", "kind", "managedBy", "plan", "resourceGroup", "subscriptionId", "tenantId",
})  # fmt: skip
_SUB_TOP = frozenset({"id", "name", "type", "etag", "resourceGroup"})
# Flattened sub-resource lists that ARM nests (each item gets its own ``properties``).
_CHILDREN = frozenset({
    "securityRules", "defaultSecurityRules", "ipConfigurations", "subnets",
    "networkRuleCollections", "applicationRuleCollections", "natRuleCollections",
})  # fmt: skip
# The Azure SDK's camelCase of an acronym -> ARM's spelling, for the fields cloudfw reads.
_ARM_SPELLING = {"privateIpAddress": "privateIPAddress", "publicIpAddress": "publicIPAddress"}
RESOURCE = {"id": str, "name": str, "type": str, "subscriptionId": str, "properties": dict,
            "tags": dict, "location": str}  # fmt: skip


def is_arm(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("properties"), dict)


def resources_of(doc: Document) -> tuple[str, list[tuple[str, object]]]:
    """(format, [(JSON path, resource)]) of an Azure document: a list, one resource, an ARM
    ``{"value": [...]}`` page or a Resource Graph ``{"data": [...]}`` result."""
    v = doc.value
    if isinstance(v, dict) and isinstance(v.get("data"), list | dict) and "type" not in v:
        data = v["data"]
        if isinstance(data, dict):  # resultFormat=table: {"columns": [...], "rows": [...]}
            raise ImportFileError(
                f"{doc.where}: $.data: a Resource Graph table result (columns/rows); "
                "query with --output json (objectArray), which prints one object per row"
            )
        return "azure-resource-graph", [(f"$.data[{i}]", r) for i, r in enumerate(data)]
    if isinstance(v, dict) and isinstance(v.get("value"), list) and "type" not in v:
        return "azure-arm", [(f"$.value[{i}]", r) for i, r in enumerate(v["value"])]
    if isinstance(v, list):
        fmt = "azure-resource-graph" if v and all(is_arm(r) for r in v) else "azure-cli"
        return fmt, [(f"$[{i}]", r) for i, r in enumerate(v)]
    return ("azure-arm" if is_arm(v) else "azure-cli"), [("$", v)]


def nest(flat: Raw, top: frozenset[str] = _TOP) -> Raw:
    """A flattened Azure CLI resource in ARM's shape (``properties`` nesting)."""
    out: Raw = {}
    props: Raw = {}
    for k, v in flat.items():
        if k in top:
            out[k] = v
            continue
        if k in _CHILDREN and isinstance(v, list):
            v = [nest(c, _SUB_TOP) if isinstance(c, dict) and not is_arm(c) else c for c in v]
        props[_ARM_SPELLING.get(k, k)] = v
    out["properties"] = props
    return out


@dataclass
class _Sub:
    kinds: dict[str, list[Raw]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


@dataclass
class AzureImporter:
    subs: dict[str, _Sub] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)
    # kinds a Resource Graph result held for any subscription: it spans them, so a
    # subscription without one has none (an `az ... list` covers one subscription only)
    graph_kinds: set[str] = field(default_factory=set)

    def add(self, doc: Document, opts: ImportOptions) -> int:
        fmt, items = resources_of(doc)
        n = 0
        for path, res in items:
            check(res, RESOURCE, path, doc.where)
            assert isinstance(res, dict)
            rtype = res.get("type")
            rid = res.get("id")
            if not isinstance(rtype, str) or not isinstance(rid, str):
                raise ImportFileError(
                    f"{doc.where}: {path}: expected an Azure resource with 'id' and 'type', "
                    f"got {show(res)} with keys {', '.join(sorted(res)[:6]) or 'none'}"
                )
            kind = KINDS.get(rtype.lower())
            if kind is None:
                self.ignored[rtype.lower()] = self.ignored.get(rtype.lower(), 0) + 1
                continue
            sub = _subscription(res, rid) or opts.account
            if not sub:
                raise ImportFileError(
                    f"{doc.where}: {path}.id: names no subscription: give --account SUBSCRIPTION"
                )
            unit = self.subs.setdefault(sub.lower(), _Sub())
            unit.kinds.setdefault(kind, []).append(res if is_arm(res) else nest(res))
            unit.files.add(doc.file)
            if fmt == "azure-resource-graph":
                self.graph_kinds.add(kind)
            n += 1
        return n

    def finish(self) -> list[Unit]:
        return [self._unit(sub, s) for sub, s in sorted(self.subs.items())]

    def _unit(self, sub: str, s: _Sub) -> Unit:
        scope = f"azure:{sub}"
        unit = Unit("azure", scope, files=set(s.files))
        k = s.kinds
        groups: dict[str, list[object]] = {}
        for g in k.get("rule_collection_groups", []):
            groups.setdefault(str(g["id"]).lower().split("/rulecollectiongroups/")[0], []).append(g)
        for p in k.get("firewall_policies", []):  # groups not in the files: noted below
            groups.setdefault(str(p["id"]).lower(), [])
        diagnostics: dict[str, list[object]] = {}
        for d in k.get("diagnostics", []):
            target = str(d["id"]).lower().split("/providers/microsoft.insights/")[0]
            diagnostics.setdefault(target, []).append(d)
        for kind, text in CONSEQUENCE.items():
            if kind not in k and kind not in self.graph_kinds:
                unit.missing.append(text)
        seen_groups = {str(g["id"]).lower() for g in k.get("rule_collection_groups", [])}
        for p in k.get("firewall_policies", []):
            refs = p["properties"].get("ruleCollectionGroups") or []
            lacking = [r for r in refs if isinstance(r, dict)
                       and str(r.get("id", "")).lower() not in seen_groups]  # fmt: skip
            if lacking:
                unit.missing.append(
                    f"az network firewall policy rule-collection-group list --policy-name "
                    f"{p.get('name')} ({len(lacking)} rule collection group(s) of it unknown)"
                )
        for fw in k.get("firewalls", []):
            if str(fw["id"]).lower() not in diagnostics:
                unit.missing.append(
                    f"az monitor diagnostic-settings list --resource {fw['id']} "
                    "(firewall logging unknown)"
                )
        data = SubscriptionData(
            subscription=sub, nsgs=k.get("nsgs", []),
            network_interfaces=k.get("network_interfaces", []), public_ips=k.get("public_ips", []),
            virtual_networks=k.get("virtual_networks", []), firewalls=k.get("firewalls", []),
            firewall_policies=k.get("firewall_policies", []), rule_collection_groups=groups,
            flow_logs=k.get("flow_logs", []) if "flow_logs" in k else None,
            diagnostics=diagnostics,
        )  # fmt: skip
        result = normalize_subscription(data)
        if result.errors:
            raise ImportFileError(scope_error(scope, s.files, [str(e) for e in result.errors]))
        unit.rulesets = result.rulesets
        return unit


def _subscription(res: Raw, rid: str) -> str:
    if isinstance(res.get("subscriptionId"), str) and res["subscriptionId"]:
        return str(res["subscriptionId"])
    parts = rid.strip("/").split("/")
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return parts[1]
    return ""

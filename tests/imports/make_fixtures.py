"""Regenerate the Azure CLI, Resource Graph and Cloud Asset Inventory fixtures under
``tests/imports/fixtures/`` from the stand-in state in ``fixtures/azure`` and ``fixtures/gcp``,
in the shapes those tools print, so that an import and a live collection read the same estate.

    python tests/imports/make_fixtures.py

Shapes: `az network ... list` prints each resource with ARM's ``properties`` merged into it (and
into each sub-resource), ``resourceGroup`` added, and acronyms as the Python SDK spells them
(``privateIpAddress``); `az graph query` prints ``{"count", "data": [rows], "skip_token",
"total_records"}`` with lower-cased ``type`` and ``subscriptionId``/``resourceGroup`` columns;
`gcloud asset export --content-type=resource` writes one asset per line (``name``,
``asset_type``, ``resource.data``, ``ancestors``, ``update_time``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "fixtures"
AZ = ROOT / "fixtures" / "azure" / "arm" / "subscriptions"
SUB = "11111111-1111-4111-8111-111111111111"
NET = AZ / SUB / "providers" / "Microsoft.Network"
GCP = ROOT / "fixtures" / "gcp"
_TOP = {"id", "name", "type", "location", "tags", "etag", "zones", "identity", "sku"}
_CHILDREN = {
    "securityRules",
    "defaultSecurityRules",
    "ipConfigurations",
    "subnets",
    "networkRuleCollections",
    "applicationRuleCollections",
    "natRuleCollections",
}


def _value(path: Path) -> list[Any]:
    doc = json.loads(path.read_text())
    return doc["value"] if isinstance(doc, dict) else doc


def _rg(rid: str) -> str:
    m = re.search(r"/resourceGroups/([^/]+)", rid, re.I)
    return m.group(1) if m else ""


def _az_key(k: str) -> str:
    return k.replace("IP", "Ip")


def az_flat(res: dict[str, Any], top: set[str] = _TOP) -> dict[str, Any]:
    out = {k: v for k, v in res.items() if k in top or k != "properties"}
    for k, v in (res.get("properties") or {}).items():
        if k in _CHILDREN and isinstance(v, list):
            v = [az_flat(c, {"id", "name", "type", "etag"}) for c in v]
        out[_az_key(k)] = v
    if "id" in out:
        out["resourceGroup"] = _rg(str(out["id"]))
    return dict(sorted(out.items()))


def _write(rel: str, doc: object) -> None:
    path = OUT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def _graph_row(r: dict[str, Any], full: bool = True) -> dict[str, Any]:
    """One Resource Graph row: ARM's document plus the table's columns, type lower-cased."""
    row = {k: v for k, v in r.items() if k != "type"}
    row |= {
        "type": str(r["type"]).lower(),
        "subscriptionId": SUB,
        "resourceGroup": _rg(r["id"]).lower(),
    }
    if full:
        row |= {
            "tenantId": "00000000-0000-0000-0000-0000000000aa",
            "kind": "",
            "managedBy": "",
            "plan": None,
            "zones": None,
            "identity": None,
            "extendedLocation": None,
            "tags": r.get("tags") or {},
        }
    return dict(sorted(row.items()))


def azure() -> None:
    lists = {
        "nsg-list.json": "networkSecurityGroups",
        "nic-list.json": "networkInterfaces",
        "vnet-list.json": "virtualNetworks",
        "public-ip-list.json": "publicIPAddresses",
        "firewall-list.json": "azureFirewalls",
        "firewall-policy-list.json": "firewallPolicies",
    }
    rows: list[dict[str, Any]] = []
    for name, kind in lists.items():
        items = _value(NET / f"{kind}.json")
        _write(f"azure-cli/{name}", [az_flat(r) for r in items])
        rows.extend(_graph_row(r) for r in items)
    for pol in _value(NET / "firewallPolicies.json"):
        rel = pol["id"].lstrip("/").split("/", 2)[2]
        groups = _value(AZ / SUB / rel / "ruleCollectionGroups.json")
        _write(f"azure-cli/rule-collection-groups-{pol['name']}.json", [az_flat(g) for g in groups])
    for fw in _value(NET / "azureFirewalls.json"):
        rel = fw["id"].lstrip("/").split("/", 2)[2]
        diag = AZ / SUB / rel / "providers" / "Microsoft.Insights" / "diagnosticSettings.json"
        _write(
            f"azure-cli/diagnostic-settings-{fw['name']}.json", [az_flat(d) for d in _value(diag)]
        )
    flow_logs: list[dict[str, Any]] = []
    for w in _value(NET / "networkWatchers.json"):
        rel = w["id"].lstrip("/").split("/", 2)[2]
        fls = _value(AZ / SUB / rel / "flowLogs.json")
        flow_logs.extend(fls)
        _write(f"azure-cli/flow-log-list-{w['location']}.json", [az_flat(f) for f in fls])
    rows.extend(_graph_row(fl, full=False) for fl in flow_logs)
    _write(
        "azure-resource-graph/network-resources.json",
        {"count": len(rows), "data": rows, "skip_token": None, "total_records": len(rows)},
    )


def _snake(v: Any) -> Any:
    if isinstance(v, dict):
        return {
            re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower().replace("i_p_", "ip_"): _snake(x)
            for k, x in v.items()
        }
    if isinstance(v, list):
        return [_snake(x) for x in v]
    return v


ORG = "organizations/123456789012"


def _hierarchical_line(pol: dict[str, Any]) -> str:
    parent = str(pol["parent"])
    return json.dumps(
        {
            "name": f"//compute.googleapis.com/locations/global/firewallPolicies/{pol['id']}",
            "asset_type": "compute.googleapis.com/FirewallPolicy",
            "resource": {
                "version": "v1",
                "discovery_name": "FirewallPolicy",
                "parent": f"//cloudresourcemanager.googleapis.com/{parent}",
                "data": pol,
                "location": "global",
            },
            "ancestors": [parent] + ([ORG] if parent.startswith("folders/") else []),
            "update_time": "2026-11-30T10:00:00.000000Z",
        }
    )


def cai() -> None:
    files = {
        "firewall-rules.json": "Firewall",
        "networks.json": "Network",
        "subnets.json": "Subnetwork",
        "network-firewall-policies.json": "FirewallPolicy",
        "regional-network-firewall-policies.json": "FirewallPolicy",
    }
    ancestry = {
        "demo-proj": [
            "projects/412345678901",
            "folders/300000000001",
            "organizations/123456789012",
        ],
        "second-proj": ["projects/512345678901", "organizations/123456789012"],
    }
    lines: list[str] = []
    for project, anc in ancestry.items():
        for fname, atype in files.items():
            for item in json.loads((GCP / "projects" / project / fname).read_text()):
                link = str(item.get("selfLink", ""))
                data = _snake(item) if project == "second-proj" else item
                lines.append(
                    json.dumps(
                        {
                            "name": "//compute.googleapis.com/" + link.split("/compute/v1/", 1)[1],
                            "asset_type": f"compute.googleapis.com/{atype}",
                            "resource": {
                                "version": "v1",
                                "discovery_document_uri": "https://www.googleapis.com/discovery/v1/apis/compute/v1/rest",
                                "discovery_name": atype,
                                "parent": f"//cloudresourcemanager.googleapis.com/{anc[0]}",
                                "data": data,
                                "location": "global",
                            },
                            "ancestors": anc,
                            "update_time": "2026-11-30T10:00:00.000000Z",
                        },
                        sort_keys=False,
                    )
                )
    hierarchical = json.loads((GCP / "hierarchical" / "firewall-policies.json").read_text())
    lines.extend(_hierarchical_line(pol) for pol in hierarchical)
    lines.append(
        json.dumps(
            {
                "name": "//storage.googleapis.com/demo-bucket",
                "asset_type": "storage.googleapis.com/Bucket",
                "resource": {"data": {"name": "demo-bucket"}},
                "ancestors": ancestry["demo-proj"],
            }
        )
    )
    path = OUT / "gcp-asset-inventory" / "export.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    azure()
    cai()

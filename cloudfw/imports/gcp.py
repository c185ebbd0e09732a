"""gcloud JSON (`gcloud compute … list/describe --format=json`) and Cloud Asset Inventory
exports -> one `ProjectInput` per project, normalized as a live collection is.

gcloud prints the Compute API's objects (``kind`` ``compute#firewall``, ``compute#network``,
``compute#subnetwork``, ``compute#instance``, ``compute#firewallPolicy``); a firewall policy is
hierarchical, global-network or regional-network by its ``selfLink`` (or ``parent``). The project
is the one in each ``selfLink``. Which hierarchical policies govern a project comes from its
ancestry: `gcloud projects get-ancestors P --format=json`, or `gcloud projects describe P` plus
the folders (`gcloud resource-manager folders describe/list`), or Cloud Asset Inventory's
``ancestors``. Without it, only organization policies are applied and the coverage says so.

Cloud Asset Inventory: `gcloud asset export --content-type=resource` writes JSON Lines of
``{"name", "asset_type", "resource": {"data": {...}}, "ancestors": [...]}``; ``data`` is the
Compute object, in the API's camelCase or in snake_case (both are read). ``searchAllResources``
results are read when they carry ``versionedResources`` (``--read-mask='*'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cloudfw.imports.base import ImportOptions, Unit, scope_error
from cloudfw.imports.errors import ImportFileError, show
from cloudfw.imports.schema import check
from cloudfw.imports.source import Document
from cloudfw.model import Rule
from cloudfw.normalize.gcp import GcpNormalizeError, ProjectInput, normalize_project
from cloudfw.normalize.gcp_fields import req_str
from cloudfw.normalize.gcp_rules import firewall_rules

Raw = dict[str, Any]
KINDS = {
    "compute#firewall": "firewalls",
    "compute#network": "networks",
    "compute#subnetwork": "subnetworks",
    "compute#instance": "instances",
    "compute#firewallPolicy": "policy",
}
ASSET_KINDS = {
    "compute.googleapis.com/Firewall": "firewalls",
    "compute.googleapis.com/Network": "networks",
    "compute.googleapis.com/Subnetwork": "subnetworks",
    "compute.googleapis.com/Instance": "instances",
    "compute.googleapis.com/FirewallPolicy": "policy",
    "compute.googleapis.com/NetworkFirewallPolicy": "policy",
    "compute.googleapis.com/RegionNetworkFirewallPolicy": "policy",
}
CONSEQUENCE = {
    "firewalls": "gcloud compute firewall-rules list (VPC firewall rules not audited)",
    "networks": "gcloud compute networks list (each network's policy enforcement order unknown)",
    "subnetworks": "gcloud compute networks subnets list (subnet flow logs unknown)",
    "instances": "gcloud compute instances list (VM attachments unknown: exposure not graded)",
    "network_policies": "gcloud compute network-firewall-policies list (network firewall "
    "policies unknown)",
}
_MAX_DEPTH = 32  # ancestors of a project: GCP allows 10 folder levels
_PROJECT = re.compile(r"projects/([^/]+)/")
_SPELLING = {"ipProtocol": "IPProtocol", "iPProtocol": "IPProtocol", "natIp": "natIP",
             "networkIp": "networkIP"}  # fmt: skip
_POLICY_RULE_PROTOCOL = "ipProtocol"  # policy rules' layer4Configs keep lower camel
ASSET = {"name": str, "asset_type": str, "assetType": str, "resource": {"data": dict}}
# The fields cloudfw reads, checked for type before normalizing (every other field tolerated;
# VPC firewall rules are normalized on reading, and the normalizer checks each field it reads).
POLICY = {
    "name": str, "shortName": str, "displayName": str, "selfLink": str, "parent": str,
    "region": str, "associations": [{"attachmentTarget": str}],
    "rules": [{"priority": int, "action": str, "direction": str, "disabled": bool,
               "enableLogging": bool, "targetResources": [str], "match": dict}],
}  # fmt: skip
SPECS = {
    "policy": POLICY,
    "networks": {"name": str, "selfLink": str, "networkFirewallPolicyEnforcementOrder": str},
    "subnetworks": {"name": str, "region": str, "network": str, "ipCidrRange": str,
                    "logConfig": {"enable": bool}, "enableFlowLogs": bool},
    "instances": {"name": str, "zone": str, "networkInterfaces": [{"network": str,
                  "networkIP": str, "subnetwork": str}], "tags": {"items": [str]}},
}  # fmt: skip


def camel(key: str) -> str:
    head, *rest = key.split("_")
    out = head + "".join(p[:1].upper() + p[1:] for p in rest)
    return _SPELLING.get(out, out)


def camel_keys(value: Any, policy_rule: bool = False) -> Any:
    """snake_case keys (and ``ipProtocol``-style spellings) -> the Compute API's spelling."""
    if isinstance(value, dict):
        out: Raw = {}
        for k, v in value.items():
            key = camel(k) if "_" in k or k in _SPELLING else k
            if policy_rule and key == "IPProtocol":
                key = _POLICY_RULE_PROTOCOL
            out[key] = camel_keys(v, policy_rule or key == "layer4Configs")
        return out
    if isinstance(value, list):
        return [camel_keys(v, policy_rule) for v in value]
    return value


@dataclass
class _Project:
    kinds: dict[str, list[Raw]] = field(default_factory=dict)
    # VPC firewall rules, normalized as they are read (an org-wide export holds millions; only
    # the model's rules are kept, not the JSON): (network URL, rules) per firewall resource
    vpc_rules: list[tuple[str, list[Rule]]] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    ancestry: list[str] | None = None
    parent: str = ""


@dataclass
class GcpImporter:
    projects: dict[str, _Project] = field(default_factory=dict)
    hierarchical: dict[str, Raw] = field(default_factory=dict)
    hier_files: set[str] = field(default_factory=set)
    folder_parents: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)
    # kinds an asset inventory export held for any project: it spans them, so a project
    # without one has none (a gcloud listing covers one project only)
    asset_kinds: set[str] = field(default_factory=set)
    strings: dict[str, str] = field(default_factory=dict)

    def project(self, name: str) -> _Project:
        return self.projects.setdefault(name, _Project())

    # -- gcloud --------------------------------------------------------------------------------
    def add_gcloud(self, doc: Document, opts: ImportOptions) -> int:
        v = doc.value
        items = [(f"$[{i}]", x) for i, x in enumerate(v)] if isinstance(v, list) else [("$", v)]
        if isinstance(v, list) and v and all(_is_ancestor(x) for x in v):
            return self._ancestors(doc, v)
        n = 0
        for path, item in items:
            if not isinstance(item, dict):
                raise ImportFileError(f"{doc.where}: {path}: expected an object, got {show(item)}")
            if self._resource_manager(item):
                n += 1
                continue
            kind = KINDS.get(str(item.get("kind", "")))
            if kind is None:
                raise ImportFileError(
                    f"{doc.where}: {path}.kind: expected one of {', '.join(KINDS)} "
                    f"(gcloud ... --format=json), got {show(item.get('kind'))}"
                )
            self._resource(doc, path, kind, item, "", opts)
            n += 1
        return n

    def _resource_manager(self, item: Raw) -> bool:
        """`gcloud projects describe` (v1: ``parent {type, id}``) or a folder (``folders/N``)."""
        name = str(item.get("name", ""))
        if name.startswith("folders/") and isinstance(item.get("parent"), str):
            self.folder_parents[name] = str(item["parent"])
            return True
        parent = item.get("parent")
        if "projectId" in item and "kind" not in item:
            proj = self.project(str(item["projectId"]))
            if isinstance(parent, dict):
                proj.parent = f"{parent.get('type')}s/{parent.get('id')}"
            elif isinstance(parent, str):
                proj.parent = parent
            return True
        return False

    def _ancestors(self, doc: Document, items: list[Raw]) -> int:
        """`gcloud projects get-ancestors P`: project first, then folders, organization last."""
        if str(items[0].get("type")) != "project":
            raise ImportFileError(f"{doc.where}: $[0].type: expected 'project' (get-ancestors)")
        chain = [f"{x['type']}s/{x['id']}" for x in items[1:]]
        self.project(str(items[0]["id"])).ancestry = list(reversed(chain))
        return len(items)

    def _resource(self, doc: Document, path: str, kind: str, item: Raw, name: str,
                  opts: ImportOptions) -> None:  # fmt: skip
        rules: list[Rule] = []
        if kind == "firewalls":  # the normalizer checks every field it reads
            try:
                rules = firewall_rules(item)
                network = req_str(item, "network", f"firewall {item.get('name')!r}")
            except GcpNormalizeError as exc:
                raise ImportFileError(f"{doc.where}: {path}: {exc}") from None
        else:
            check(item, SPECS[kind], path, doc.where)
        link = str(item.get("selfLink") or name or "")
        if kind == "policy":
            kind = _policy_kind(item, link)
            if kind == "hierarchical":
                self.hierarchical[str(item.get("id") or item.get("name") or link)] = item
                self.hier_files.add(doc.file)
                return
        m = _PROJECT.search(link) or _PROJECT.search(str(item.get("network") or ""))
        project = m.group(1) if m else opts.project
        if not project:
            raise ImportFileError(
                f"{doc.where}: {path}.selfLink: names no project: give --project PROJECT"
            )
        proj = self.project(project)
        if kind == "firewalls":
            network = self.strings.setdefault(network, network)  # one string per network
            proj.vpc_rules.append((network, rules))
            proj.kinds.setdefault(kind, [])
        else:
            proj.kinds.setdefault(kind, []).append(item)
        proj.files.add(doc.file)

    # -- Cloud Asset Inventory -----------------------------------------------------------------
    def add_asset(self, doc: Document, path: str, asset: Raw, opts: ImportOptions) -> int:
        atype = asset.get("asset_type") or asset.get("assetType") or ""
        resource = asset.get("resource") or {}
        if type(atype) is not str or type(resource) is not dict:  # the common case, cheaply
            check(asset, ASSET, path, doc.where)
        data = resource.get("data")
        versioned = asset.get("versionedResources") or asset.get("versioned_resources")
        if data is None and isinstance(versioned, list) and versioned:
            data = versioned[0].get("resource") if isinstance(versioned[0], dict) else None
        kind = ASSET_KINDS.get(atype)
        if kind is None:
            self.ignored[atype] = self.ignored.get(atype, 0) + 1
            return 0
        if not isinstance(data, dict):
            raise ImportFileError(
                f"{doc.where}: {path}.resource.data: missing: export with "
                "--content-type=resource (search results need --read-mask='*')"
            )
        item = camel_keys(data) if "_" in "".join(data) else data  # snake_case keys
        name = str(asset.get("name") or "")
        self._resource(doc, f"{path}.resource.data", kind, item, name, opts)
        self.asset_kinds.add(kind if kind != "policy" else _policy_kind(item, name))
        ancestors = asset.get("ancestors")
        m = _PROJECT.search(str(item.get("selfLink") or name))
        if ancestors is not None:
            check(ancestors, [str], f"{path}.ancestors", doc.where)
        if m and isinstance(ancestors, list):
            chain = [a for a in ancestors if not a.startswith("projects/")]
            self.project(m.group(1)).ancestry = list(reversed(chain))
        return 1

    # -- units ---------------------------------------------------------------------------------
    def finish(self) -> list[Unit]:
        return [self._unit(p, proj) for p, proj in sorted(self.projects.items()) if proj.files]

    def _unit(self, project: str, p: _Project) -> Unit:
        scope = f"gcp:{project}"
        unit = Unit("gcp", scope, files=set(p.files) | self.hier_files)
        k = p.kinds
        for kind, text in CONSEQUENCE.items():
            present = {kind, "regional_policies" if kind == "network_policies" else kind}
            present &= set(k) | self.asset_kinds
            if not present:
                unit.missing.append(text)
        ancestry = p.ancestry if p.ancestry is not None else self._chain(p.parent)
        hier = list(self.hierarchical.values())
        if ancestry is None:
            orgs = sorted({str(h.get("parent")) for h in hier
                           if str(h.get("parent", "")).startswith("organizations/")})  # fmt: skip
            ancestry = orgs
            unit.missing.append(
                f"gcloud projects get-ancestors {project} (folder firewall policies not applied)"
            )
        if not hier and "hierarchical" not in self.asset_kinds:
            unit.missing.append(
                "gcloud compute firewall-policies list --organization ORG (hierarchical "
                "firewall policies unknown)"
            )
        data = ProjectInput(
            project=project, networks=k.get("networks", []), vpc_rules=p.vpc_rules,
            subnetworks=k.get("subnetworks", []), network_policies=k.get("network_policies", []),
            regional_policies=k.get("regional_policies", []), ancestry=ancestry,
            hierarchical_policies=hier, instances=k.get("instances", []),
        )  # fmt: skip
        result = normalize_project(data)
        p.vpc_rules, p.kinds = [], {}  # the rule sets hold their own copies now
        if result.errors:
            raise ImportFileError(scope_error(scope, unit.files, result.errors))
        unit.rulesets = result.rulesets
        return unit

    def _chain(self, parent: str) -> list[str] | None:
        """Top-down ancestry from a project's parent and the folders read, or None."""
        chain: list[str] = []
        node = parent
        while node and len(chain) < _MAX_DEPTH:  # a folder loop in the files ends here
            chain.append(node)
            if node.startswith("organizations/"):
                return list(reversed(chain))
            nxt = self.folder_parents.get(node)
            if nxt is None:
                return None
            node = nxt
        return None


def _is_ancestor(x: object) -> bool:
    return isinstance(x, dict) and set(x) == {"id", "type"}


def _policy_kind(item: Raw, link: str) -> str:
    if str(item.get("parent", "")).startswith(("organizations/", "folders/")):
        return "hierarchical"
    if "/regions/" in link or item.get("region"):
        return "regional_policies"
    if "/projects/" in link or link.startswith("projects/"):
        return "network_policies"
    return "hierarchical"

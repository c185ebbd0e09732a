"""`aws ec2 describe-*` JSON (AWS CLI, ``--output json``) -> `AwsRegionRaw` per account x region.

Each record's account and region come from the record (ARNs, ``OwnerId``, ``AvailabilityZone``),
else from the other records of its file, else of its directory (a directory of exports is one
account), else from ``--account`` / ``--region``; otherwise the import stops naming the file and
what is missing. `describe-security-groups` alone is enough for the rules: its ``IpPermissions``
are split into one rule per peer (keyed ``<group>:<direction>:<protocol>:<ports>:<peer>``, since
only `describe-security-group-rules` carries ``sgr-`` ids). A call whose output is absent leaves
the join it feeds impossible, and the scope's coverage says so (the run is incomplete).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudfw.imports.aws_shapes import OUTPUTS, PREFIX_LIST_ID, scope_hints
from cloudfw.imports.base import ImportOptions, Unit, scope_error
from cloudfw.imports.errors import ImportFileError
from cloudfw.imports.schema import check
from cloudfw.imports.source import Document
from cloudfw.normalize.aws import AwsRegionRaw, normalize_region

Raw = dict[str, Any]
# kind -> what its absence makes impossible (None: nothing the audit needs)
CONSEQUENCE = {
    "network_acls": "describe-network-acls / AWS::EC2::NetworkAcl (subnet ACLs not evaluated)",
    "network_interfaces": "describe-network-interfaces / AWS::EC2::NetworkInterface (no "
    "attachments: exposure not graded)",
    "flow_logs": "describe-flow-logs / AWS::EC2::FlowLog (VPC logging unknown)",
    "subnets": "describe-subnets / AWS::EC2::Subnet (subnet flow logs cannot be joined to VPCs)",
}


@dataclass
class _Rec:
    kind: str
    data: Raw
    file: str
    group: str
    path: str
    hint: tuple[str, str]


@dataclass
class AwsImporter:
    """Collects records from AWS CLI outputs (`add`), then builds the region units (`finish`)."""

    recs: list[_Rec] = field(default_factory=list)
    truncated: set[str] = field(default_factory=set)

    def add(self, doc: Document) -> int:
        value = doc.value
        if not isinstance(value, dict):
            raise ImportFileError(f"{doc.where}: $: expected an AWS CLI output object")
        keys = [k for k in OUTPUTS if k in value]
        if not keys:
            raise ImportFileError(
                f"{doc.where}: $: not an `aws ec2` describe output (expected one of "
                f"{', '.join(OUTPUTS)})"
            )
        if value.get("NextToken"):
            self.truncated.add(doc.file)
        n = 0
        for key in keys:
            kind, spec, _ = OUTPUTS[key]
            items = value[key]
            check(items, [spec], f"$.{key}", doc.where)
            for i, item in enumerate(items):
                rec = _Rec(kind, item, doc.file, doc.group, f"$.{key}[{i}]", scope_hints(item))
                self.recs.append(rec)
                n += 1
            if not items:  # an empty output still says "there is none of these" for its scope
                self.recs.append(_Rec(kind, {}, doc.file, doc.group, f"$.{key}", ("", "")))
        return n

    def add_record(self, kind: str, data: Raw, doc: Document, path: str,
                   scope: tuple[str, str]) -> None:  # fmt: skip
        """One record already in the EC2 API's shape (AWS Config items, converted)."""
        self.recs.append(_Rec(kind, data, doc.file, doc.group, path, scope))

    def finish(self, opts: ImportOptions) -> list[Unit]:
        resolved = _resolve(self.recs, opts)
        units: dict[tuple[str, str], dict[str, list[_Rec]]] = {}
        for rec, scope in resolved:
            units.setdefault(scope, {}).setdefault(rec.kind, []).append(rec)
        return [self._unit(acct, region, kinds) for (acct, region), kinds in sorted(units.items())]

    def _unit(self, account: str, region: str, kinds: dict[str, list[_Rec]]) -> Unit:
        scope = f"aws:{account}:{region}"
        unit = Unit("aws", scope)
        for recs in kinds.values():
            unit.files.update(r.file for r in recs)

        def data(kind: str) -> list[Raw]:
            return [r.data for r in kinds.get(kind, ()) if r.data]

        groups, rules = data("security_groups"), data("security_group_rules")
        if "security_group_rules" not in kinds:
            rules = [r for g in groups for r in split_permissions(g)]
        if "security_groups" not in kinds and rules:
            groups = _groups_from_rules(rules)
            unit.missing.append("describe-security-groups (group names, VPCs and tags unknown)")
        for kind, text in CONSEQUENCE.items():
            if kind not in kinds:
                unit.missing.append(text)
        truncated = sorted(f for f in unit.files if f in self.truncated)
        if truncated:
            unit.missing.append(f"pages after the first (NextToken in {', '.join(truncated)})")
        prefix_lists = _prefix_lists(kinds.get("prefix_list_entries", []))
        raw = AwsRegionRaw(
            account=account, region=region, security_groups=groups, security_group_rules=rules,
            network_acls=data("network_acls"), vpcs=data("vpcs"), subnets=data("subnets"),
            flow_logs=data("flow_logs") if "flow_logs" in kinds else None,
            network_interfaces=(
                data("network_interfaces") if "network_interfaces" in kinds else None
            ),
            prefix_lists=prefix_lists,
        )  # fmt: skip
        model = normalize_region(raw)
        if model.errors:
            raise ImportFileError(scope_error(scope, unit.files, model.errors))
        wanted = {str(r["PrefixListId"]) for r in rules if r.get("PrefixListId")}
        unit.warnings.extend(
            f"{scope}: prefix list {pl} kept symbolic: its entries "
            f"(get-managed-prefix-list-entries, saved as {pl}.json) are not in the files"
            for pl in sorted(wanted - set(prefix_lists))
        )
        unit.warnings.extend(f"{scope}: {w}" for w in model.warnings)
        unit.rulesets = model.rulesets
        return unit


def _resolve(recs: list[_Rec], opts: ImportOptions) -> list[tuple[_Rec, tuple[str, str]]]:
    """Each record's (account, region): its own, else its file's, its group's, the options'."""
    by_file: dict[str, tuple[Counter[str], Counter[str]]] = {}
    by_group: dict[str, tuple[Counter[str], Counter[str]]] = {}
    for r in recs:
        for table, key in ((by_file, r.file), (by_group, r.group)):
            accts, regions = table.setdefault(key, (Counter(), Counter()))
            if r.hint[0]:
                accts[r.hint[0]] += 1
            if r.hint[1]:
                regions[r.hint[1]] += 1

    def pick(own: str, i: int, r: _Rec, default: str) -> str:
        if own:
            return own
        for table, key in ((by_file, r.file), (by_group, r.group)):
            seen = table[key][i]
            if len(seen) == 1:
                return next(iter(seen))
        return default

    out: list[tuple[_Rec, tuple[str, str]]] = []
    for r in recs:
        account = pick(r.hint[0], 0, r, opts.account)
        region = pick(r.hint[1], 1, r, opts.region)
        lacking = [n for n, v in (("account", account), ("region", region)) if not v]
        if lacking:
            what = " and ".join(lacking)
            flags = " / ".join(f"--{n}" for n in lacking)
            raise ImportFileError(
                f"{r.file}: {r.path}: the file does not say which {what} it is from "
                f"(neither do the files beside it): give {flags}"
            )
        out.append((r, (account, region)))
    return out


def split_permissions(group: Raw) -> list[Raw]:
    """A security group's ``IpPermissions`` / ``IpPermissionsEgress`` as one
    `describe-security-group-rules` record per peer."""
    gid = str(group.get("GroupId") or "")
    out: list[Raw] = []
    for field_name, egress in (("IpPermissions", False), ("IpPermissionsEgress", True)):
        for perm in group.get(field_name) or ():
            base = {
                "GroupId": gid, "GroupOwnerId": group.get("OwnerId"), "IsEgress": egress,
                "IpProtocol": perm.get("IpProtocol", "-1"),
                "FromPort": perm.get("FromPort", -1), "ToPort": perm.get("ToPort", -1),
            }  # fmt: skip
            label = (
                f"{gid}:{'egress' if egress else 'ingress'}:{base['IpProtocol']}:"
                f"{base['FromPort']}-{base['ToPort']}"
            )
            peers: list[tuple[str, Raw]] = []
            peers += [(p.get("CidrIp", ""), {"CidrIpv4": p.get("CidrIp")} | _desc(p))
                      for p in perm.get("IpRanges") or ()]  # fmt: skip
            peers += [(p.get("CidrIpv6", ""), {"CidrIpv6": p.get("CidrIpv6")} | _desc(p))
                      for p in perm.get("Ipv6Ranges") or ()]  # fmt: skip
            peers += [(p.get("PrefixListId", ""), {"PrefixListId": p.get("PrefixListId")}
                       | _desc(p)) for p in perm.get("PrefixListIds") or ()]  # fmt: skip
            peers += [
                (p.get("GroupId", ""),
                 {"ReferencedGroupInfo": {"GroupId": p.get("GroupId"), "UserId": p.get("UserId")}}
                 | _desc(p))
                for p in perm.get("UserIdGroupPairs") or ()
            ]  # fmt: skip
            if not peers:
                peers = [("no-peer", {})]
            for peer, fields in peers:
                out.append(base | fields | {"SecurityGroupRuleId": f"{label}:{peer}"})
    return out


def _desc(p: Raw) -> Raw:
    return {"Description": p["Description"]} if p.get("Description") else {}


def _groups_from_rules(rules: list[Raw]) -> list[Raw]:
    ids = sorted({str(r.get("GroupId")) for r in rules if r.get("GroupId")})
    return [{"GroupId": g} for g in ids]


def _prefix_lists(entries: list[_Rec]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in entries:
        named = str(r.data.get("PrefixListId") or "")  # AWS Config names it; the CLI does not
        m = PREFIX_LIST_ID.search(named or Path(r.file).name)
        if m is None:
            raise ImportFileError(
                f"{r.file}: get-managed-prefix-list-entries output does not name its prefix "
                "list: save it as <pl-id>.json (e.g. pl-0123456789abcdef0.json)"
            )
        cidrs = out.setdefault(m.group(0), [])
        if r.data.get("Cidr"):
            cidrs.append(str(r.data["Cidr"]))
    return out

"""moto's server on 127.0.0.1 plus a seeder that builds declarative scenarios into it.

Used by the AWS tests and by ``cloudfw demo``: no credentials, no internet. The scenario format is
documented in ``moto_fixtures/README.md``. moto and boto3 are imported lazily, inside functions.
Seeding happens from ONE thread: moto's backends are not safe for concurrent writes.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudfw.policy.yamlsrc import PathPart, YamlDoc, load_yaml

FAKE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
FLOW_LOG_GROUP = "cloudfw-scenario-flow-logs"
FLOW_ROLE = "arn:aws:iam::123456789012:role/cloudfw-flow-logs"
SG_PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "58"}
ACL_PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}

_TOP = {
    "name",
    "description",
    "region",
    "vpcs",
    "prefix_lists",
    "security_groups",
    "network_acls",
    "network_interfaces",
    "network_firewalls",
    "expect",
    "expect_absent",
}
LOG_TYPES = ("ALERT", "FLOW", "TLS")
_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # section -> (required, optional)
    "vpcs": ({"name", "cidr"}, {"flow_logs", "subnets", "tags", "default_sg"}),
    "subnets": ({"name", "cidr"}, {"tags"}),
    "prefix_lists": ({"name", "cidrs"}, {"max_entries"}),
    "security_groups": ({"name", "vpc"}, {"description", "tags", "ingress", "egress"}),
    "default_sg": (set(), {"ingress", "egress"}),
    "rule": ({"protocol"}, {"ports", "icmp", "cidrs", "sgs", "prefix_lists", "description"}),
    "network_acls": ({"name", "vpc"}, {"subnets", "entries", "tags"}),
    "entry": ({"rule", "direction", "action", "protocol", "cidr"}, {"ports", "icmp"}),
    "network_interfaces": ({"name", "subnet", "groups"}, {"public_ip", "description"}),
    "network_firewalls": (
        {"name", "vpc", "subnets", "policy"},
        {"protects", "logging", "description"},
    ),
    "expect": ({"check", "resource"}, {"note"}),
}


# -- the server --------------------------------------------------------------------------------
@dataclass
class MotoServer:
    """A running ThreadedMotoServer. ``endpoint`` is ``http://127.0.0.1:<port>``."""

    endpoint: str
    server: Any

    def stop(self) -> None:
        self.server.stop()

    def reset(self) -> None:
        """Wipe every backend (``POST /moto-api/reset``)."""
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()


def start(port: int = 0) -> MotoServer:
    """Start moto's server on 127.0.0.1 (``port=0``: a free port) and wait until it answers."""
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # 1,301 AMIs otherwise
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, real_port = server.get_host_and_port()
    return MotoServer(f"http://{host}:{real_port}", server)


def stop(server: MotoServer) -> None:
    server.stop()


# -- scenarios ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expectation:
    check: str
    resource: str  # a logical name from the scenario; `seed` maps it to a real id
    scenario: str
    present: bool  # True: from `expect:`, False: from `expect_absent:`


@dataclass(frozen=True)
class Scenario:
    name: str
    region: str
    path: Path
    data: Mapping[str, Any]
    doc: YamlDoc

    @property
    def expectations(self) -> tuple[Expectation, ...]:
        return tuple(
            Expectation(str(e["check"]), str(e["resource"]), self.name, key == "expect")
            for key in ("expect", "expect_absent")
            for e in self.data.get(key) or ()
        )


def load_scenarios(scenarios_dir: str | Path) -> list[Scenario]:
    """Parse and validate every ``*.yaml`` in ``scenarios_dir`` (sorted by file name)."""
    out: list[Scenario] = []
    names: dict[str, str] = {}
    for path in sorted(Path(scenarios_dir).glob("*.yaml")):
        doc = load_yaml(path.read_text(encoding="utf-8"), str(path))
        _validate(doc)
        for sec, item, where in _logical_names(doc):
            if item in names:
                raise doc.error(where, f"logical name {item!r} already used in {names[item]}")
            names[item] = f"{path.name} ({sec})"
        _check_refs(doc)
        out.append(Scenario(str(doc.data["name"]), str(doc.data["region"]), path, doc.data, doc))
    for sc in out:
        for i, e in enumerate(sc.data.get("expect", []) + sc.data.get("expect_absent", [])):
            if str(e["resource"]) not in names:
                key = "expect" if i < len(sc.data.get("expect", [])) else "expect_absent"
                idx = i if key == "expect" else i - len(sc.data.get("expect", []))
                raise sc.doc.error([key, idx, "resource"], f"unknown resource {e['resource']!r}")
    return out


def _validate(doc: YamlDoc) -> None:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error([], "a scenario must be a mapping")
    _check_fields(doc, [], data, ({"name", "region"}, _TOP - {"name", "region"}))
    for sec in (
        "vpcs",
        "prefix_lists",
        "security_groups",
        "network_acls",
        "network_interfaces",
        "network_firewalls",
        "expect",
        "expect_absent",
    ):
        spec = _FIELDS["expect" if sec == "expect_absent" else sec]
        for i, item in enumerate(_items(doc, [sec], data.get(sec))):
            _check_fields(doc, [sec, i], item, spec)
            if sec == "vpcs":
                for j, sub in enumerate(_items(doc, [sec, i, "subnets"], item.get("subnets"))):
                    _check_fields(doc, [sec, i, "subnets", j], sub, _FIELDS["subnets"])
                if "default_sg" in item:
                    _check_fields(
                        doc, [sec, i, "default_sg"], item["default_sg"], _FIELDS["default_sg"]
                    )
                    _check_rules(doc, [sec, i, "default_sg"], item["default_sg"])
                if item.get("flow_logs", "none") not in ("vpc", "subnets", "none"):
                    raise doc.error([sec, i, "flow_logs"], "must be vpc, subnets or none")
            if sec == "security_groups":
                _check_rules(doc, [sec, i], item)
            if sec == "network_firewalls":
                for j, t in enumerate(item.get("logging") or ()):
                    if t not in LOG_TYPES:
                        raise doc.error([sec, i, "logging", j], f"must be one of {LOG_TYPES}")
            if sec == "network_acls":
                for j, e in enumerate(_items(doc, [sec, i, "entries"], item.get("entries"))):
                    _check_fields(doc, [sec, i, "entries", j], e, _FIELDS["entry"])
                    _check_entry(doc, [sec, i, "entries", j], e)


def _check_refs(doc: YamlDoc) -> None:
    """Every name a scenario refers to is defined in the same scenario (same region)."""
    names = {n for _, n, _ in _logical_names(doc)} | {"self"}
    refs: list[tuple[list[PathPart], Any]] = []
    for sec, fields in (
        ("security_groups", ("vpc",)),
        ("network_acls", ("vpc", "subnets")),
        ("network_interfaces", ("subnet", "groups")),
        ("network_firewalls", ("vpc", "subnets", "protects")),
    ):
        for i, item in enumerate(doc.data.get(sec) or ()):
            refs.extend(([sec, i, f], item.get(f)) for f in fields)
            for side in ("ingress", "egress"):
                for j, r in enumerate(item.get(side) or ()):
                    refs.extend(([sec, i, side, j, f], r.get(f)) for f in ("sgs", "prefix_lists"))
    for i, v in enumerate(doc.data.get("vpcs") or ()):
        for side in ("ingress", "egress"):
            for j, r in enumerate((v.get("default_sg") or {}).get(side) or ()):
                refs.extend(
                    (["vpcs", i, "default_sg", side, j, f], r.get(f))
                    for f in ("sgs", "prefix_lists")
                )
    for where, value in refs:
        for name in value if isinstance(value, list) else [value] if value is not None else []:
            if str(name) not in names:
                raise doc.error(where, f"unknown name {name!r} (not defined in this scenario)")


def _items(doc: YamlDoc, path: list[PathPart], value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise doc.error(path, "must be a list of mappings")
    return value


def _check_fields(
    doc: YamlDoc, path: list[PathPart], item: Any, spec: tuple[set[str], set[str]]
) -> None:
    required, optional = spec
    if not isinstance(item, dict):
        raise doc.error(path, "must be a mapping")
    for key in sorted(required - set(item)):
        raise doc.error(path, f"missing required field {key!r}")
    for key in sorted(set(item) - required - optional):
        raise doc.error([*path, key], f"unknown field {key!r}", key=True)


def _check_rules(doc: YamlDoc, path: list[PathPart], item: dict[str, Any]) -> None:
    for side in ("ingress", "egress"):
        for j, rule in enumerate(_items(doc, [*path, side], item.get(side))):
            where = [*path, side, j]
            _check_fields(doc, where, rule, _FIELDS["rule"])
            if (
                str(rule["protocol"]).lower() not in SG_PROTOCOLS
                and not str(rule["protocol"]).isdigit()
            ):
                raise doc.error([*where, "protocol"], f"unknown protocol {rule['protocol']!r}")
            if not any(rule.get(k) for k in ("cidrs", "sgs", "prefix_lists")):
                raise doc.error(where, "a rule needs cidrs, sgs or prefix_lists")
            _ports_of(doc, where, rule)


def _check_entry(doc: YamlDoc, path: list[PathPart], e: dict[str, Any]) -> None:
    if e["direction"] not in ("ingress", "egress"):
        raise doc.error([*path, "direction"], "must be ingress or egress")
    if e["action"] not in ("allow", "deny"):
        raise doc.error([*path, "action"], "must be allow or deny")
    if str(e["protocol"]).lower() not in ACL_PROTOCOLS and not str(e["protocol"]).isdigit():
        raise doc.error([*path, "protocol"], f"unknown protocol {e['protocol']!r}")
    if not isinstance(e["rule"], int) or not 1 <= e["rule"] <= 32766:
        raise doc.error([*path, "rule"], "must be a rule number 1..32766")
    _ports_of(doc, path, e)


def _ports_of(
    doc: YamlDoc, path: list[PathPart], rule: Mapping[str, Any]
) -> tuple[int, int] | None:
    """``ports: "22"`` / ``"20-25"`` -> (20, 25); ``icmp: {type, code}`` -> (type, code)."""
    if "icmp" in rule:
        icmp = rule["icmp"]
        if not isinstance(icmp, dict) or set(icmp) - {"type", "code"}:
            raise doc.error([*path, "icmp"], "must be a mapping with type and code")
        return int(icmp.get("type", -1)), int(icmp.get("code", -1))
    if "ports" not in rule:
        return None
    text = str(rule["ports"])
    lo, sep, hi = text.partition("-")
    try:
        span = (int(lo), int(hi) if sep else int(lo))
    except ValueError:
        raise doc.error([*path, "ports"], f"bad port range {text!r}") from None
    if not 0 <= span[0] <= span[1] <= 65535:
        raise doc.error([*path, "ports"], f"port range {text!r} is outside 0..65535 or reversed")
    return span


def _logical_names(doc: YamlDoc) -> list[tuple[str, str, list[PathPart]]]:
    out: list[tuple[str, str, list[PathPart]]] = []
    sections = ("vpcs", "prefix_lists", "security_groups", "network_acls", "network_interfaces",
                "network_firewalls")  # fmt: skip
    for sec in sections:
        for i, item in enumerate(doc.data.get(sec) or ()):
            out.append((sec, str(item["name"]), [sec, i, "name"]))
            if sec == "vpcs":
                out.append((sec, f"{item['name']}.default-sg", [sec, i, "name"]))
                out.append((sec, f"{item['name']}.default-acl", [sec, i, "name"]))
                for j, sub in enumerate(item.get("subnets") or ()):
                    out.append(("subnets", str(sub["name"]), [sec, i, "subnets", j, "name"]))
    return out


# -- seeding -----------------------------------------------------------------------------------
def seed(endpoint: str, scenarios_dir: str | Path) -> dict[str, str]:
    """Build every scenario into the moto server at ``endpoint``; return logical name -> real id.

    Runs from one thread, with fake keys and an explicit endpoint (never real credentials).
    """
    ids: dict[str, str] = {}
    for sc in load_scenarios(scenarios_dir):
        _Seeder(endpoint, sc, ids).build()
    return ids


class _Seeder:
    def __init__(self, endpoint: str, scenario: Scenario, ids: dict[str, str]) -> None:
        import boto3.session

        session = boto3.session.Session(region_name=scenario.region, **FAKE_KEYS)
        self.ec2: Any = session.client("ec2", endpoint_url=endpoint)
        self.logs: Any = session.client("logs", endpoint_url=endpoint)
        self.sc = scenario
        self.ids = ids

    def build(self) -> None:
        data = self.sc.data
        for v in data.get("vpcs") or ():
            self._vpc(v)
        for pl in data.get("prefix_lists") or ():
            self.ids[pl["name"]] = self.ec2.create_managed_prefix_list(
                PrefixListName=pl["name"],
                AddressFamily=_family(pl["cidrs"]),
                MaxEntries=int(pl.get("max_entries", max(5, len(pl["cidrs"])))),
                Entries=[{"Cidr": c} for c in pl["cidrs"]],
            )["PrefixList"]["PrefixListId"]
        groups = data.get("security_groups") or ()
        for g in groups:
            gid = self.ec2.create_security_group(
                GroupName=g["name"],
                Description=g.get("description", g["name"]),
                VpcId=self.ids[g["vpc"]],
            )["GroupId"]
            self.ids[g["name"]] = gid
            self._tag(gid, g["name"], g.get("tags"))
        for g in groups:  # after every group exists: rules may reference later groups
            self._replace_rules(self.ids[g["name"]], g)
        for acl in data.get("network_acls") or ():
            self._acl(acl)
        for eni in data.get("network_interfaces") or ():
            self._eni(eni)

    def _tag(self, rid: str, name: str, tags: Mapping[str, Any] | None = None) -> None:
        pairs = {"Name": name, "cloudfw:scenario": self.sc.name, **(tags or {})}
        self.ec2.create_tags(
            Resources=[rid], Tags=[{"Key": k, "Value": str(v)} for k, v in pairs.items()]
        )

    def _vpc(self, v: Mapping[str, Any]) -> None:
        vpc = self.ec2.create_vpc(CidrBlock=v["cidr"])["Vpc"]["VpcId"]
        self.ids[v["name"]] = vpc
        self._tag(vpc, v["name"], v.get("tags"))
        subnets: list[str] = []
        for s in v.get("subnets") or ():
            sid = self.ec2.create_subnet(VpcId=vpc, CidrBlock=s["cidr"])["Subnet"]["SubnetId"]
            self.ids[s["name"]] = sid
            subnets.append(sid)
            self._tag(sid, s["name"], s.get("tags"))
        flt = [{"Name": "vpc-id", "Values": [vpc]}]
        default_sg = next(
            g["GroupId"]
            for g in self.ec2.describe_security_groups(Filters=flt)["SecurityGroups"]
            if g["GroupName"] == "default"
        )
        default_acl = next(
            a["NetworkAclId"]
            for a in self.ec2.describe_network_acls(Filters=flt)["NetworkAcls"]
            if a.get("IsDefault")
        )
        self.ids[f"{v['name']}.default-sg"] = default_sg
        self.ids[f"{v['name']}.default-acl"] = default_acl
        if "default_sg" in v:
            self._replace_rules(default_sg, v["default_sg"], own=default_sg)
        mode = v.get("flow_logs", "none")
        if mode != "none":
            self._ensure_log_group()
            targets, rtype = ([vpc], "VPC") if mode == "vpc" else (subnets, "Subnet")
            self.ec2.create_flow_logs(
                ResourceIds=targets,
                ResourceType=rtype,
                TrafficType="ALL",
                LogGroupName=FLOW_LOG_GROUP,
                DeliverLogsPermissionArn=FLOW_ROLE,
            )

    def _ensure_log_group(self) -> None:
        groups = self.logs.describe_log_groups(logGroupNamePrefix=FLOW_LOG_GROUP)["logGroups"]
        if not groups:
            self.logs.create_log_group(logGroupName=FLOW_LOG_GROUP)

    def _replace_rules(self, gid: str, spec: Mapping[str, Any], own: str | None = None) -> None:
        """Authorize the spec's rules; a side that is given replaces moto's defaults."""
        current = self.ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        for side, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
            if side not in spec:
                continue
            old = [_clean(p) for p in current.get(key) or ()]
            revoke = (
                self.ec2.revoke_security_group_ingress
                if side == "ingress"
                else self.ec2.revoke_security_group_egress
            )
            if old:
                revoke(GroupId=gid, IpPermissions=old)
            perms = [self._perm(r, own or gid) for r in spec[side] or ()]
            grant = (
                self.ec2.authorize_security_group_ingress
                if side == "ingress"
                else self.ec2.authorize_security_group_egress
            )
            if perms:
                grant(GroupId=gid, IpPermissions=perms)

    def _perm(self, r: Mapping[str, Any], self_id: str) -> dict[str, Any]:
        proto = str(r["protocol"]).lower()
        perm: dict[str, Any] = {"IpProtocol": SG_PROTOCOLS.get(proto, proto)}
        span = _ports_of(self.sc.doc, [], r)
        if span is not None:
            perm["FromPort"], perm["ToPort"] = span
        elif proto in ("icmp", "icmpv6"):
            perm["FromPort"], perm["ToPort"] = -1, -1
        desc = {"Description": r["description"]} if r.get("description") else {}
        cidrs = [str(c) for c in r.get("cidrs") or ()]
        perm["IpRanges"] = [{"CidrIp": c, **desc} for c in cidrs if ":" not in c]
        perm["Ipv6Ranges"] = [{"CidrIpv6": c, **desc} for c in cidrs if ":" in c]
        perm["UserIdGroupPairs"] = [
            {"GroupId": self_id if g == "self" else self.ids[g], **desc} for g in r.get("sgs") or ()
        ]
        perm["PrefixListIds"] = [
            {"PrefixListId": self.ids[p], **desc} for p in r.get("prefix_lists") or ()
        ]
        return perm

    def _acl(self, a: Mapping[str, Any]) -> None:
        vpc = self.ids[a["vpc"]]
        acl = self.ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        self.ids[a["name"]] = acl
        self._tag(acl, a["name"], a.get("tags"))
        for e in a.get("entries") or ():
            proto = str(e["protocol"]).lower()
            kw: dict[str, Any] = {
                "CidrBlock" if ":" not in e["cidr"] else "Ipv6CidrBlock": e["cidr"]
            }
            span = _ports_of(self.sc.doc, [], e)
            if span is not None and "icmp" in e:
                kw["IcmpTypeCode"] = {"Type": span[0], "Code": span[1]}
            elif span is not None:
                kw["PortRange"] = {"From": span[0], "To": span[1]}
            self.ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=int(e["rule"]),
                Protocol=ACL_PROTOCOLS.get(proto, proto),
                RuleAction=e["action"],
                Egress=e["direction"] == "egress",
                **kw,
            )
        for name in a.get("subnets") or ():
            sid = self.ids[name]
            flt = [{"Name": "association.subnet-id", "Values": [sid]}]
            assoc = next(
                x["NetworkAclAssociationId"]
                for cur in self.ec2.describe_network_acls(Filters=flt)["NetworkAcls"]
                for x in cur["Associations"]
                if x["SubnetId"] == sid
            )
            self.ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)

    def _eni(self, e: Mapping[str, Any]) -> None:
        eni = self.ec2.create_network_interface(
            SubnetId=self.ids[e["subnet"]],
            Groups=[self.ids[g] for g in e["groups"]],
            Description=e.get("description", e["name"]),
        )["NetworkInterface"]["NetworkInterfaceId"]
        self.ids[e["name"]] = eni
        self._tag(eni, e["name"])
        if e.get("public_ip"):
            alloc = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
            self.ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eni)


def _family(cidrs: Sequence[str]) -> str:
    return "IPv6" if any(":" in str(c) for c in cidrs) else "IPv4"


def _clean(perm: Mapping[str, Any]) -> dict[str, Any]:
    """An IpPermission as describe returns it, minus empty lists, ready to revoke."""
    return {k: v for k, v in perm.items() if v not in ([], None)}

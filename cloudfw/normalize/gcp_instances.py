"""GCP VM instances (Compute API JSON) -> interface `Attachment`s of their networks. Pure.

One attachment per network interface: ``network-interface`` ``<zone>/<vm>/<nic>``, the VM name as
``instance_id``, ``networkIP`` as private address, ``accessConfigs[].natIP`` (and external IPv6)
as public addresses, the subnetwork as ``<region>/<name>``, and ``extra`` entries ``tag``/``sa``
(the VM's network tags and service accounts: what firewall rule ``targets`` select), ``zone``
and ``region``. Effective exposure joins them to the network's rule set.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudfw.model import Attachment
from cloudfw.normalize.gcp_fields import (
    GcpNormalizeError,
    Json,
    last_segment,
    obj_list,
    opt_obj,
    opt_str,
    req_str,
    resource_path,
    str_list,
)

# (network path, region, attachment)
Placed = tuple[str, str, Attachment]


def instance_attachments(instances: Sequence[Json], errors: list[str]) -> list[Placed]:
    out: list[Placed] = []
    for vm in instances:
        try:
            out.extend(_one(vm))
        except GcpNormalizeError as exc:
            errors.append(str(exc))
    return out


def _one(vm: Json) -> list[Placed]:
    name = req_str(vm, "name", "instance")
    ctx = f"instance {name!r}"
    zone = last_segment(req_str(vm, "zone", ctx))
    region = zone.rsplit("-", 1)[0]
    tags = str_list(opt_obj(vm, "tags", ctx), "items", f"{ctx}: tags")
    sas = [
        req_str(s, "email", f"{ctx}: serviceAccounts") for s in obj_list(vm, "serviceAccounts", ctx)
    ]
    extra = (
        *(("tag", t) for t in sorted(set(tags))),
        *(("sa", s) for s in sorted(set(sas))),
        ("zone", zone),
        ("region", region),
    )
    out: list[Placed] = []
    for nic in obj_list(vm, "networkInterfaces", ctx):
        nctx = f"{ctx}: networkInterfaces"
        net = resource_path(req_str(nic, "network", nctx))
        private = opt_str(nic, "networkIP", nctx)
        public = [
            opt_str(a, "natIP", f"{nctx}: accessConfigs")
            for a in obj_list(nic, "accessConfigs", nctx)
        ]
        public += [
            opt_str(a, "externalIpv6", f"{nctx}: ipv6AccessConfigs")
            for a in obj_list(nic, "ipv6AccessConfigs", nctx)
        ]
        sub = opt_str(nic, "subnetwork", nctx)
        att = Attachment(
            resource_type="network-interface",
            resource_id=f"{zone}/{name}/{opt_str(nic, 'name', nctx) or 'nic0'}",
            instance_id=name,
            private_ips=(private,) if private else (),
            public_ips=tuple(p for p in public if p),
            subnet=f"{region}/{last_segment(sub)}" if sub else "",
            extra=extra,
        )
        out.append((net, region, att))
    return out

"""Synthetic Cloud Asset Inventory export of an organization (deterministic, fast).

What `gcloud asset export --organization ORG --content-type=resource --asset-types=
compute.googleapis.com/Firewall,compute.googleapis.com/Network,compute.googleapis.com/Subnetwork,
compute.googleapis.com/FirewallPolicy` writes: JSON Lines, one asset per line, ``data`` in the
Compute API's camelCase. It models an estate, not one project copied:

* one organization, 8 business-unit folders with prod/staging/dev folders under each, and one
  hierarchical firewall policy on the organization (IAP and health checks handed on with
  ``goto_next``, a few known-bad ranges denied);
* projects of three sizes: Shared VPC host projects (~2% of projects, 800-2,500 rules on one or
  two ``shared-vpc-*`` networks), ordinary service projects (20-300 rules) and small sandboxes
  (the four ``default-allow-*`` rules of an auto-mode ``default`` network, plus a handful);
  rules are added project by project until the requested count is reached;
* per project a pool of network tags (``http-server``, ``gke-<cluster>-node``, ``app-<n>``...,
  about one per eight rules) and service accounts (about one per twenty rules): ~30% of rules
  target every instance, ~55% one to three tags, ~15% a service account;
* sources as real rule sets hold them: ``0.0.0.0/0``, the IAP and health-check ranges, RFC 1918
  blocks, partner /24-/28s, source tags; ~15% egress rules (a third of them denies), ~8% ingress
  denies, 1-3 ``allowed`` entries from common services, 3% disabled, 40% logged;
* two to four subnetworks per network, in several regions, half of them with flow logs.

No VM instances: their exposure grading is measured by ``exposure_bench``.

    python -m benchmarks.cai_gen OUT.jsonl [--rules 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

ORG = "organizations/123456789012"
API = "https://www.googleapis.com/compute/v1/projects"
BUS = ("payments", "retail", "data", "platform", "identity", "search", "media", "corp")
ENVS = ("prod", "staging", "dev")
REGIONS = ("us-central1", "us-east1", "europe-west1", "europe-west4", "asia-southeast1")
IAP = ["35.235.240.0/20"]
HEALTH = ["130.211.0.0/22", "35.191.0.0/16"]
_SERVICES = (
    ("tcp", ["22"]), ("tcp", ["3389"]), ("tcp", ["443"]), ("tcp", ["80", "443"]),
    ("tcp", ["8080-8090"]), ("tcp", ["5432"]), ("tcp", ["3306"]), ("tcp", ["6379"]),
    ("tcp", ["9200", "9300"]), ("tcp", ["27017"]), ("tcp", ["10250"]), ("udp", ["53"]),
    ("tcp", ["53"]), ("udp", ["161"]), ("icmp", []), ("tcp", ["30000-32767"]),
    ("tcp", ["8443"]), ("tcp", ["9090", "9100"]), ("tcp", ["1-65535"]), ("all", []),
)  # fmt: skip
_TAG_WORDS = ("http-server", "https-server", "ssh", "bastion", "nat", "db", "cache", "lb",
              "monitoring", "ci-runner", "vpn", "proxy")  # fmt: skip


def _asset(project: str, number: int, folders: list[str], path: str, atype: str,
           data: dict[str, Any]) -> bytes:  # fmt: skip
    return orjson.dumps({
        "name": f"//compute.googleapis.com/projects/{project}/{path}",
        "asset_type": f"compute.googleapis.com/{atype}",
        "resource": {"version": "v1", "discovery_name": atype, "location": "global",
                     "discovery_document_uri":
                         "https://www.googleapis.com/discovery/v1/apis/compute/v1/rest",
                     "parent": f"//cloudresourcemanager.googleapis.com/projects/{number}",
                     "data": data},
        "ancestors": [f"projects/{number}", *folders, ORG],
        "update_time": "2026-11-30T10:00:00.000000Z",
    })  # fmt: skip


def _org_policy() -> bytes:
    rules = [
        {"priority": 100, "direction": "INGRESS", "action": "deny", "enableLogging": True,
         "match": {"srcIpRanges": ["198.51.100.0/24", "203.0.113.0/24"],
                   "layer4Configs": [{"ipProtocol": "all"}]}},
        {"priority": 200, "direction": "INGRESS", "action": "goto_next",
         "match": {"srcIpRanges": IAP, "layer4Configs": [{"ipProtocol": "tcp",
                                                           "ports": ["22", "3389"]}]}},
        {"priority": 300, "direction": "INGRESS", "action": "goto_next",
         "match": {"srcIpRanges": HEALTH, "layer4Configs": [{"ipProtocol": "tcp"}]}},
        {"priority": 1000, "direction": "EGRESS", "action": "deny", "enableLogging": True,
         "match": {"destIpRanges": ["192.0.2.0/24"], "layer4Configs": [{"ipProtocol": "all"}]}},
        {"priority": 2147483645, "direction": "INGRESS", "action": "goto_next",
         "match": {"srcIpRanges": ["0.0.0.0/0"], "layer4Configs": [{"ipProtocol": "all"}]}},
        {"priority": 2147483646, "direction": "EGRESS", "action": "goto_next",
         "match": {"destIpRanges": ["0.0.0.0/0"], "layer4Configs": [{"ipProtocol": "all"}]}},
    ]  # fmt: skip
    return orjson.dumps({
        "name": "//compute.googleapis.com/locations/global/firewallPolicies/800000000001",
        "asset_type": "compute.googleapis.com/FirewallPolicy",
        "resource": {"version": "v1", "discovery_name": "FirewallPolicy", "location": "global",
                     "parent": f"//cloudresourcemanager.googleapis.com/{ORG}",
                     "data": {"kind": "compute#firewallPolicy", "id": "800000000001",
                              "name": "800000000001", "shortName": "org-baseline",
                              "parent": ORG, "rules": rules,
                              "associations": [{"name": "org-baseline-assoc",
                                                "attachmentTarget": ORG}]}},
        "ancestors": [ORG],
        "update_time": "2026-11-30T10:00:00.000000Z",
    })  # fmt: skip


class _Estate:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.folders = {
            (bu, env): [f"folders/{300000000000 + i * 10 + j}", f"folders/{300000000000 + i}"]
            for i, bu in enumerate(BUS)
            for j, env in enumerate(ENVS, 1)
        }

    def internal(self) -> list[str]:
        r = self.rnd
        return [f"10.{r.randrange(256)}.{r.randrange(0, 256, 16)}.0/{r.choice((16, 20, 24))}"
                for _ in range(r.choice((1, 1, 2, 3)))]  # fmt: skip

    def partner(self) -> list[str]:
        r = self.rnd
        return [f"{r.choice((34, 52, 81, 145, 185))}.{r.randrange(256)}.{r.randrange(256)}.0/"
                f"{r.choice((24, 26, 28))}" for _ in range(r.choice((1, 2)))]  # fmt: skip

    def rule(self, name: str, project: str, network: str, tags: list[str], sas: list[str],
             i: int) -> dict[str, Any]:  # fmt: skip
        r = self.rnd
        ingress = r.random() < 0.85
        deny = r.random() < (0.08 if ingress else 0.33)
        d: dict[str, Any] = {
            "kind": "compute#firewall", "name": name,
            "direction": "INGRESS" if ingress else "EGRESS",
            "priority": r.choice((1000, 1000, 1000, 900, 1100, 500, r.randrange(100, 65000))),
            "network": f"{API}/{project}/global/networks/{network}",
            "selfLink": f"{API}/{project}/global/firewalls/{name}",
            "creationTimestamp": "2026-01-01T00:00:00.000-08:00", "id": str(10**15 + i),
            "disabled": r.random() < 0.03, "logConfig": {"enable": r.random() < 0.4},
        }  # fmt: skip
        if r.random() < 0.3:
            d["description"] = f"ticket NET-{r.randrange(1000, 99999)}"
        t = r.random()
        if t < 0.55 and tags:
            d["targetTags"] = r.sample(tags, min(len(tags), r.choice((1, 1, 1, 1, 2, 3))))
        elif t < 0.70 and sas:
            d["targetServiceAccounts"] = [r.choice(sas)]
        if ingress:
            s = r.random()
            if s < 0.22:
                d["sourceRanges"] = ["0.0.0.0/0"] if r.random() < 0.8 else ["0.0.0.0/0", "::/0"]
            elif s < 0.32:
                d["sourceRanges"] = IAP
            elif s < 0.40:
                d["sourceRanges"] = HEALTH
            elif s < 0.80:
                d["sourceRanges"] = self.internal()
            elif s < 0.90 and tags:
                d["sourceTags"] = r.sample(tags, min(len(tags), r.choice((1, 2))))
            else:
                d["sourceRanges"] = self.partner()
        else:
            d["destinationRanges"] = (["0.0.0.0/0"] if r.random() < 0.5
                                      else self.internal() + self.partner())  # fmt: skip
        entries = []
        for proto, ports in r.sample(_SERVICES, r.choice((1, 1, 1, 2, 3))):
            e: dict[str, Any] = {"IPProtocol": proto}
            if ports:
                e["ports"] = ports
            entries.append(e)
        d["denied" if deny else "allowed"] = entries
        return d


def _defaults(project: str) -> list[dict[str, Any]]:
    net = f"{API}/{project}/global/networks/default"
    spec = (("default-allow-internal", 65534, ["10.128.0.0/9"],
             [{"IPProtocol": "tcp", "ports": ["0-65535"]}, {"IPProtocol": "udp",
              "ports": ["0-65535"]}, {"IPProtocol": "icmp"}]),
            ("default-allow-ssh", 65534, ["0.0.0.0/0"], [{"IPProtocol": "tcp", "ports": ["22"]}]),
            ("default-allow-rdp", 65534, ["0.0.0.0/0"],
             [{"IPProtocol": "tcp", "ports": ["3389"]}]),
            ("default-allow-icmp", 65534, ["0.0.0.0/0"], [{"IPProtocol": "icmp"}]))  # fmt: skip
    return [
        {"kind": "compute#firewall", "name": name, "direction": "INGRESS", "priority": prio,
         "network": net, "selfLink": f"{API}/{project}/global/firewalls/{name}",
         "sourceRanges": src, "allowed": allowed, "logConfig": {"enable": False},
         "disabled": False, "creationTimestamp": "2026-01-01T00:00:00.000-08:00"}
        for name, prio, src, allowed in spec
    ]  # fmt: skip


def assets(rules: int, seed: int = 1) -> Iterator[bytes]:
    """The export's lines (without newlines); exactly ``rules`` Firewall assets."""
    rnd = random.Random(seed)
    est = _Estate(rnd)
    yield _org_policy()
    left, p = rules, 0
    while left > 0:
        bu, env = BUS[p % len(BUS)], ENVS[(p // len(BUS)) % len(ENVS)]
        project, number, folders = f"{bu}-{env}-{p:05d}", 400000000000 + p, est.folders[bu, env]
        kind = rnd.random()
        if kind < 0.02:
            n = rnd.randrange(800, 2500)
            nets = [f"shared-vpc-{env}", f"shared-vpc-{env}-2"][: rnd.choice((1, 2))]
        elif kind < 0.75:
            n = rnd.randrange(20, 300)
            nets = ["vpc-main"] if rnd.random() < 0.8 else ["vpc-main", "default"]
        else:
            n = rnd.randrange(4, 12)
            nets = ["default"]
        n = min(n, left)
        tags = [*rnd.sample(_TAG_WORDS, rnd.randrange(2, 6)),
                *(f"gke-{bu}-{c}-node" for c in range(rnd.randrange(0, 3))),
                *(f"app-{k}" for k in range(max(1, n // 8)))]  # fmt: skip
        sas = [f"svc-{k}@{project}.iam.gserviceaccount.com" for k in range(max(1, n // 20))]
        sas.append(f"{number}-compute@developer.gserviceaccount.com")

        def line(path: str, atype: str, data: dict[str, Any]) -> bytes:
            return _asset(project, number, folders, path, atype, data)  # noqa: B023

        for net in nets:
            auto = net == "default"
            yield line(f"global/networks/{net}", "Network", {
                "kind": "compute#network", "name": net, "autoCreateSubnetworks": auto,
                "selfLink": f"{API}/{project}/global/networks/{net}",
                "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL"})  # fmt: skip
            for k, region in enumerate(rnd.sample(REGIONS, rnd.randrange(2, 5))):
                sub = f"{net}-{region}"
                yield line(f"regions/{region}/subnetworks/{sub}", "Subnetwork", {
                    "kind": "compute#subnetwork", "name": sub,
                    "network": f"{API}/{project}/global/networks/{net}",
                    "region": f"{API}/{project}/regions/{region}",
                    "ipCidrRange": f"10.{p % 250}.{k * 16}.0/20", "purpose": "PRIVATE",
                    "selfLink": f"{API}/{project}/regions/{region}/subnetworks/{sub}",
                    "logConfig": {"enable": rnd.random() < 0.5}})  # fmt: skip
        written = 0
        if "default" in nets:
            for fw in _defaults(project)[:n]:
                yield line(f"global/firewalls/{fw['name']}", "Firewall", fw)
                written += 1
        for i in range(written, n):
            name = f"fw-{project}-{i:04d}"
            fw = est.rule(name, project, rnd.choice(nets), tags, sas, rules - left + i)
            yield line(f"global/firewalls/{name}", "Firewall", fw)
        left -= n
        p += 1


def write_export(path: Path, rules: int, seed: int = 1) -> int:
    """Write the export; returns the number of projects."""
    projects: set[bytes] = set()
    with path.open("wb") as f:
        for line in assets(rules, seed):
            f.write(line)
            f.write(b"\n")
            start = line.find(b"/projects/")
            if start >= 0:
                projects.add(line[start : line.find(b"/", start + 10)])
    return len(projects)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--rules", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    n = write_export(a.out, a.rules, a.seed)
    print(f"wrote {a.out}: {a.rules:,} firewall rules in {n:,} projects")


if __name__ == "__main__":
    main()

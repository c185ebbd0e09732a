"""Check metadata: ids, severities, risk and remediation text, compliance ids and ATT&CK ids.

Everything here is data. Compliance ids are a mapping provider -> ids; a finding picks the entry for
``finding.asset.provider`` (a lookup, never a code branch). Service-specific ids (CIS SSH/RDP
controls, ...) live in the service catalog and are added to ``internet-ingress[<service>]``.

Compliance sources (ids kept as the benchmarks number them; see also the catalog header):
* CIS AWS Foundations v6.0.0: 4.7 VPC flow logging in all VPCs; 6.2 NACL, 6.3 SG 0.0.0.0/0,
  6.4 SG ::/0 to admin ports; 6.5 default security group restricts all traffic.
* CIS Microsoft Azure Foundations, networking section 7: 7.1 RDP, 7.2 SSH, 7.3 UDP, 7.4 HTTP(S)
  from the internet; 7.5 NSG flow log retention (used for ``unlogged``).
* CIS GCP Foundations: 3.1 default network; 3.6 SSH, 3.7 RDP from the internet; 3.8 VPC flow logs
  on every subnet; 3.10 only Google (IAP / load-balancer) ranges allowed in (used for the
  "anything broad from the internet" checks). GCP firewall-rule logging has no CIS control.

ATT&CK: exposure checks carry v19 ``T1686.001`` (impair defenses: cloud firewall) and its legacy id
``T1562.007``; ``unlogged`` carries v19 ``T1685.002`` (was ``T1562.008``, disable or modify cloud
logs), the technique an adversary uses to get the same gap; shadowed/redundant rules are hygiene
and carry none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from cloudfw.model import Severity

ParamKind = Literal["bool", "int", "float", "names"]

EXPOSURE_TECHNIQUES = ("T1686.001", "T1562.007")
# A host firewall left open is T1686 "Disable or Modify System Firewall" (legacy T1562.004); the
# cloud sub-technique .001 does not apply to hosts.
HOST_TECHNIQUES = ("T1686", "T1562.004")
BY_PROVIDER = {"host": HOST_TECHNIQUES}
LOGGING_TECHNIQUES = ("T1685.002", "T1562.008")


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One tunable of a check as written under ``policy.checks.<id>.<name>``.

    ``names`` is a list of strings; ``choices`` restricts them (``catalog`` = service names or
    aliases from the service catalog).
    """

    kind: ParamKind
    default: object
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | Literal["catalog"] = ()


ENABLED = ParamSpec("bool", True, "false turns the check off")


@dataclass(frozen=True, slots=True)
class CheckMeta:
    id: str
    title: str
    severity: Severity
    risk: str
    remediation: str
    compliance: Mapping[str, tuple[str, ...]]
    techniques: tuple[str, ...]
    params: Mapping[str, ParamSpec] = field(default_factory=dict)
    doc: str = ""
    parametrized: bool = False  # finding ids look like ``<id>[<param>]``
    provider_techniques: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def compliance_for(self, provider: str) -> tuple[str, ...]:
        return self.compliance.get(provider, ())

    def techniques_for(self, provider: str) -> tuple[str, ...]:
        """ATT&CK ids for findings on this provider's assets (data, not a code branch)."""
        return self.provider_techniques.get(provider, self.techniques)


def _meta(
    *,
    id: str,
    title: str,
    severity: Severity,
    risk: str,
    remediation: str,
    compliance: Mapping[str, tuple[str, ...]],
    techniques: tuple[str, ...],
    params: Mapping[str, ParamSpec] | None = None,
    doc: str = "",
    parametrized: bool = False,
) -> CheckMeta:
    provider_techniques = BY_PROVIDER if techniques == EXPOSURE_TECHNIQUES else {}
    all_params = {"enabled": ENABLED, **(params or {})}
    return CheckMeta(
        id=id,
        title=title,
        severity=severity,
        risk=risk,
        remediation=remediation,
        compliance=MappingProxyType(dict(compliance)),
        techniques=techniques,
        params=MappingProxyType(all_params),
        doc=doc,
        parametrized=parametrized,
        provider_techniques=MappingProxyType(dict(provider_techniques)),
    )


_THRESHOLD = ParamSpec(
    "float",
    0.5,
    "share (0..1] of the public IPv4 or IPv6 address space that counts as 'the internet'; "
    "0.0.0.0/0 minus a few denied ranges still counts",
    minimum=1e-9,
    maximum=1.0,
)

INTERNET_INGRESS = _meta(
    id="internet-ingress",
    title="Sensitive service reachable from the internet",
    severity=Severity.HIGH,
    risk=(
        "A sensitive service (remote administration, database, cache, cluster control plane) "
        "accepts connections from the whole internet, where it is scanned within minutes and "
        "exposed to brute force and unauthenticated exploits."
    ),
    remediation=(
        "Remove the allowing rule or narrow its source to known networks (VPN, bastion, office "
        "ranges); reach administration ports through a bastion, session manager or IAP instead."
    ),
    compliance={"aws": (), "azure": (), "gcp": ()},
    techniques=EXPOSURE_TECHNIQUES,
    params={
        "services": ParamSpec(
            "names",
            None,
            "catalog services to check (names or aliases); default: all",
            choices="catalog",
        ),
        "threshold": _THRESHOLD,
    },
    parametrized=True,
    doc=(
        "One check driven by the service catalog: for each rule set, target profile and service, "
        "the peers allowed (after the enforcement point's own ordering, denies and defaults) to "
        "reach any of the service's protocol/ports are unioned; if they hold at least "
        "`threshold` of the public address space the service is exposed. A port range that "
        "contains the service, and protocol 'all', count."
    ),
)

ALLOW_ALL = _meta(
    id="allow-all",
    title="All protocols and ports open to the internet",
    severity=Severity.HIGH,
    risk=(
        "Every protocol and port is reachable from the internet, so any service that listens on "
        "the attached resources is exposed, including ones started later."
    ),
    remediation=(
        "Replace the all-traffic rule with rules for the specific ports the workload serves."
    ),
    compliance={"gcp": ("CIS GCP 3.10",)},
    techniques=EXPOSURE_TECHNIQUES,
    params={
        "directions": ParamSpec(
            "names",
            ("ingress",),
            "directions to check; egress is opt-in and reported as low",
            choices=("ingress", "egress"),
        ),
        "threshold": _THRESHOLD,
    },
    doc=(
        "Fires when the set of peers that can reach *every* protocol and port is internet-sized. "
        "A deny for a single port in front of an allow-all rule means not all ports are open, so "
        "allow-all does not fire (internet-ingress still reports each catalog service that stays "
        "open). When allow-all fires, the per-service internet-ingress findings are emitted too: "
        "each service is a separate exposure a baseline may approve or an exception may mute."
    ),
)

WIDE_PUBLIC_SOURCE = _meta(
    id="wide-public-source",
    title="Allow rule with a very broad public source",
    severity=Severity.MEDIUM,
    risk=(
        "A rule admits a public block far larger than any one organisation's egress addresses "
        "(a whole provider or regional range), so much of the internet can reach the resource."
    ),
    remediation="Narrow the source to the specific addresses that need access.",
    compliance={"gcp": ("CIS GCP 3.10",)},
    techniques=EXPOSURE_TECHNIQUES,
    params={
        "max_prefix": ParamSpec(
            "int",
            16,
            "IPv4: fire for a public source block shorter than this prefix length",
            minimum=0,
            maximum=32,
        ),
        "max_prefix_v6": ParamSpec(
            "int",
            48,
            "IPv6: fire for a public source block shorter than this prefix length",
            minimum=0,
            maximum=128,
        ),
        "threshold": _THRESHOLD,
    },
    doc=(
        "Ingress allow rules only (egress to broad ranges such as a SaaS provider is normal). Per "
        "rule, the peers it actually admits (after earlier denies in ordered rule sets) are "
        "checked; internet-sized sources are left to internet-ingress / allow-all. IPv6 has its "
        "own limit (`max_prefix_v6`, default /48, the usual site allocation)."
    ),
)

DEFAULT_GROUP_OPEN = _meta(
    id="default-group-open",
    title="Provider default enforcement point allows traffic",
    severity=Severity.MEDIUM,
    risk=(
        "Resources land in the default group or network when nobody chose one; if the default "
        "allows traffic they silently inherit that access."
    ),
    remediation=(
        "Remove every allow rule from the default group (or delete the default network) and give "
        "workloads purpose-built groups."
    ),
    compliance={"aws": ("CIS AWS v6.0 6.5",), "gcp": ("CIS GCP 3.1",)},
    techniques=EXPOSURE_TECHNIQUES,
    doc="A rule set marked as the provider default with any enabled allow rule, either direction.",
)

UNLOGGED = _meta(
    id="unlogged",
    title="Traffic decisions are not logged",
    severity=Severity.MEDIUM,
    risk=(
        "Without flow or rule logs there is no record of who connected or was refused, so an "
        "intrusion through this enforcement point cannot be investigated."
    ),
    remediation=(
        "Enable flow logs on the network (or logging on the rule / firewall profile) and keep them "
        "long enough for investigations."
    ),
    compliance={
        "aws": ("CIS AWS v6.0 4.7",),
        "azure": ("CIS Azure 7.5", "CIS Azure 7.8"),
        "gcp": (),  # rule logging has no CIS GCP control (SCC: FIREWALL_RULE_LOGGING_DISABLED)
    },
    techniques=LOGGING_TECHNIQUES,
    doc=(
        "Rules whose own logging is off (one finding per enabled rule). Otherwise, rule sets whose "
        "traffic log is off: one finding per log scope (the resource whose setting decides it, "
        "e.g. a VPC), listing the affected rule sets; one per rule set when there is no scope."
    ),
)

DEFAULT_PASS = _meta(
    id="default-pass",
    title="A layer's default passes traffic around the later layers",
    severity=Severity.HIGH,
    risk=(
        "Traffic that no rule of an early layer decides is allowed outright instead of being "
        "handed on, so the later layers (the stateful engine of an AWS Network Firewall, say) "
        "never see it: their drops and alerts look like protection but do not apply."
    ),
    remediation=(
        "Make the layer's default hand traffic on (aws:forward_to_sfe) or drop it, and pass "
        "only traffic that explicit rules name."
    ),
    compliance={},
    techniques=EXPOSURE_TECHNIQUES,
    doc=(
        "Rule sets with several layers only: an enabled allow rule of a layer before the last "
        "that matches every protocol, port and address (a layer's default, such as the "
        "stateless default aws:pass) and that traffic actually reaches."
    ),
)

SHADOWED_RULE = _meta(
    id="shadowed-rule",
    title="Rule never matches: earlier rules decide the opposite",
    severity=Severity.LOW,
    risk=(
        "The rule looks like it allows (or blocks) traffic, but earlier rules already decide all "
        "of it the other way; reviewers are misled about what the enforcement point does."
    ),
    remediation=(
        "Delete the rule, or move it before the rules that shadow it if it is meant to apply."
    ),
    compliance={},
    techniques=(),
    doc="Ordered rule sets only (first match, priority, chains).",
)

REDUNDANT_RULE = _meta(
    id="redundant-rule",
    title="Rule never matches: earlier rules already do the same",
    severity=Severity.LOW,
    risk="Dead rules make rule sets harder to review and hide mistakes in later edits.",
    remediation="Delete the redundant rule.",
    compliance={},
    techniques=(),
    doc="Ordered rule sets only: the rule's whole space is decided earlier with the same action.",
)

# Check ids that share ``policy.checks`` but belong to other layers: reported by baseline drift
# (cloudfw.baseline, which checks never import) and change events. They take only the switch
# ``{enabled: true|false}`` (validate_policy checks it); the pipeline applies it to their findings.
FOREIGN_CHECKS = frozenset(
    {"unexpectedly-authorized", "revoked", "modified", "unapproved-principal",
     "firewall-enumeration"}
)  # fmt: skip

REGISTRY: Mapping[str, CheckMeta] = MappingProxyType(
    {
        m.id: m
        for m in (
            INTERNET_INGRESS,
            ALLOW_ALL,
            WIDE_PUBLIC_SOURCE,
            DEFAULT_GROUP_OPEN,
            UNLOGGED,
            DEFAULT_PASS,
            SHADOWED_RULE,
            REDUNDANT_RULE,
        )
    }
)

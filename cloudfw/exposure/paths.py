"""Path assembly: which enforcement points stand between the internet and each asset.

The joins are data-driven, from the rule sets' attachments and semantics, never from the
provider name:

* **interface** attachments (``network-interface``: an AWS ENI, an Azure NIC, a GCP instance
  interface) are the assets. Every rule set that lists the interface is an *interface* layer;
  ALLOW_UNION rule sets on the same interface (AWS security groups) are unioned into one layer.
* **subnet-route** attachments join by the interface's ``subnet`` too: a rule set that a route
  puts on the subnet's internet path (an AWS Network Firewall whose endpoint the subnet's route
  table, or the internet gateway's edge route table, sends traffic through) is a *path* layer,
  outermost, before the subnet's own layers. It sees the interface's private address (the
  internet gateway translates the public one first).
* **subnet** attachments join by the interface's ``subnet``: every rule set attached to that
  subnet (an AWS NACL, an Azure subnet NSG) is a *subnet* layer, evaluated before the interface.
  A FIRST_MATCH_BY_NUMBER rule set (AWS NACL) is stateless: the return path is checked too.
* **gateways**: a rule set with DNAT rules (an INGRESS allow whose description starts with
  ``DNAT``, the Azure Firewall normalizer's convention) publishes a private address behind its
  public IPs. The interface owning that address gets an extra path that enters through the DNAT
  rule; the later layers see the gateway's private address as the source (Azure Firewall SNATs
  DNAT traffic), when that address is known.
* **hosts**: a host firewall snapshot (``host`` attachment) whose host id equals the interface's
  instance id, or whose addresses include one of its private IPs, is one more (innermost) layer.
* **target-selected** rule sets (GCP networks: POLICY_THEN_VPC / PRIORITY_DENY_WINS_TIES) apply
  by tag/service account. Interfaces attached to them carry ``extra`` ``tag``/``sa`` entries,
  which become the rule set's ``targets``. Without collected instances a network yields one path
  per target profile, whose public address is unknown.

Whether "internet" applies at all is the interface's public addresses (``public_ips``, or an
``ipv6`` entry in ``extra``); a public address is assumed routed (route tables place
firewalls on the path, but are not read for reachability itself).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from cloudfw.model import (
    AddressSet,
    Asset,
    Attachment,
    Direction,
    EvalSemantics,
    ModelError,
    Rule,
    RuleSet,
)

INTERFACE_TYPES = frozenset({"network-interface"})
SUBNET_TYPES = frozenset({"subnet"})
ROUTE_TYPES = frozenset({"subnet-route"})
HOST_TYPES = frozenset({"host"})
UNION_SEMANTICS = frozenset({EvalSemantics.ALLOW_UNION})
STATELESS_SEMANTICS = frozenset({EvalSemantics.FIRST_MATCH_BY_NUMBER})
TARGET_SEMANTICS = frozenset({EvalSemantics.POLICY_THEN_VPC, EvalSemantics.PRIORITY_DENY_WINS_TIES})
DNAT_PREFIX = "DNAT "


@dataclass(frozen=True, slots=True)
class Layer:
    """One enforcement point on a path (several rule sets when they are unioned).

    ``only_rules`` limits the layer to those rules' allowed boxes (a gateway's DNAT rules);
    ``local`` restricts the destination (the translated address); ``peer_view`` is the source the
    layer really sees (a gateway's private address after SNAT), None = the original source.
    """

    name: str
    rulesets: tuple[RuleSet, ...]
    targets: frozenset[str] = frozenset()
    stateless: bool = False
    only_rules: frozenset[str] | None = None
    local: AddressSet | None = None
    peer_view: AddressSet | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(rs.asset.resource_id for rs in self.rulesets)


@dataclass(frozen=True, slots=True)
class ExposurePath:
    """The layers in front of one asset, outermost first, and whether it has a public address.

    ``public`` is None when it is unknown (no instance data). ``entry`` is ``direct`` or ``dnat``.
    """

    asset: Asset
    instance_id: str
    private_ips: tuple[str, ...]
    public_ips: tuple[str, ...]
    public: bool | None
    public_note: str
    layers: tuple[Layer, ...]
    entry: str = "direct"


_NO_TARGETS: frozenset[str] = frozenset()


def _k(text: str) -> str:
    return text.lower()


def _targets(att: Attachment) -> frozenset[str]:
    if not att.extra:
        return _NO_TARGETS
    return frozenset(f"{k}:{v}" for k, v in att.extra if k in ("tag", "sa"))


def _ipv6(att: Attachment) -> tuple[str, ...]:
    if not att.extra:
        return ()
    return tuple(v for k, v in att.extra if k == "ipv6")


def _group(kind: str, sets: Sequence[RuleSet], targets: frozenset[str]) -> list[Layer]:
    """One layer per rule set, except ALLOW_UNION rule sets, which union into one layer."""
    union = sorted(
        (rs for rs in sets if rs.semantics in UNION_SEMANTICS), key=lambda r: r.asset.uid
    )
    out: list[Layer] = []
    if union:
        out.append(Layer(f"{kind}:{union[0].asset.resource_type}", tuple(union), targets))
    for rs in sorted(sets, key=lambda r: r.asset.uid):
        if rs.semantics in UNION_SEMANTICS:
            continue
        stateless = rs.semantics in STATELESS_SEMANTICS
        where = "network" if rs.semantics in TARGET_SEMANTICS else kind
        out.append(Layer(f"{where}:{rs.asset.resource_type}", (rs,), targets, stateless))
    return out


def _routed(layers: list[Layer], private_ips: tuple[str, ...]) -> list[Layer]:
    """Path layers see the interface by its private address: the internet gateway has already
    translated the public one when a route hands the packet to the firewall."""
    own = ip_set(private_ips)
    if own.is_empty():
        return layers
    return [replace(x, local=own) for x in layers]


def _asset(rs: RuleSet, att: Attachment) -> Asset:
    a = rs.asset
    return Asset(
        a.provider, a.account, a.region, att.resource_type, att.resource_id, parent=att.subnet
    )


def _dnat_rules(rs: RuleSet) -> list[Rule]:
    if rs.semantics in UNION_SEMANTICS:  # security groups translate nothing
        return []
    return [
        r
        for r in rs.rules
        if r.direction is Direction.INGRESS
        and r.action.permits
        and r.enabled
        and r.description.startswith(DNAT_PREFIX)
    ]


def ip_set(ips: Iterable[str]) -> AddressSet:
    """The addresses among ``ips`` (anything that does not parse is not an address)."""
    out = AddressSet()
    for ip in ips:
        try:
            out = out | AddressSet.parse(ip)
        except ModelError:
            continue
    return out


@dataclass
class _Iface:
    att: Attachment
    owner: RuleSet  # the first rule set that listed it (for provider/account/region)
    sets: list[RuleSet]


def build_paths(
    rulesets: Sequence[RuleSet], only: Collection[str] | None = None
) -> list[ExposurePath]:
    """Every asset's path, in a stable order (by asset uid, direct before DNAT). With ``only``
    (rule-set uids), just the paths of assets behind at least one of those rule sets."""
    ifaces: dict[tuple[str, str, str], _Iface] = {}
    subnets: dict[tuple[str, str, str], list[RuleSet]] = {}
    routed: dict[tuple[str, str, str], list[RuleSet]] = {}
    gateways: list[tuple[RuleSet, list[Rule]]] = []
    hosts: dict[str, list[RuleSet]] = {}
    joined: set[int] = set()
    for rs in rulesets:
        for att in rs.attachments:
            key = (rs.asset.provider, rs.asset.account, _k(att.resource_id))
            if att.resource_type in INTERFACE_TYPES:
                entry = ifaces.setdefault(key, _Iface(att, rs, []))
                if all(x is not rs for x in entry.sets):
                    entry.sets.append(rs)
                if rs.asset.uid < entry.owner.asset.uid:  # independent of listing order
                    entry.owner, entry.att = rs, att
            elif att.resource_type in SUBNET_TYPES:
                subnets.setdefault(key, []).append(rs)
            elif att.resource_type in ROUTE_TYPES:
                routed.setdefault(key, []).append(rs)
            elif att.resource_type in HOST_TYPES:
                for k in _host_keys(att):
                    hosts.setdefault(k, []).append(rs)
        dnat = _dnat_rules(rs)
        if dnat:
            gateways.append((rs, dnat))
    paths: list[ExposurePath] = []
    # a wanted DNAT gateway can lead to any interface: then every path is needed
    via_gateway = only is not None and any(g.asset.uid in only for g, _ in gateways)
    for (prov, acct, _), it in sorted(ifaces.items()):
        sub_key = (prov, acct, _k(it.att.subnet))
        sub_sets = subnets.get(sub_key, []) if it.att.subnet else []
        path_sets = routed.get(sub_key, []) if it.att.subnet else []
        if (
            only is not None
            and not via_gateway
            and not any(
                rs.asset.uid in only
                for rs in (*path_sets, *sub_sets, *it.sets, *_host_sets(hosts, it.att))
            )
        ):
            joined.update(id(rs) for rs in (*sub_sets, *it.sets))
            continue
        targets = _targets(it.att)
        layers = _routed(_group("path", path_sets, targets), it.att.private_ips)
        layers += _group("subnet", sub_sets, targets)
        layers += _group("interface", it.sets, targets)
        on_host = _host_sets(hosts, it.att)
        layers += _group("host", on_host, frozenset())
        joined.update(id(rs) for rs in (*sub_sets, *it.sets))
        v6 = _ipv6(it.att)
        pub = it.att.public_ips + v6
        note = "public IP" if it.att.public_ips else ("IPv6 address" if v6 else "no public IP")
        base = ExposurePath(
            _asset(it.owner, it.att),
            it.att.instance_id,
            it.att.private_ips,
            pub,
            bool(pub),
            note,
            tuple(layers),
        )
        paths.append(base)
        paths.extend(_dnat_paths(base, gateways, prov, acct))
    for rs in rulesets:
        wanted = only is None or rs.asset.uid in only
        if rs.semantics in TARGET_SEMANTICS and id(rs) not in joined and wanted:
            paths.extend(_profile_paths(rs))
    return paths


def _host_sets(hosts: dict[str, list[RuleSet]], att: Attachment) -> list[RuleSet]:
    """Host firewalls whose snapshot names this interface's instance id or a private IP."""
    found: dict[int, RuleSet] = {}
    for k in _interface_keys(att):
        for rs in hosts.get(k, []):
            found.setdefault(id(rs), rs)
    return list(found.values())


def _host_keys(att: Attachment) -> set[str]:
    return {_k(k) for k in (att.instance_id or att.resource_id, *att.private_ips) if k}


def _interface_keys(att: Attachment) -> set[str]:
    return {_k(k) for k in (att.instance_id, *att.private_ips) if k}


def host_join_keys(rulesets: Iterable[RuleSet]) -> tuple[set[str], set[str]]:
    """What host firewalls among ``rulesets`` join interfaces by, and what their interfaces
    offer (`build_paths` joins the two): a host layer stands in front of an interface when the
    sets meet."""
    hosts: set[str] = set()
    interfaces: set[str] = set()
    for rs in rulesets:
        for att in rs.attachments:
            if att.resource_type in HOST_TYPES:
                hosts |= _host_keys(att)
            elif att.resource_type in INTERFACE_TYPES:
                interfaces |= _interface_keys(att)
    return hosts, interfaces


def _dnat_paths(
    base: ExposurePath, gateways: list[tuple[RuleSet, list[Rule]]], prov: str, acct: str
) -> list[ExposurePath]:
    out: list[ExposurePath] = []
    for ip in base.private_ips:
        addr = ip_set([ip])
        if addr.is_empty():
            continue
        for gw, rules in gateways:
            if (gw.asset.provider, gw.asset.account) != (prov, acct):
                continue
            keys = frozenset(r.key for r in rules if r.local.covers(addr) and not r.local.universal)
            if not keys:
                continue
            pubs = tuple(p for a in gw.attachments for p in a.public_ips)
            privs = ip_set(p for a in gw.attachments for p in a.private_ips)
            entry = Layer(f"gateway:{gw.asset.resource_type}", (gw,), only_rules=keys, local=addr)
            view = None if privs.is_empty() else privs
            inner = tuple(
                Layer(x.name, x.rulesets, x.targets, x.stateless, x.only_rules, x.local, view)
                for x in base.layers
            )
            out.append(
                ExposurePath(
                    base.asset,
                    base.instance_id,
                    (ip,),
                    pubs,
                    bool(pubs),
                    f"DNAT on {gw.asset.label()}",
                    (entry, *inner),
                    "dnat",
                )
            )
    return out


def _profile_paths(rs: RuleSet) -> list[ExposurePath]:
    """A target-selected rule set with no known instances: one path per target profile."""
    out: list[ExposurePath] = []
    for prof in rs.target_profiles():
        label = ",".join(sorted(prof)) or "all-instances"
        a = rs.asset
        asset = Asset(
            a.provider,
            a.account,
            a.region,
            "target-profile",
            f"{a.resource_id}[{label}]",
            parent=a.resource_id,
        )
        layer = Layer(f"network:{a.resource_type}", (rs,), prof)
        out.append(ExposurePath(asset, "", (), (), None, "instances not collected", (layer,)))
    return out

"""Algebraic properties of stacking (hypothesis, pure model objects)."""

from __future__ import annotations

from exposure_builders import IN, OUT, eni, nacl, rule, sg
from hypothesis import event, given, settings
from hypothesis import strategies as st

from cloudfw.exposure import AssetExposure, ExposurePath, Layer, Stacker, build_paths
from cloudfw.model import ANY, Action, Rule, RuleSet
from cloudfw.model.space import Box, Space

PEERS = ["0.0.0.0/0", "1.0.0.0/8", "8.8.8.0/24", "10.0.0.0/8", "0.0.0.0/1", "::/0"]
PROTOS = ["tcp", "udp", "all", "icmp"]


@st.composite
def rules(draw: st.DrawFn, prefix: str, direction: object = IN, deny: bool = True) -> list[Rule]:
    n = draw(st.integers(0, 5))
    out = []
    for i in range(n):
        lo = draw(st.integers(0, 40))
        hi = draw(st.integers(lo, 60))
        ports = draw(st.sampled_from([f"{lo}-{hi}", "*", "1024-65535", "22"]))
        action = Action.DENY if deny and draw(st.booleans()) else Action.ALLOW
        out.append(
            rule(
                f"{prefix}{i}",
                direction,
                action,
                draw(st.sampled_from(PROTOS)),
                ports,
                draw(st.sampled_from(PEERS)),
                order=(i + 1) * 10,
            )  # type: ignore[arg-type]
        )
    return out


def _space(r: AssetExposure) -> Space:
    return Space(tuple(Box(e.protocols, e.ports, e.peers, ANY) for e in r.exposures))


def _stack(*layers: Layer) -> AssetExposure:
    att = eni("eni-1", "subnet-1")
    path = ExposurePath(
        build_paths([sg("sg-x", [], (att,))])[0].asset,
        "i-1",
        att.private_ips,
        att.public_ips,
        True,
        "public IP",
        tuple(layers),
    )
    return Stacker().stack(path)


def _covers(wide: Space, narrow: Space) -> bool:
    return all(wide.covers(b) for b in narrow.boxes)


def _nacl(ins: list[Rule], outs: list[Rule]) -> RuleSet:
    return nacl("acl-1", ins + outs, ("subnet-1",))


@settings(max_examples=60, deadline=None)
@given(rules("sgr-", deny=False), rules("in-"), rules("out-", OUT))
def test_adding_a_layer_never_widens(
    sg_rules: list[Rule], ins: list[Rule], outs: list[Rule]
) -> None:
    group = Layer("interface:security-group", (sg("sg-1", sg_rules),))
    acl = Layer("subnet:network-acl", (_nacl(ins, outs),), stateless=True)
    alone = _space(_stack(group))
    stacked = _space(_stack(acl, group))
    assert _covers(alone, stacked)
    assert _covers(_space(_stack(acl)), stacked)


@settings(max_examples=60, deadline=None)
@given(rules("sgr-", deny=False), rules("in-"), rules("out-", OUT), st.integers(0, 9))
def test_removing_a_deny_never_narrows(
    sg_rules: list[Rule], ins: list[Rule], outs: list[Rule], pick: int
) -> None:
    denies = [r for r in ins + outs if r.action is Action.DENY]
    if not denies:
        return
    gone = denies[pick % len(denies)]
    group = Layer("interface:security-group", (sg("sg-1", sg_rules),))
    before = _stack(Layer("subnet:network-acl", (_nacl(ins, outs),), stateless=True), group)
    after = _stack(
        Layer(
            "subnet:network-acl",
            (_nacl([r for r in ins if r is not gone], [r for r in outs if r is not gone]),),
            stateless=True,
        ),
        group,
    )
    assert _covers(_space(after), _space(before))


def _canon(r: AssetExposure) -> set[tuple[object, ...]]:
    return {(e.protocols, e.ports, e.peers.to_tokens(), e.path) for e in r.exposures}


@settings(max_examples=40, deadline=None)
@given(st.lists(rules("r-", deny=False), min_size=1, max_size=4), st.randoms())
def test_order_of_security_groups_does_not_matter(groups: list[list[Rule]], rnd: object) -> None:
    att = eni("eni-1", "subnet-1")
    sets = [
        sg(f"sg-{i}", [Rule(**{**_fields(r), "key": f"sg{i}-{r.key}"}) for r in rs], (att,))
        for i, rs in enumerate(groups)
    ]
    acl = nacl(
        "acl-1",
        [
            rule("acl-1:ingress:100", IN, proto="all", order=100),
            rule("acl-1:egress:100", OUT, proto="all", order=100),
        ],
        ("subnet-1",),
    )
    shuffled = list(sets)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    (a,) = [Stacker().stack(p) for p in build_paths([*sets, acl])]
    (b,) = [Stacker().stack(p) for p in build_paths([acl, *shuffled])]
    assert _canon(a) == _canon(b)
    assert {str(x) for x in a.blocked} == {str(x) for x in b.blocked}


def _fields(r: Rule) -> dict[str, object]:
    return {f: getattr(r, f) for f in Rule.__slots__}  # type: ignore[attr-defined]


POINT_PEERS = ["1.2.3.4", "8.8.8.8", "200.1.1.1", "2001:4860::8888"]


@settings(max_examples=150, deadline=None)
@given(
    rules("sgr-", deny=False),
    rules("in-"),
    rules("out-", OUT),
    st.sampled_from([6, 6, 17, 1]),
    st.sampled_from([22, 22, 30]) | st.integers(0, 70),
    st.sampled_from(POINT_PEERS),
)
def test_matches_a_point_oracle(
    sg_rules: list[Rule], ins: list[Rule], outs: list[Rule], proto: int, port: int, peer: str
) -> None:
    """A packet is exposed iff every layer's own space allows it and, for the stateless NACL with
    tcp/udp, the egress side covers every ephemeral port back to that peer."""
    from cloudfw.exposure.stack import EPHEMERAL
    from cloudfw.model import AddressSet, Direction, Intervals

    group = sg("sg-1", sg_rules)
    acl = _nacl(ins, outs)
    r = _stack(
        Layer("subnet:network-acl", (acl,), stateless=True),
        Layer("interface:security-group", (group,)),
    )
    who = AddressSet.parse(peer)
    exposed = any(
        proto in e.protocols and port in e.ports and e.peers.covers(who) for e in r.exposures
    )
    layers_ok = acl.allowed(Direction.INGRESS).allows(proto, port, who) and group.allowed(
        Direction.INGRESS
    ).allows(proto, port, who)
    if proto in (6, 17):
        back = Box(Intervals.of((proto, proto)), EPHEMERAL, who, ANY)
        layers_ok = layers_ok and acl.allowed(Direction.EGRESS).covers(back)
    event(f"exposed={exposed}")
    assert exposed == layers_ok

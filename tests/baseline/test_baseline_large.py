"""A large baseline in the layout `baseline capture` writes (a thousand entries whose rules
repeat a few shapes): it takes the fast YAML path and the per-shape spec memo, yet every line it
keeps is the line PyYAML's node tree gives, every spec is the one a lone entry builds, and a fault
deep inside is still one located line naming file, line and field."""

from __future__ import annotations

import pytest
from baseline_support import load

from cloudfw.policy.config import PolicyError
from cloudfw.policy.yamlsrc import _compose, _fast, line_of

ENTRIES, RULES = 1_000, 3
PORTS = ("22", "443", "1024-65535", "all")
DEEP = ENTRIES - 7  # the faulty entry, far past anything a small test would reach


def _rule(i: int, j: int) -> str:
    return (
        f"{{rule_id: sgr-{i:06d}-{j}, direction: ingress, action: allow, protocol: tcp, "
        f"ports: '{PORTS[(i + j) % 4]}', peers: [10.{(i + j) % 5}.0.0/16]}}"
    )


def _big(fault: str | None = None, at: tuple[int, int] = (DEEP, 1)) -> tuple[str, dict[str, int]]:
    """The text, and the line of each entry (``e<i>``) and rule (``r<i>.<j>``)."""
    out = ["# captured", "version: 1", "drift_scope: public", "approved:"]
    where: dict[str, int] = {}
    for i in range(ENTRIES):
        where[f"e{i}"] = len(out) + 1
        out.append(f"- id: sg-{i:06d}")
        out.append(f"  match: {{provider: aws, account: '10000000000{i % 7}', "
                   f"resource: sg-{i:06d}}}")  # fmt: skip
        out.append("  rules:")
        for j in range(RULES):
            where[f"r{i}.{j}"] = len(out) + 1
            out.append(f"  - {fault if fault is not None and (i, j) == at else _rule(i, j)}")
    return "\n".join(out) + "\n", where


def test_a_large_baseline_keeps_every_line_and_builds_every_spec() -> None:
    text, where = _big()
    assert _fast(text) is not None  # the fast path built it
    root, _ = _compose(text, "prod.yaml")
    b = load(text)
    assert len(b.approved) == ENTRIES
    for i, e in enumerate(b.approved):
        assert e.line == where[f"e{i}"] == line_of(root, ["approved", i])
        for j, spec in enumerate(e.rules):
            assert spec.line == where[f"r{i}.{j}"] == line_of(root, ["approved", i, "rules", j])
            assert spec.rule_id == f"sgr-{i:06d}-{j}"
    for i in (0, 1, 5, DEEP):  # memoised shapes are the specs a lone entry builds
        alone = load(f"version: 1\napproved:\n- id: x\n  match: {{}}\n  rules:\n"
                     f"  - {_rule(i, 0)}\n  - {_rule(i, 1)}\n  - {_rule(i, 2)}\n")  # fmt: skip
        assert [(s.direction, s.protocols, s.ports, s.peers, s.action) for s in b.approved[i].rules
                ] == [(s.direction, s.protocols, s.ports, s.peers, s.action)
                      for s in alone.approved[0].rules]  # fmt: skip


# Each fault sits in a rule whose shape, but for the fault, is one of the shapes met hundreds of
# times before it (so a memo keyed too loosely would let it through).
R = "r_id"  # placeholder for the faulty rule's line in the expected message
P = f"approved[{DEEP}].rules[1]"
FAULTS = {
    "duplicate key": (
        "{direction: ingress, protocol: tcp, ports: '22', ports: '23', peers: [10.0.0.0/16]}",
        f"prod.yaml:{R}: duplicate key 'ports' (first at line {R})",
    ),
    "non-string key": (
        "{direction: ingress, protocol: tcp, 22: x, peers: [10.0.0.0/16]}",
        f"prod.yaml:{R}: key '22' must be a string (quote it)",
    ),
    "unknown key": (
        "{direction: ingress, protocol: tcp, port: '22', peers: [10.0.0.0/16]}",
        f"prod.yaml:{R}: {P}.port: unknown key 'port'",
    ),
    "port out of range": (
        "{direction: ingress, action: allow, protocol: tcp, ports: '65536', peers: [10.0.0.0/16]}",
        f"prod.yaml:{R}: {P}.ports: port '65536' is outside 0..65535",
    ),
    "integer port out of range": (
        "{direction: ingress, action: allow, protocol: tcp, ports: 65536, peers: [10.0.0.0/16]}",
        f"prod.yaml:{R}: {P}.ports: port '65536' is outside 0..65535",
    ),
    "deny in approved": (
        "{direction: ingress, action: deny, protocol: tcp, ports: '22', peers: [10.0.0.0/16]}",
        f"prod.yaml:{R}: {P}.action: an approved rule opens traffic, so 'deny' makes no sense "
        "here (a deny that must exist belongs in `required`)",
    ),
    "bad second peer": (
        "{direction: ingress, protocol: tcp, ports: '22', peers: [10.0.0.0/16, 10.0.0.300/24]}",
        f"prod.yaml:{R}: {P}.peers[1]: bad CIDR or address '10.0.0.300/24'",
    ),
    "syntax": (
        "{direction: ingress, protocol: tcp, ports: '22', peers: [10.0.0.0/16}",
        f"prod.yaml:{R}: invalid YAML: ",
    ),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_a_fault_deep_inside_is_one_located_line(name: str) -> None:
    fault, expected = FAULTS[name]
    text, where = _big(fault)
    with pytest.raises(PolicyError) as info:
        load(text)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(expected.replace(R, str(where[f"r{DEEP}.1"]))), msg


def test_the_shape_memo_keeps_types_apart() -> None:
    """``ports: 22`` (an integer) and ``ports: '22'`` build the same spec; a float that equals a
    valid integer (``6.0`` after ``6``) is not taken for it."""
    text, _ = _big("{direction: ingress, protocol: tcp, ports: 22, peers: [10.0.0.0/16]}")
    b = load(text)
    assert b.approved[DEEP].rules[1].ports == b.approved[0].rules[0].ports
    first = "{direction: ingress, protocol: 6, peers: ['*']}"
    then = "{direction: ingress, protocol: 6.0, peers: ['*']}"
    doc = f"version: 1\napproved:\n- id: x\n  match: {{}}\n  rules:\n  - {first}\n  - {then}\n"
    with pytest.raises(PolicyError) as info:
        load(doc)
    assert str(info.value).startswith("prod.yaml:7: approved[0].rules[1].protocol: "), info.value

"""The typed line decoder builds exactly what the validating path builds, and takes only the
canonical lines of the common shapes: anything else goes to the validating path (None)."""

from __future__ import annotations

import orjson
import pytest

from benchmarks.synth import synthetic_snapshot
from cloudfw.model.serde import DecodeError, ruleset_from_dict, ruleset_to_dict
from cloudfw.snaplines import LineDecoder
from cloudfw.snapshotio import canonical

SNAP = synthetic_snapshot(60, 6, seed=3)
LINES = [canonical(ruleset_to_dict(rs)) for rs in SNAP.rulesets]


def test_canonical_lines_decode_to_what_validation_builds() -> None:
    dec = LineDecoder()
    for line, rs in zip(LINES, SNAP.rulesets, strict=True):
        got = dec.decode(line)
        assert got is not None
        assert got == rs == ruleset_from_dict(orjson.loads(line), "$")
    # repeated shapes share their parsed parts
    a, b = (dec.decode(x) for x in LINES[:2])
    assert a is not None and b is not None
    assert a.rules[-1].peers is b.rules[-1].peers


def _variant(mutate: object) -> bytes:
    d = orjson.loads(LINES[1])
    mutate(d)  # type: ignore[operator]
    return canonical(d)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["rules"][0].update(
            order=0
        ),  # a default written out: not as the writer makes it
        lambda d: d.update(enabled=True),
        lambda d: d["rules"][0].update(targets=["tag:web"]),  # a field of the rarer shapes
        lambda d: d["asset"].update(tags={"a": "b"}),
        lambda d: d["rules"][0].update(local=["10.0.0.0/8"]),
        lambda d: d.update(layer_names=["x"]),
        lambda d: d["asset"].update(account=""),
        lambda d: d["rules"][0].pop("ports"),  # the default, left out: decodes, but not here
    ],
)
def test_other_shapes_take_the_validating_path(mutate: object) -> None:
    line = _variant(mutate)
    assert LineDecoder().decode(line) is None
    ruleset_from_dict(orjson.loads(line), "$")  # and that path decodes them


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["rules"][0].update(ports="70000"), "rules[0].ports"),
        (lambda d: d["rules"][0].update(peers=["10.0.0.300/8"]), "rules[0].peers"),
        (lambda d: d["rules"][0].update(direction="sideways"), "rules[0].direction"),
        (lambda d: d["rules"][0].update(order="1"), "rules[0].order"),
        (lambda d: d["rules"][0].update(order=True), "rules[0].order"),
        (lambda d: d["rules"][0].update(bogus=1), "rules[0].bogus"),
        (lambda d: d.update(semantics="magic"), "$.semantics"),
        (lambda d: d.update(default_ingress="maybe"), "$.default_ingress"),
        (lambda d: d["rules"][0]["origin"].update(line="3"), "origin.line"),
        (lambda d: d["rules"][0].update(builtin="yes"), "builtin"),
        (lambda d: d["rules"][0].update(protocol="300"), "rules[0].protocol"),
        (lambda d: d["asset"].update(region=5), "asset.region"),
    ],
)
def test_bad_lines_are_left_to_the_validating_path(mutate: object, where: str) -> None:
    line = _variant(mutate)
    assert LineDecoder().decode(line) is None
    with pytest.raises(DecodeError) as err:
        ruleset_from_dict(orjson.loads(line), "$")
    assert where in str(err.value)


def test_non_canonical_bytes_are_not_taken() -> None:
    spaced = orjson.dumps(orjson.loads(LINES[0]), option=orjson.OPT_INDENT_2)
    assert LineDecoder().decode(spaced) is None
    assert LineDecoder().decode(b'{"semantics":"allow_union",' + LINES[0][1:]) is None
    assert LineDecoder().decode(LINES[0]) is not None

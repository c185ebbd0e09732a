"""The fast YAML path (data built from libyaml's events) against the exact one (PyYAML's node tree):
same data, same container lines, and every document it does not handle falls back, so errors
read the same. The fast schema check against jsonschema on every baseline case file."""

from __future__ import annotations

from pathlib import Path

import fastjsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.policy.config import PolicyError
from cloudfw.policy.schema import _compiled, load_schema
from cloudfw.policy.yamlsrc import _compose, _fast, line_of, load_yaml

CASES = Path(__file__).parent / "cases"

# scalars SafeLoader resolves to something other than a string, and look-alikes
SCALARS = [
    "yes", "No", "on", "OFF", "true", "~", "null", "", "0x1F", "0o17", "017", "1_000", "1:20",
    "3.5", ".inf", "-.INF", ".NaN", "1e3", "2027-01-31", "2027-01-31T10:00:00Z", "10.0.0.0/8",
    "::/0", "sg:sg-0abc", "a b", "-", "<<", "=", "@x", "'q'", "tcp", "22", "1024-65535",
]  # fmt: skip
keys = st.sampled_from(["id", "ports", "peers", "rules", "match", "x-y", "a.b", "2027-01-01"])
leaves = st.one_of(st.sampled_from(SCALARS), st.integers(-5, 70000), st.booleans(), st.none())
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(keys, kids, max_size=4)),
    max_leaves=20,
)


def _same(text: str, expect_fast: bool = False) -> None:
    fast = _fast(text)
    assert fast is not None or not expect_fast, "a plain document left the fast path"
    try:
        root, data = _compose(text, "t.yaml")
    except PolicyError:
        assert fast is None  # whatever the exact path refuses, the fast path leaves to it
        return
    if fast is None:
        return  # left to the exact path, which succeeded: fine
    got, lines = fast
    assert got == data and type(got) is type(data)
    doc = load_yaml(text, "t.yaml")

    def walk(obj: object, path: list[str | int]) -> None:
        if isinstance(obj, dict | list):
            assert lines[id(obj)] == line_of(root, path), path
            for k, v in obj.items() if isinstance(obj, dict) else enumerate(obj):
                walk(v, [*path, k])
            assert doc.line(path) == line_of(root, path)

    walk(got, [])


@settings(max_examples=300, deadline=None)
@given(trees, st.booleans())
def test_fast_path_builds_what_safeloader_builds(tree: object, flow: bool) -> None:
    _same(yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True), expect_fast=True)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key
        "1: x\n",  # non-string key
        "on: x\n",  # a YAML 1.1 boolean key
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # anchors and a merge key
        "a: &x 1\nb: &y {c: [&z 2]}\n",  # anchors no alias uses: the fast path keeps them
        "a: !!set {x: null}\n",  # an explicit collection tag
        "--- a\n--- b\n",  # two documents
        "a: [1, 2\n",  # a syntax error
        "? [complex]\n: v\n",  # a complex key
        "n: !!int '0x10'\nd: !!str 12\nf: !!float '1.5'\n",  # explicit scalar tags
        "",  # empty
        "# only a comment\n",
        "x: |\n  block\n  text\n",
        "a: yes\nb: 0x1F\nc: 1:20\nd: ~\ne: .inf\nf: 2027-01-31\ng: 017\nh: 1_000\n",
    ],
)
def test_unusual_documents_match_the_exact_path(text: str) -> None:
    _same(text)
    try:
        _compose(text, "t.yaml")
    except PolicyError as exc:
        with pytest.raises(PolicyError) as again:
            load_yaml(text, "t.yaml")
        assert str(again.value) == str(exc)  # the same words, the same line


@pytest.mark.parametrize("case", sorted(CASES.glob("*.yaml")), ids=lambda p: p.name)
def test_fast_schema_check_agrees_with_jsonschema(case: Path) -> None:
    import jsonschema

    try:
        doc = load_yaml(case.read_text(encoding="utf-8"), str(case))
    except PolicyError:
        return  # not YAML a schema could see
    slow = next(iter(jsonschema.Draft202012Validator(load_schema("baseline")).iter_errors(
        doc.data)), None)  # fmt: skip
    try:
        _compiled("baseline")(doc.data)
        fast_ok = True
    except fastjsonschema.JsonSchemaValueException:
        fast_ok = False
    assert fast_ok == (slow is None), (case.name, slow)


def test_the_shipped_schema_is_valid() -> None:
    """Loading checks it only on the error path (jsonschema is not imported for a valid file)."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(load_schema("baseline"))

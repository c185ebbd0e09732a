"""JSON Schema validation of a YAML document, with errors located at ``file:line: field``.

The schemas live in ``cloudfw/data/*.schema.json``. A document is first checked by the schema
compiled to Python (fastjsonschema: a 25 MB baseline in well under a second); only when that
finds a violation does jsonschema walk the document for every error, and of those the one
reported is the first in the file (lowest line), the deepest path winning ties, so the user fixes
errors top down. jsonschema is imported only then (a valid document never needs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema

from cloudfw.policy.config import PolicyError
from cloudfw.policy.yamlsrc import PathPart, YamlDoc, format_path

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true/false",
    type(None): "nothing (null)",
}
_SCHEMA_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true/false",
    "null": "null",
}


@lru_cache(maxsize=8)
def load_schema(name: str) -> Mapping[str, Any]:
    """Read ``cloudfw/data/<name>.schema.json`` (cached; read on first use, not at import)."""
    text = resources.files("cloudfw").joinpath(f"data/{name}.schema.json").read_text("utf-8")
    schema: Mapping[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=8)
def _compiled(name: str) -> Any:
    return fastjsonschema.compile(dict(load_schema(name)))


@lru_cache(maxsize=8)
def _validator(name: str) -> jsonschema.Draft202012Validator:
    """The walking validator, for locating errors (the schema itself checked first)."""
    import jsonschema

    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate_doc(doc: YamlDoc, schema_name: str) -> None:
    """Raise a located `PolicyError` for the first schema violation in ``doc``."""
    try:
        _compiled(schema_name)(doc.data)
        return
    except fastjsonschema.JsonSchemaValueException as exc:
        fast_error = exc
    validator = _validator(schema_name)
    best: tuple[tuple[int, int], PolicyError] | None = None
    for err in validator.iter_errors(doc.data):
        field_path, line_path, key, message = _describe(err)
        line = doc.key_line(line_path) if key else doc.line(line_path)
        rank = (line, -len(field_path))
        if best is None or rank < best[0]:
            location = f"{doc.source}:{line}"
            best = (rank, PolicyError(message, location=location, field=format_path(field_path)))
    if best is not None:
        raise best[1]
    # the two validators disagree (tests/baseline prove they do not on every case); still an error
    raise PolicyError(fast_error.message, location=doc.source, field=str(fast_error.path))


def _type_name(v: Any) -> str:
    return _TYPE_NAMES.get(type(v), type(v).__name__)


def _describe(err: ValidationError) -> tuple[list[PathPart], list[PathPart], bool, str]:
    """(field path, path whose line to report, use the key's line?, one-line message)."""
    path: list[PathPart] = list(err.absolute_path)
    kind = err.validator
    inst = err.instance
    value: Any = err.validator_value
    schema = err.schema if isinstance(err.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(inst, dict):
        known = set(schema.get("properties", {}))
        extras = sorted(str(k) for k in inst if k not in known)
        bad = extras[0] if extras else "?"
        hint = f" (expected one of: {', '.join(sorted(known))})" if known else ""
        return [*path, bad], [*path, bad], True, f"unknown key {bad!r}{hint}"
    if kind == "required" and isinstance(inst, dict):
        missing = [k for k in value if k not in inst]
        name = missing[0] if missing else "?"
        return [*path, name], path, False, f"missing required key {name!r}"
    if kind == "type":
        want = value
        wants = [want] if isinstance(want, str) else list(want)
        expected = " or ".join(_SCHEMA_TYPES.get(w, w) for w in wants if w != "null")
        msg = f"expected {expected}, got {_type_name(inst)}"
        if "string" in wants and isinstance(inst, int | float) and not isinstance(inst, bool):
            msg += f" (quote it: '{inst}')"
        return path, path, False, msg
    if kind == "enum":
        values = ", ".join(str(v) for v in value)
        return path, path, False, f"{inst!r} is not one of: {values}"
    if kind == "minLength":
        return path, path, False, "must not be empty"
    if kind == "minItems":
        return path, path, False, f"needs at least {value} item(s)"
    message = re.sub(r"\s+", " ", err.message).strip()
    return path, path, False, message

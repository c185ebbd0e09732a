"""Type checks for the fields cloudfw reads in a vendor export (every other field is tolerated:
vendors add fields). A spec is a type (``str``, ``int``, ``bool``, ``dict``, ``list``), a dict of
field -> spec (an object; fields optional, unknown fields ignored), or a one-item list ``[spec]``
(a list of items of that spec). ``None`` values are taken as absent, as the normalizers do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from cloudfw.imports.errors import ImportFileError, show

Spec = Any  # type | dict[str, Spec] | list[Spec]

_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "an object",
          list: "a list", float: "a number"}  # fmt: skip


def check(value: object, spec: Spec, path: str, where: str) -> None:
    """Raise `ImportFileError` ``<where>: <path>: expected …, got …`` at the first bad field."""
    if isinstance(spec, Mapping):
        if not isinstance(value, Mapping):
            _fail(where, path, "an object", value)
        for key, sub in spec.items():
            v = value.get(key)
            if v is not None:
                check(v, sub, f"{path}.{key}", where)
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            _fail(where, path, "a list", value)
        for i, item in enumerate(value):
            check(item, spec[0], f"{path}[{i}]", where)
        return
    if spec is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, spec)
    if not ok:
        _fail(where, path, _NAMES.get(spec, spec.__name__), value)


def _fail(where: str, path: str, expected: str, value: object) -> NoReturn:
    raise ImportFileError(f"{where}: {path}: expected {expected}, got {show(value)}")

"""Validate ``policy.checks`` against the registry and resolve typed parameters.

A typo is an error naming the field (``policy.checks.internet-ingress.servces``), never a silent
default.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cloudfw.checks.meta import FOREIGN_CHECKS, REGISTRY, CheckMeta, ParamSpec
from cloudfw.policy.catalog import ServiceCatalog
from cloudfw.policy.config import PolicyConfig, PolicyError


@dataclass(frozen=True, slots=True)
class Params:
    """Resolved parameters of one enabled check (defaults filled in, names canonical)."""

    values: Mapping[str, object]

    def get_int(self, name: str) -> int:
        v = self.values[name]
        assert isinstance(v, int)
        return v

    def get_float(self, name: str) -> float:
        v = self.values[name]
        assert isinstance(v, (int, float))
        return float(v)

    def get_names(self, name: str) -> tuple[str, ...] | None:
        v = self.values[name]
        if v is None:
            return None
        assert isinstance(v, tuple)
        return tuple(str(x) for x in v)


def _field(check: str, param: str = "") -> str:
    return f"policy.checks.{check}" + (f".{param}" if param else "")


def _type_name(v: object) -> str:
    return "null" if v is None else type(v).__name__


def _check_value(
    check: str, name: str, spec: ParamSpec, value: object, catalog: ServiceCatalog
) -> object:
    fld = _field(check, name)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise PolicyError(f"expected true or false, got {_type_name(value)}", field=fld)
        return value
    if spec.kind in ("int", "float"):
        ok = isinstance(value, int) if spec.kind == "int" else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            want = "an integer" if spec.kind == "int" else "a number"
            raise PolicyError(f"expected {want}, got {_type_name(value)}", field=fld)
        assert isinstance(value, (int, float))
        if spec.minimum is not None and value < spec.minimum:
            raise PolicyError(f"{value} is below the minimum {spec.minimum:g}", field=fld)
        if spec.maximum is not None and value > spec.maximum:
            raise PolicyError(f"{value} is above the maximum {spec.maximum:g}", field=fld)
        return value
    # names
    if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
        raise PolicyError(f"expected a list of strings, got {_type_name(value)}", field=fld)
    out: list[str] = []
    for item in value:
        assert isinstance(item, str)
        if spec.choices == "catalog":
            svc = catalog.resolve(item)
            if svc is None:
                known = ", ".join(catalog.names())
                raise PolicyError(f"unknown service {item!r} (catalog has: {known})", field=fld)
            canon = svc.name
        else:
            canon = item.strip().lower()
            if canon not in spec.choices:
                raise PolicyError(
                    f"unknown value {item!r} (expected one of: {', '.join(spec.choices)})",
                    field=fld,
                )
        if canon not in out:
            out.append(canon)
    return tuple(out)


def _resolve_one(
    meta: CheckMeta, raw: Mapping[str, object], catalog: ServiceCatalog
) -> tuple[bool, Params]:
    values: dict[str, object] = {name: spec.default for name, spec in meta.params.items()}
    for name, value in raw.items():
        spec = meta.params.get(str(name))
        if spec is None:
            known = ", ".join(sorted(meta.params))
            raise PolicyError(
                f"unknown parameter for check {meta.id!r} (known: {known})",
                field=_field(meta.id, str(name)),
            )
        values[str(name)] = _check_value(meta.id, str(name), spec, value, catalog)
    enabled = values.pop("enabled")
    return bool(enabled), Params(MappingProxyType(values))


def resolve_policy(
    policy: PolicyConfig, catalog: ServiceCatalog, *, other_checks: Collection[str] = ()
) -> dict[str, Params]:
    """Validated parameters for every *enabled* check, in registry order.

    Ids in `FOREIGN_CHECKS` (baseline drift) and ``other_checks`` (e.g. host-only checks run by
    another layer) are skipped: their owners validate them. Any other unknown id is an error.
    """
    raw_all = policy.checks or {}
    if not isinstance(raw_all, Mapping):
        raise PolicyError("expected a mapping of check id -> parameters", field="policy.checks")
    skip = FOREIGN_CHECKS | frozenset(other_checks)
    for cid, raw in raw_all.items():
        if str(cid) in skip:
            _switch_only(str(cid), raw)
            continue
        if str(cid) not in REGISTRY:
            hint = ""
            base = str(cid).split("[", 1)[0]
            if base != cid and base in REGISTRY:
                hint = f"; configure {base!r} instead (e.g. its 'services' parameter)"
            known = ", ".join(REGISTRY)
            raise PolicyError(f"unknown check (known: {known}){hint}", field=_field(str(cid)))
        if raw is not None and not isinstance(raw, Mapping):
            raise PolicyError(
                f"expected a mapping of parameters, got {_type_name(raw)}", field=_field(str(cid))
            )
    out: dict[str, Params] = {}
    for cid, meta in REGISTRY.items():
        enabled, params = _resolve_one(meta, raw_all.get(cid) or {}, catalog)
        if enabled:
            out[cid] = params
    return out


def _switch_only(cid: str, raw: object) -> None:
    """Checks run by other layers (drift, change events, host settings) take no parameters:
    only ``enabled: true|false``, so that a misspelt switch is an error, not silently on."""
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise PolicyError(f"expected a mapping of parameters, got {_type_name(raw)}",
                          field=_field(cid))  # fmt: skip
    for name, value in raw.items():
        if name != "enabled":
            raise PolicyError("unknown parameter (known: enabled)", field=_field(cid, str(name)))
        if not isinstance(value, bool):
            raise PolicyError(f"expected true or false, got {_type_name(value)}",
                              field=_field(cid, "enabled"))  # fmt: skip


def validate_policy(
    policy: PolicyConfig, catalog: ServiceCatalog, *, other_checks: Collection[str] = ()
) -> None:
    """Raise `PolicyError` (field ``policy.checks.<id>[.<param>]``) if ``policy`` is invalid."""
    from cloudfw.checks.host import HOST_CHECKS

    resolve_policy(policy, catalog, other_checks=(*other_checks, *HOST_CHECKS))

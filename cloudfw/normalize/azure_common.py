"""Shared helpers for Azure normalization: checked field access, address and port tokens.

Every accessor takes the resource id and a dotted field path, so a malformed ARM document gives a
one-line error such as ``<id>: properties.securityRules[2].properties.priority: expected an
integer, got 'high'``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cloudfw.model import (
    ANY,
    EMPTY,
    INTERNET,
    AddressError,
    AddressSet,
    CloudfwError,
    Intervals,
    PortError,
    SourceRef,
    parse_ports,
    parse_protocol,
)

PROVIDER = "azure"

# Tokens that mean "every address" in NSG prefixes and Azure Firewall address lists.
_ANY_TOKENS = frozenset({"*", "any", "0.0.0.0/0"})
# A service tag: letters, digits, dots, dashes (``Storage.WestEurope``, ``AzureCloud``).
_TAG_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.\-_]*$")


class AzureNormalizeError(CloudfwError):
    """An ARM document that does not have the shape cloudfw expects (names resource and field)."""

    def __init__(self, resource_id: str, field: str, message: str) -> None:
        super().__init__(f"{resource_id}: {field}: {message}")
        self.resource_id = resource_id
        self.field = field


class Doc:
    """A JSON object from ARM plus the resource id and path used in error messages."""

    __slots__ = ("data", "path", "rid")

    def __init__(self, data: object, rid: str, path: str) -> None:
        if not isinstance(data, Mapping):
            raise AzureNormalizeError(
                rid, path or "(document)", f"expected an object, got {_show(data)}"
            )
        self.data: Mapping[str, Any] = data
        self.rid = rid
        self.path = path

    def _p(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> AzureNormalizeError:
        return AzureNormalizeError(self.rid, self._p(key), message)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def obj(self, key: str, required: bool = True) -> Doc | None:
        v = self.data.get(key)
        if v is None:
            if required:
                raise self.fail(key, "missing")
            return None
        return Doc(v, self.rid, self._p(key))

    def req_obj(self, key: str) -> Doc:
        d = self.obj(key, required=True)
        assert d is not None
        return d

    def text(self, key: str, default: str | None = None) -> str:
        v = self.data.get(key)
        if v is None:
            if default is None:
                raise self.fail(key, "missing")
            return default
        if not isinstance(v, str):
            raise self.fail(key, f"expected a string, got {_show(v)}")
        return v

    def num(self, key: str, default: int | None = None) -> int:
        v = self.data.get(key)
        if v is None:
            if default is None:
                raise self.fail(key, "missing")
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, str) and v.strip().isdigit():
                return int(v)
            raise self.fail(key, f"expected an integer, got {_show(v)}")
        return v

    def flag(self, key: str, default: bool) -> bool:
        v = self.data.get(key)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise self.fail(key, f"expected true/false, got {_show(v)}")
        return v

    def strs(self, key: str) -> list[str]:
        """A list of strings; missing or null is an empty list."""
        v = self.data.get(key)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.fail(key, f"expected a list of strings, got {_show(v)}")
        return list(v)

    def objs(self, key: str) -> list[Doc]:
        """A list of objects; missing or null is an empty list."""
        v = self.data.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            raise self.fail(key, f"expected a list, got {_show(v)}")
        return [Doc(x, self.rid, f"{self._p(key)}[{i}]") for i, x in enumerate(v)]

    def ref_ids(self, key: str) -> list[str]:
        """``[{"id": ...}, ...]`` sub-resource references -> ids."""
        return [d.text("id") for d in self.objs(key)]

    def ref_id(self, key: str) -> str:
        """``{"id": ...}`` sub-resource reference -> id ("" when absent)."""
        d = self.obj(key, required=False)
        return d.text("id") if d is not None else ""


def _show(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def resource(data: object, what: str) -> Doc:
    """Top-level ARM resource: must be an object with a string ``id``."""
    if not isinstance(data, Mapping):
        raise AzureNormalizeError(
            f"({what})", "(document)", f"expected an object, got {_show(data)}"
        )
    rid = data.get("id")
    if not isinstance(rid, str) or not rid:
        name = data.get("name")
        label = f"({what} {name!r})" if isinstance(name, str) else f"({what} without id)"
        raise AzureNormalizeError(label, "id", f"missing or not a string: {_show(rid)}")
    return Doc(data, rid, "")


def resource_group(rid: str) -> str:
    parts = rid.split("/")
    for i, p in enumerate(parts[:-1]):
        if p.lower() == "resourcegroups":
            return parts[i + 1]
    return ""


def tags_of(doc: Doc) -> tuple[tuple[str, str], ...]:
    t = doc.obj("tags", required=False)
    if t is None:
        return ()
    out = []
    for k, v in t.data.items():
        if not isinstance(v, str):
            raise doc.fail(f"tags.{k}", f"expected a string, got {_show(v)}")
        out.append((str(k), v))
    return tuple(sorted(out))


def origin(rid: str, field: str = "") -> SourceRef:
    return SourceRef("api", "azure-arm", record=f"{rid}#{field}" if field else rid)


def address(token: str, doc: Doc, field: str, *, allow_ranges: bool = False) -> AddressSet:
    """One NSG prefix / firewall address token -> AddressSet.

    ``*``, ``Any`` and ``0.0.0.0/0`` are ANY; ``Internet`` is the public address space; other
    service tags (``VirtualNetwork``, ``AzureLoadBalancer``, ``Storage.WestEurope``) stay symbolic.
    """
    tok = token.strip()
    low = tok.lower()
    if low in _ANY_TOKENS:
        return ANY
    if low == "internet":
        return INTERNET
    if not tok:
        raise doc.fail(field, "empty address prefix")
    if tok[0].isdigit() or ":" in tok:
        if "-" in tok and not allow_ranges:
            raise doc.fail(field, f"address ranges are not allowed here: {tok!r}")
        try:
            if "-" not in tok:
                ipaddress.ip_network(tok, strict=False)
            return AddressSet.parse(tok)
        except (AddressError, ValueError) as exc:
            raise doc.fail(field, f"bad address {tok!r}: {exc}") from None
    if _TAG_RE.match(tok):
        return AddressSet.symbol("service-tag", tok)
    raise doc.fail(field, f"unrecognized address token {tok!r}")


def addresses(
    tokens: Sequence[str], doc: Doc, field: str, *, allow_ranges: bool = False
) -> AddressSet:
    out = EMPTY
    for i, t in enumerate(tokens):
        out = out | address(t, doc, f"{field}[{i}]", allow_ranges=allow_ranges)
    return out


def ports(tokens: Sequence[str], doc: Doc, field: str) -> Intervals:
    out = Intervals()
    for i, t in enumerate(tokens):
        try:
            out = out | parse_ports(t)
        except PortError as exc:
            raise doc.fail(f"{field}[{i}]", str(exc)) from None
    return out


def protocols(tokens: Sequence[str], doc: Doc, field: str) -> Intervals:
    out = Intervals()
    for i, t in enumerate(tokens):
        try:
            out = out | parse_protocol(t)
        except PortError as exc:
            raise doc.fail(f"{field}[{i}]", str(exc)) from None
    return out

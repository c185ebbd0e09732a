"""Typed decoding of snapshot rule-set lines, straight from the bytes into model objects.

`encode_snapshot` writes every rule-set line as canonical JSON of a few fixed shapes. msgspec
decodes such a line in one C pass into the structs below (typed, unknown fields refused), without
building the dict tree `orjson.loads` would; the rule set is then assembled from the structs,
sharing the parsed parts of repeated rule shapes (a million rules are a few thousand shapes).

A line is taken this way only when it is exactly what the writer makes of the decoded value:
re-encoding the structs (sorted fields, defaults omitted, the same escaping as orjson) gives the
line's own bytes back. Then the line is its canonical JSON, and so its digest bytes. Anything
else (an unusual field, a missing default, another key order, a value the model rejects) returns
None, and the caller takes the validating path (`cloudfw.model.serde`), which decodes unusual
shapes and names the field of every error: this path never accepts what that one would reject
(tests/test_snaplines.py checks both on the same lines).
"""

from __future__ import annotations

from typing import Any

import msgspec

from cloudfw.model import RuleSet
from cloudfw.model.asset import Asset, Attachment, plain_source
from cloudfw.model.fastpath import core_of, ruleset_enums
from cloudfw.model.rule import Rule, plain_rule


class _Source(
    msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False
):
    kind: str
    line: int | None = None
    location: str
    record: str | None = None


class _Rule(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False):
    action: str
    builtin: bool = False
    description: str = ""
    direction: str
    key: str
    layer: int = 0
    logging: str = "unknown"
    order: int = 0
    origin: _Source | None = None
    peers: tuple[str, ...]
    ports: str
    protocol: str


class _Asset(
    msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False
):
    account: str
    name: str = ""
    parent: str = ""
    provider: str
    region: str
    resource_id: str
    resource_type: str


class _Attachment(
    msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False
):
    instance_id: str = ""
    private_ips: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    resource_id: str
    resource_type: str
    subnet: str = ""


class _RuleSet(
    msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False
):
    asset: _Asset
    attachments: tuple[_Attachment, ...] = ()
    default_egress: str
    default_ingress: str
    enabled: bool = True
    is_default: bool = False
    log_scope: _Asset | None = None
    logging: str
    rules: tuple[_Rule, ...]
    semantics: str


_DECODER = msgspec.json.Decoder(_RuleSet)
_ENCODER = msgspec.json.Encoder()
_ERRORS = (msgspec.DecodeError, msgspec.ValidationError)


class LineDecoder:
    """Decodes canonical rule-set lines; one per file read, so the strings and parsed shapes it
    shares live as long as the rule sets that use them."""

    def __init__(self) -> None:
        self._strs: dict[str, str] = {}
        self._cores: dict[tuple[str, str, str, str, tuple[str, ...], str], Any] = {}
        self._scopes: dict[tuple[str, ...], Asset] = {}

    def decode(self, body: bytes) -> RuleSet | None:
        """The rule set of one canonical line; None sends it down the validating path."""
        try:
            x = _DECODER.decode(body)
        except _ERRORS:
            return None
        if _ENCODER.encode(x) != body:
            return None  # not canonical (or not as the writer makes it): the line's bytes
        return self._ruleset(x)  # are not its digest bytes; the validating path decides

    def _ruleset(self, x: _RuleSet) -> RuleSet | None:
        enums = ruleset_enums(x.semantics, x.default_ingress, x.default_egress, x.logging)
        asset = self._asset(x.asset)
        if enums is None or asset is None:
            return None
        scope = None
        if x.log_scope is not None and (scope := self._scope(x.log_scope)) is None:
            return None
        rules = self._rules(x.rules)
        atts = [self._attachment(a) for a in x.attachments]
        if rules is None or None in atts:
            return None
        semantics, din, dout, logging = enums
        return RuleSet(asset, semantics, rules, din, dout, logging, scope,
                       tuple(atts), x.is_default, x.enabled)  # type: ignore[arg-type]  # fmt: skip

    def _rules(self, raw: tuple[_Rule, ...]) -> tuple[Rule, ...] | None:
        cores, strs = self._cores, self._strs
        out: list[Rule] = []
        for r in raw:
            shape = (r.direction, r.action, r.protocol, r.ports, r.peers, r.logging)
            core = cores.get(shape)
            if core is None:
                core = core_of(*shape)
                if core is None:
                    return None
                cores[shape] = core
            o = r.origin
            origin = None
            if o is not None:
                loc = strs.setdefault(o.location, o.location)
                origin = plain_source(strs.setdefault(o.kind, o.kind), loc, o.line, o.record)
            desc = strs.setdefault(r.description, r.description) if r.description else ""
            direction, action, protocols, ports, peers, logging = core
            out.append(plain_rule(r.key, direction, action, protocols, ports, peers, r.order,
                                  r.layer, logging, desc, origin, r.builtin))  # fmt: skip
        return tuple(out)

    def _asset(self, a: _Asset) -> Asset | None:
        s = self._strs
        vals = (a.provider, a.account, a.region, a.resource_type, a.resource_id)
        if not all(vals):
            return None  # the validating path decides about empty identities
        i = s.setdefault
        return Asset(i(a.provider, a.provider), i(a.account, a.account), i(a.region, a.region),
                     i(a.resource_type, a.resource_type), a.resource_id, a.name,
                     i(a.parent, a.parent))  # fmt: skip

    def _scope(self, a: _Asset) -> Asset | None:
        """Log scopes (a VPC) repeat across many rule sets: one Asset each."""
        key = (a.provider, a.account, a.region, a.resource_type, a.resource_id, a.name, a.parent)
        hit = self._scopes.get(key)
        if hit is None:
            made = self._asset(a)
            if made is None:
                return None
            hit = self._scopes[key] = made
        return hit

    def _attachment(self, a: _Attachment) -> Attachment | None:
        if not a.resource_type or not a.resource_id:
            return None
        s = self._strs
        return Attachment(s.setdefault(a.resource_type, a.resource_type), a.resource_id,
                          a.instance_id, a.private_ips, a.public_ips, a.subnet)  # fmt: skip

"""Assets: one uniform shape for every resource cloudfw reports on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Asset:
    """A resource: provider + account/subscription/project + region + type + id.

    ``parent`` is the enclosing network (AWS VPC id, Azure VNet id, GCP network) where one exists.
    ``tags`` is a sorted tuple of (key, value) pairs so assets stay hashable.
    """

    provider: str
    account: str
    region: str
    resource_type: str
    resource_id: str
    name: str = ""
    parent: str = ""
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def uid(self) -> str:
        return ":".join(
            (self.provider, self.account, self.region, self.resource_type, self.resource_id)
        )

    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    def label(self) -> str:
        return f"{self.resource_id} ({self.name})" if self.name else self.resource_id


@dataclass(frozen=True, slots=True)
class Attachment:
    """Something an enforcement point protects: a network interface, instance, subnet or host."""

    resource_type: str
    resource_id: str
    instance_id: str = ""
    private_ips: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    subnet: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_public(self) -> bool:
        return bool(self.public_ips)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a model object came from: an API call or a file location (for evidence)."""

    kind: str  # "api" | "file" | "record"
    location: str
    line: int | None = None
    record: str | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.location}:{self.line}"
        if self.record is not None:
            return f"{self.location}#{self.record}"
        return self.location


# Readers build a SourceRef for every line of large telemetry and log files; setting the slots
# directly is about twice as fast as the frozen dataclass's __init__ (tests/model/test_serde.py
# checks that both build the same object).
_set_kind, _set_location, _set_line, _set_record = (
    SourceRef.__dict__[n].__set__ for n in ("kind", "location", "line", "record")
)


def plain_source(
    kind: str, location: str, line: int | None, record: str | None = None
) -> SourceRef:
    """``SourceRef(kind, location, line, record)``, built faster."""
    s: SourceRef = object.__new__(SourceRef)
    _set_kind(s, kind)
    _set_location(s, location)
    _set_line(s, line)
    _set_record(s, record)
    return s

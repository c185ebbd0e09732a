"""Change events: CloudTrail, Azure Activity Log and GCP Audit Log readers -> ChangeEvent.

Collect (files, S3, APIs) -> normalize (per-cloud, pure) -> fold (Azure/GCP operations) ->
filter and dedupe. See :mod:`cloudfw.events.stream` for the entry points.
"""

from cloudfw.events.errors import EventsError, Problem, RecordError
from cloudfw.events.lines import ReadLine
from cloudfw.events.stream import (
    CHANGES,
    ENUMERATION,
    Event,
    EventReader,
    ReadOptions,
    ReadStats,
    RecordUnit,
    StreamUnit,
    Unit,
    UnitGroup,
    local_units,
    read_events,
)

__all__ = [
    "CHANGES", "ENUMERATION", "Event", "EventReader", "EventsError", "Problem", "ReadLine",
    "ReadOptions", "ReadStats", "RecordError", "RecordUnit", "StreamUnit", "Unit", "UnitGroup",
    "local_units", "read_events",
]  # fmt: skip

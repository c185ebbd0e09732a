"""Exporters: `Report` -> bytes. No judgement, no provider branching."""

from __future__ import annotations

from collections.abc import Callable

from cloudfw.export.json_report import render_json
from cloudfw.export.table import render_table
from cloudfw.model import CloudfwError
from cloudfw.model.report import Report


class ExportError(CloudfwError):
    """An output format that does not exist or cannot render this report."""


Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
}


def render(report: Report, fmt: str) -> str:
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        known = ", ".join(sorted(RENDERERS))
        raise ExportError(f"unknown output format {fmt!r} (known: {known})") from None
    return renderer(report)

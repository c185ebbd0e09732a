"""Exporters: `Report` -> bytes. No judgement, no provider branching."""

from __future__ import annotations

from collections.abc import Callable

from cloudfw.export.csv_report import render_csv
from cloudfw.export.html import render_html
from cloudfw.export.json_report import render_json
from cloudfw.export.junit import render_junit
from cloudfw.export.markdown import render_markdown
from cloudfw.export.ocsf import render_ocsf
from cloudfw.export.sarif import render_sarif
from cloudfw.export.table import render_table
from cloudfw.model import CloudfwError
from cloudfw.model.report import Report


class ExportError(CloudfwError):
    """An output format that does not exist or cannot render this report."""


Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "ocsf": render_ocsf,
    "sarif": render_sarif,
    "junit": render_junit,
    "csv": render_csv,
    "html": render_html,
    "markdown": render_markdown,
}


def render(report: Report, fmt: str) -> str:
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        known = ", ".join(sorted(RENDERERS))
        raise ExportError(f"unknown output format {fmt!r} (known: {known})") from None
    return renderer(report)

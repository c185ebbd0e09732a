"""Golden files per exporter on a fixed report (fixed clock). CLOUDFW_UPDATE_GOLDEN=1 rewrites."""

from __future__ import annotations

import pytest
from export_helpers import assert_golden, fixed_report

from cloudfw.export import RENDERERS, ExportError, render

GOLDEN_NAMES = {
    "ocsf": "report.ocsf.json",
    "sarif": "report.sarif",
    "junit": "report.junit.xml",
    "csv": "report.csv",
    "html": "report.html",
    "markdown": "report.md",
    "table": "report.table.txt",
}


@pytest.mark.parametrize("fmt", sorted(GOLDEN_NAMES))
def test_exporter_matches_golden(fmt: str) -> None:
    text = render(fixed_report(), fmt)
    assert_golden(GOLDEN_NAMES[fmt], text)
    assert render(fixed_report(), fmt) == text  # deterministic


def test_every_new_format_is_registered() -> None:
    assert set(GOLDEN_NAMES) <= set(RENDERERS)


def test_unknown_format_is_a_clean_error() -> None:
    with pytest.raises(ExportError, match="unknown output format 'pdf'"):
        render(fixed_report(), "pdf")

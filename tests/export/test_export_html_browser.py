"""The HTML report opened in headless Chromium: charts and tables render, the page makes no
network request (every request Chromium would make is routed to a recording proxy on loopback),
and it fits a 1280 px window."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from export_helpers import fixed_report, wide_report
from lxml import html as lxml_html

from cloudfw.export.html import render_html

CHROMIUM = "/usr/bin/chromium"
#: Chromium's own browser-process traffic (component updater, GAIA, and in Chromium 150 a
#: www.google.com preconnect that an empty page makes too) that no flag fully silences in headless
#: mode; it is not the page's doing. Anything else recorded fails the test.
BROWSER_SERVICE_HOSTS = (
    "update.googleapis.com", "accounts.google.com", "clients2.google.com", "www.google.com",
)  # fmt: skip


def _page_requests(seen: list[str]) -> list[str]:
    return [s for s in seen if not any(h in s.split()[1] for h in BROWSER_SERVICE_HOSTS)]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; installed with apt-get when missing (the test setup needs root)."""
    if not Path(CHROMIUM).exists():
        proc = subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"],
            capture_output=True,
            text=True,
            check=False,
            env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
        if proc.returncode != 0 or not Path(CHROMIUM).exists():
            pytest.fail(
                f"{CHROMIUM} is missing and `apt-get install -y chromium` failed "
                f"(rc={proc.returncode}): {proc.stderr.strip()[-300:]}. Install Debian's chromium."
            )
    return CHROMIUM


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _any(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(502)
        self.end_headers()

    do_GET = do_POST = do_CONNECT = do_HEAD = _any

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


def _dump_dom(
    browser: str, page: Path, proxy_url: str, tmp: Path, *extra: str, out: str = "--dump-dom"
) -> str:
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
        "--no-pings", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate",
        f"--user-data-dir={tmp / 'profile'}",
        f"--proxy-server={proxy_url}", "--proxy-bypass-list=<-loopback>",
        "--virtual-time-budget=2000", *extra, out, page.as_uri(),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_html_renders_in_chromium_without_network(
    chromium: str, proxy: tuple[str, list[str]], tmp_path: Path
) -> None:
    report = fixed_report()
    text = render_html(report)
    # statically: no external resource at all (the only URL is the SVG namespace)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls == {"http://www.w3.org/2000/svg"}
    page = tmp_path / "report.html"
    page.write_text(text, encoding="utf-8")
    proxy_url, seen = proxy
    dom = lxml_html.fromstring(_dump_dom(chromium, page, proxy_url, tmp_path))
    # the inline script ran: every sortable table got its click handlers wired
    assert dom.body.get("data-sortable") == str(len(dom.cssselect("table.sortable")))
    charts = {svg.get("data-chart"): svg for svg in dom.cssselect("svg.chart-svg")}
    assert set(charts) == {"severity", "provider", "check"}
    bars = {b.get("data-label"): int(b.get("data-value")) for b in charts["provider"].iter("rect")}
    assert bars == {"aws": 5, "azure": 3, "gcp": 1}
    sev = {b.get("data-label"): int(b.get("data-value")) for b in charts["severity"].iter("rect")}
    assert sev == {"critical": 1, "high": 4, "medium": 3, "low": 1, "info": 0}
    check_bars = charts["check"].cssselect("rect.bar")
    assert len(check_bars) == 7 and check_bars[0].get("data-label") == "internet-ingress"
    rows = dom.cssselect("#findings-table tbody tr:not(.details)")
    assert len(rows) == len(report.findings)
    assert (
        len(dom.cssselect("#drift-table tbody tr:not(.details)")) == 3
    )  # unexpectedly-authorized, revoked, modified
    assert len(dom.cssselect("#exposure-table tbody tr:not(.details)")) == 4
    assert len(dom.cssselect("#suppressed-table tbody tr:not(.details)")) == 1
    gaps = dom.cssselect("#coverage-table tbody tr")
    assert [r.cssselect("td")[1].text_content() for r in gaps] == ["aws:123456789012:eu-west-1"]
    # message text with markup characters arrives as text, not as markup
    assert (
        'RDP "open" | from <anywhere> & more' in dom.cssselect("#findings-table")[0].text_content()
    )
    assert _page_requests(seen) == [], f"the report made network requests: {seen}"


def test_the_network_recorder_sees_a_page_that_fetches(
    chromium: str, proxy: tuple[str, list[str]], tmp_path: Path
) -> None:
    """Control: the same set-up does record a request, so an empty record above means none."""
    page = tmp_path / "fetch.html"
    page.write_text('<html><body><img src="http://cdn.example.test/x.png"></body></html>')
    proxy_url, seen = proxy
    _dump_dom(chromium, page, proxy_url, tmp_path)
    assert any("cdn.example.test" in s for s in _page_requests(seen)), seen


WINDOW = (1280, 900)
#: appended to a copy of the page: the layout as the browser computed it, written into the DOM
MEASURE = """<script>
var de = document.documentElement, out = {inner: window.innerWidth, client: de.clientWidth,
  scroll: de.scrollWidth, tables: {}};
document.querySelectorAll("table").forEach(function (t) {
  out.tables[t.id] = Math.ceil(t.getBoundingClientRect().right);
});
// sorting moves each details row with the finding row above it
function pairs(t) {
  return Array.prototype.map.call(t.querySelectorAll("tr.details"), function (d) {
    return d.previousElementSibling.textContent + "|" + d.textContent;
  }).sort().join("\\n");
}
var ft = document.getElementById("findings-table"), before = pairs(ft);
ft.querySelectorAll("th")[1].click();
out.first_after_sort = ft.tBodies[0].rows[0].cells[1].textContent;
out.details_follow = before !== "" && pairs(ft) === before;
document.body.setAttribute("data-layout", JSON.stringify(out));
</script></body>"""


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_html_fits_a_1280px_window(
    chromium: str, proxy: tuple[str, list[str]], tmp_path: Path
) -> None:
    """Complement peer sets, ARM ids, subscription ids and long rule ids wrap or are shortened:
    nothing scrolls sideways at 1280 px, and every table ends inside the window."""
    rows = [
        {
            "asset": "nic-jump",
            "public address": "pip-jump (address unknown)",
            "family": "IPv4",
            "traffic": "all protocols except tcp, udp",
            "verdict": "blocked",
            "decided by": "subnet:network-security-group nsg-mgmt rule default:DenyAllInBound; "
            "opened by interface:network-security-group nsg-jumpbox rule tcp-any-port-internet",
        }
    ]
    text = render_html(replace(wide_report(), extra={"exposure": rows}))
    page = tmp_path / "wide.html"
    page.write_text(text.replace("</body>", MEASURE), encoding="utf-8")
    proxy_url, seen = proxy
    size = f"--window-size={WINDOW[0]},{WINDOW[1]}"
    dom = lxml_html.fromstring(_dump_dom(chromium, page, proxy_url, tmp_path, size))
    layout = json.loads(dom.body.get("data-layout"))
    assert layout["inner"] == WINDOW[0], layout  # the window really is 1280 px wide
    assert layout["scroll"] <= layout["client"], f"horizontal overflow at 1280 px: {layout}"
    assert set(layout["tables"]) >= {"findings-table", "effective-exposure-table"}
    assert all(right <= layout["client"] for right in layout["tables"].values()), layout
    assert layout["first_after_sort"] == "app-allowed" and layout["details_follow"], layout
    shot = tmp_path / "wide.png"
    _dump_dom(chromium, page, proxy_url, tmp_path, size, out=f"--screenshot={shot}")
    assert _png_size(shot) == WINDOW
    assert _page_requests(seen) == [], f"the report made network requests: {seen}"


def test_review_summary_renders_and_prints_without_network(
    chromium: str, proxy: tuple[str, list[str]], tmp_path: Path
) -> None:
    """The evidence bundle's review-summary.html: every scan, finding and change of the JSON is a
    row, nothing is fetched, and Chromium prints it to a multi-page PDF."""
    from datetime import UTC, datetime

    from events_helpers import FIXTURES, run_cli

    from cloudfw.model import Asset, Coverage, CoverageStatus, Finding, Severity
    from cloudfw.store import Store

    scope = "aws:111122223333:us-east-1"
    when = [datetime(2026, 11, 2, tzinfo=UTC)]
    sg = Asset("aws", "111122223333", "us-east-1", "security-group", "sg-0a1b2c3d4e5f60001")
    open_ssh = Finding("internet-ingress[ssh]", Severity.HIGH, sg, 'SSH "open" <to> & all')
    with Store(tmp_path / "h.sqlite", clock=lambda: when[0]) as db:
        db.record_scan("audit", scope, "d1", [Coverage("aws", scope, CoverageStatus.OK)],
                       [open_ssh], [])  # fmt: skip
        when[0] = datetime(2026, 11, 3, tzinfo=UTC)
        gap = Coverage("aws", scope, CoverageStatus.ERROR, "AccessDenied")
        db.record_scan("audit", scope, "d2", [gap], [], [])
    base = tmp_path / "prod.yaml"
    base.write_text('version: 1\napproved_principals: ["*@contoso.com"]\n')
    code, _, err = run_cli(
        "evidence", "export", "--since", "2026-11-01", "--until", "2026-11-05",
        "--events", str(FIXTURES / "aws" / "trail"), "--events", str(FIXTURES / "azure"),
        "--baseline", str(base), "--store", str(tmp_path / "h.sqlite"),
        "--out", str(tmp_path / "b"),
    )  # fmt: skip
    assert code == 0, err
    page = tmp_path / "b" / "review-summary.html"
    doc = json.loads((tmp_path / "b" / "review-summary.json").read_text())
    text = page.read_text(encoding="utf-8")
    assert not re.findall(r"https?://", text)  # no URL at all
    proxy_url, seen = proxy
    dom = lxml_html.fromstring(_dump_dom(chromium, page, proxy_url, tmp_path))
    assert len(dom.cssselect("#scans-table tbody tr")) == len(doc["scans"]) == 2
    complete = [r.cssselect("td")[4].text_content() for r in dom.cssselect("#scans-table tbody tr")]
    assert complete == ["yes", "NO"]
    assert "AccessDenied" in dom.cssselect("#scans-table")[0].text_content()
    (finding,) = dom.cssselect("#findings-table tbody tr")
    cells = [td.text_content() for td in finding.cssselect("td")]
    assert cells[0] == "internet-ingress[ssh]" and cells[6] == "open"
    assert cells[7] == 'SSH "open" <to> & all'  # markup characters arrive as text
    rows = dom.cssselect("#changes-table tbody tr")
    assert len(rows) == len(doc["changes"]) == doc["totals"]["changes"] > 0
    approvals = [r.cssselect("td")[7].text_content() for r in rows]
    assert approvals == [c["approval"] for c in doc["changes"]]
    assert {"approved", "unapproved"} <= set(approvals)
    cards = {c.get("data-card"): c.cssselect("b")[0].text_content() for c in dom.cssselect(".card")}
    assert cards["unapproved changes"] == str(doc["totals"]["changes_unapproved"])
    pdf = tmp_path / "review.pdf"
    _dump_dom(chromium, page, proxy_url, tmp_path, "--no-pdf-header-footer",
              out=f"--print-to-pdf={pdf}")  # fmt: skip
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 2
    assert _page_requests(seen) == [], f"the summary made network requests: {seen}"

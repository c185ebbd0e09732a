"""The HTML report opened in headless Chromium: charts and tables render, and the page makes no
network request (every request Chromium would make is routed to a recording proxy on loopback)."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from export_helpers import fixed_report
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


def _dump_dom(browser: str, page: Path, proxy_url: str, tmp: Path) -> str:
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
        "--no-pings", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate",
        f"--user-data-dir={tmp / 'profile'}",
        f"--proxy-server={proxy_url}", "--proxy-bypass-list=<-loopback>",
        "--virtual-time-budget=2000", "--dump-dom", page.as_uri(),
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
    rows = dom.cssselect("#findings-table tbody tr")
    assert len(rows) == len(report.findings)
    assert (
        len(dom.cssselect("#drift-table tbody tr")) == 3
    )  # unexpectedly-authorized, revoked, modified
    assert len(dom.cssselect("#exposure-table tbody tr")) == 4
    assert len(dom.cssselect("#suppressed-table tbody tr")) == 1
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

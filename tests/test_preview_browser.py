"""The sandboxed preview in headless Chromium: a generated page's scripts run, but nothing it does reaches
the network (an image, a fetch, a form post, a frame and a beacon all aim at a listener on 127.0.0.1)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tests.helpers import HAS_CHROMIUM, launch_chromium
from workflow_core.page.site import sandboxed_preview

pytestmark = pytest.mark.skipif(not HAS_CHROMIUM, reason="no Chromium")


class _Listener(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def _hit(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _hit

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_a_previewed_page_runs_its_scripts_but_reaches_no_network() -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    page_html = (
        "<!DOCTYPE html><html><head><title>t</title>"
        f'<link rel="stylesheet" href="{url}/css"></head><body><h1 id="h">static</h1>'
        f'<img src="{url}/pixel.png" alt="x"><iframe src="{url}/frame"></iframe>'
        f'<form id="f" method="post" action="{url}/form"></form>'
        "<script>document.getElementById('h').textContent='script ran';"
        f"fetch('{url}/fetch').catch(function(){{}});navigator.sendBeacon('{url}/beacon','x');"
        "try{document.getElementById('f').submit()}catch(e){}</script></body></html>"
    )
    wrapper = sandboxed_preview(page_html, 800, 600)
    try:
        with playwright.sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page()
                page.set_content(wrapper)
                inner = page.frame_locator("iframe[title='Generated page preview']")
                assert inner.locator("#h").inner_text(timeout=10_000) == "script ran"
                page.wait_for_timeout(1500)  # time for any request to arrive
            finally:
                browser.close()
    finally:
        server.shutdown()
    assert _Listener.hits == []


def test_a_fitted_preview_takes_the_pages_height_scaled_to_the_width_it_gets() -> None:
    """Issue 14: no grey band under a short page, no cut under a long one. The page reports its height to
    the wrapper, which sizes the frame; the wrapper's own document is as tall as the scaled page."""
    playwright = pytest.importorskip("playwright.sync_api")
    page_html = (
        "<html><head></head><body style='margin:0'><div style='height:2000px'>tall</div></body></html>"
    )
    wrapper = sandboxed_preview(page_html, 800, 600, fit_height=3000)
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 400, "height": 300})
            page.set_content(wrapper)
            page.wait_for_function("() => document.documentElement.scrollHeight > 900", timeout=10_000)
            page.wait_for_timeout(600)
            height = page.evaluate("() => document.documentElement.scrollHeight")
            sandbox = page.locator("iframe").get_attribute("sandbox")
        finally:
            browser.close()
    assert abs(height - 1000) <= 4, height  # 2000 px laid out at 800, shown at 400: scale 0.5
    assert sandbox == "allow-scripts"

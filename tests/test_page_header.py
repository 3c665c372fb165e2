"""The design system's header: its nav gives way below the width the page's own brand, links and call to
action need (worked out from their strings and the logo's shape), and in Chromium, at every width from a
phone's up, no link breaks over two lines, nothing in the header runs into anything else and the company's
name shows."""

from __future__ import annotations

import itertools
import struct
import zlib
from pathlib import Path

import pytest

from tests.helpers import COMPANY, HAS_CHROMIUM, LOGO, launch_chromium, realistic_page
from workflow_core.page.header import ALWAYS, MIN_BREAKPOINT_PX, image_aspect, is_wordmark, nav_breakpoint_px
from workflow_core.page.site import data_uri

WORDMARK = data_uri("image/svg+xml", Path("assets/example_scenario/logo.svg").read_text(encoding="utf-8"))
NAV = ["Challenges", "What we offer", "Customers", "Contact"]
SQUARE, WIDE = image_aspect(LOGO), image_aspect(WORDMARK)  # the logos' shapes, as render_page reads them


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(ihdr))


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


@pytest.mark.parametrize(
    ("uri", "aspect"),
    [
        (data_uri("image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="80"/>'), 4.0),
        (data_uri("image/svg+xml", "<svg viewBox='0 0 90 30'><rect/></svg>"), 3.0),
        (LOGO, 1.0),
        (data_uri("image/png", _png(300, 100)), 3.0),
        (data_uri("image/gif", b"GIF89a" + struct.pack("<HH", 50, 100) + b"\x00" * 8), 0.5),
        (data_uri("image/jpeg", _jpeg(640, 160)), 4.0),
        (data_uri("image/png", b"not a png"), None),
        ("data:image/svg+xml;base64,!!!", None),
        ("https://example.com/logo.png", None),
    ],
)
def test_the_logo_shape_is_read_from_its_bytes(uri: str, aspect: float | None) -> None:
    assert image_aspect(uri) == aspect


def test_the_nav_gives_way_sooner_the_more_the_header_holds() -> None:
    short = nav_breakpoint_px("Acme", "Contact us", NAV, SQUARE)
    longer_name = nav_breakpoint_px("Northbeam Freight Analytics", "Contact us", NAV, SQUARE)
    longer_cta = nav_breakpoint_px("Acme", "Book a site assessment", NAV, SQUARE)
    assert MIN_BREAKPOINT_PX <= short < longer_name and short < longer_cta
    # Capitals take more room than lower case.
    assert nav_breakpoint_px("ACME MINING", "Go", NAV, SQUARE) > nav_breakpoint_px(
        "Acme Mining", "Go", NAV, SQUARE
    )
    # A header that cannot fit in the widest container never shows its nav.
    assert nav_breakpoint_px(
        "The Very Long Name Of A Company", "Schedule your free fleet consultation", NAV, SQUARE
    ) == (ALWAYS)
    # A wordmark carries the name, so the header shows it only to screen readers and needs no room for it.
    assert is_wordmark(WIDE) and not is_wordmark(SQUARE)
    name = "Ridgeline Fieldworks"
    assert nav_breakpoint_px(name, "Go", NAV, WIDE) == nav_breakpoint_px("", "Go", NAV, WIDE)
    html = realistic_page(company={**COMPANY, "name": name}, logo_data_uri=WORDMARK)
    assert f'<span class="visually-hidden">{name}</span>' in html


_LAYOUT = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
  const shown = el => el && getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0;
  const header = document.querySelector('.site-header .container');
  const parts = ['.brand', '.site-nav', '.header-cta'].map(s => document.querySelector(s)).filter(shown);
  const links = [...document.querySelectorAll('.site-nav a')].filter(shown);
  const name = document.querySelector('.brand span');
  const lineHeight = links.length ? Math.min(...links.map(a => a.getBoundingClientRect().height)) : 0;
  return {header: box(header), parts: parts.map(box), linkHeights: links.map(a => a.getBoundingClientRect().height),
          lineHeight, navShown: shown(document.querySelector('.site-nav')),
          nameWidth: name.classList.contains('visually-hidden') ? null : name.getBoundingClientRect().width,
          pageWidth: document.documentElement.scrollWidth};
}"""


@pytest.mark.skipif(not HAS_CHROMIUM, reason="no Chromium")
def test_at_every_width_no_link_breaks_and_nothing_in_the_header_overlaps() -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    headers = [
        ("Acme", "Contact us", LOGO),
        ("Ridgeline Fieldworks", "Book a site assessment", WORDMARK),
        ("Ridgeline Fieldworks", "Book a site assessment", LOGO),
        ("Northbeam Freight Analytics", "Talk to us", LOGO),
        ("ACME MINING CO", "Get a quote", LOGO),
    ]
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 600})
        shown_somewhere = 0
        for name, cta, logo in headers:
            page.set_content(realistic_page(company={**COMPANY, "name": name}, cta=cta, logo_data_uri=logo))
            for width in [320, 390, 480, *range(861, 1621, 40), 1280]:
                page.set_viewport_size({"width": width, "height": 600})
                got = page.evaluate(_LAYOUT)
                where = f"{name!r} / {cta!r} at {width} px"
                assert all(h < 1.5 * got["lineHeight"] for h in got["linkHeights"]), (
                    f"a nav link wraps: {where}"
                )
                parts = got["parts"]
                for a, b in itertools.pairwise(parts):
                    assert a["r"] <= b["l"] + 0.5, f"header parts overlap: {where}"
                assert parts[-1]["r"] <= got["header"]["r"] + 0.5, f"the header overflows: {where}"
                assert got["pageWidth"] <= width, f"the page scrolls sideways: {where}"
                # The company's name shows at every width (cut short with an ellipsis on a phone), unless
                # the logo is a wordmark that carries it.
                assert got["nameWidth"] is None or got["nameWidth"] > 40, f"the name is hidden: {where}"
                shown_somewhere += got["navShown"]
        browser.close()
    assert shown_somewhere > 0  # the nav is not simply always hidden

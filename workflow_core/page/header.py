"""How wide the design system's header must be to hold its brand, its nav and its call to action on one line,
so that below that width the nav gives way (as it does on phones) instead of breaking its links over two or
three lines or running into the company's name. Worked out from the page's own strings and its logo's shape,
since a page has no script to measure itself with."""

from __future__ import annotations

import re
import struct

from workflow_core.page.site import decode_data_uri

# The advance of a character, in em, in the bold and semibold sans faces a header is drawn in, by kind of
# character: measured in Chromium (whose fallback here, DejaVu Sans, is among the widest) on headers of short
# and long names in lower and upper case, then rounded up, as a visitor's browser may draw a wider face.
_WIDE = frozenset("MWmw@%")
_EM = {"wide": 0.98, "upper": 0.76, "digit": 0.66, "lower": 0.62, "space": 0.34, "other": 0.42}
_ROOT_PX = 16.0
_BRAND_PX = 1.15 * _ROOT_PX
_NAV_PX = 0.95 * _ROOT_PX
_LOGO_HEIGHT_PX = 40.0
_DEFAULT_ASPECT = 4.0  # a logo whose shape cannot be read is taken to be a wide one
_GUTTERS_PX = 40.0  # .container leaves 1.25rem each side
_HEADER_GAP_PX = 24.0  # .site-header .container gap: 1.5rem
_BRAND_GAP_PX = 11.2  # .brand gap: .7rem
_LINK_PAD_PX = 25.6  # .site-nav a padding: .8rem each side
_LINK_GAP_PX = 6.4  # .site-nav ul gap: .4rem
_CTA_PAD_PX = 35.2 + 4.0  # .header-cta padding 1.1rem each side, 2px border each side
_HEADROOM = 1.05  # measured headers came within 1% of these widths: a little room for other faces
_MAX_CONTENT_PX = 1160.0  # --max: the container is never wider
MIN_BREAKPOINT_PX = 860  # where the layout turns to one column anyway
ALWAYS = 100_000  # a breakpoint no screen reaches: the nav never fits, whatever the width
WORDMARK_ASPECT = 2.5  # a logo this much wider than tall carries the name: the header does not repeat it


def text_width_px(text: str, font_px: float) -> float:
    """How wide `text` is drawn at `font_px`, by the widths above (an upper bound more than an average)."""
    em = 0.0
    for ch in text:
        if ch in _WIDE:
            em += _EM["wide"]
        elif ch.isupper():
            em += _EM["upper"]
        elif ch.isdigit():
            em += _EM["digit"]
        elif ch.isalpha():
            em += _EM["lower"]
        elif ch.isspace():
            em += _EM["space"]
        else:
            em += _EM["other"]
    return em * font_px


def is_wordmark(logo_aspect: float | None) -> bool:
    """Whether a logo of this shape (`image_aspect`) is a wordmark, wide enough to carry the company's name,
    so the header shows the name only to screen readers."""
    return logo_aspect is not None and logo_aspect >= WORDMARK_ASPECT


def nav_breakpoint_px(company_name: str, cta: str, nav_labels: list[str], logo_aspect: float | None) -> int:
    """The viewport width below which the header's nav is hidden: `ALWAYS` when the brand, the nav and the
    call to action cannot share a line even in the widest container. `logo_aspect` is `image_aspect` of the
    logo (None: unread, taken to be wide)."""
    brand = _LOGO_HEIGHT_PX * (logo_aspect or _DEFAULT_ASPECT)
    if not is_wordmark(logo_aspect):
        brand += _BRAND_GAP_PX + text_width_px(company_name, _BRAND_PX)
    links = [text_width_px(label, _NAV_PX) + _LINK_PAD_PX for label in nav_labels]
    nav = sum(links) + _LINK_GAP_PX * max(0, len(links) - 1)
    button = text_width_px(cta, _ROOT_PX) + _CTA_PAD_PX
    content = (brand + nav + button + 2 * _HEADER_GAP_PX) * _HEADROOM
    if content > _MAX_CONTENT_PX:
        return ALWAYS
    return max(MIN_BREAKPOINT_PX, int(content + _GUTTERS_PX) + 1)


def image_aspect(uri: str) -> float | None:
    """Width over height of a data: URI's image (SVG, PNG, GIF or JPEG), or None when it cannot be read."""
    decoded = decode_data_uri(uri)
    if decoded is None:
        return None
    mime, data = decoded
    try:
        if "svg" in mime:
            return _svg_aspect(data.decode("utf-8", "replace"))
        if data.startswith(b"\x89PNG") and len(data) >= 24:
            w, h = struct.unpack(">II", data[16:24])
        elif data[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", data[6:10])
        elif data.startswith(b"\xff\xd8"):
            w, h = _jpeg_size(data)
        else:
            return None
    except (struct.error, ValueError):
        return None
    return w / h if w > 0 and h > 0 else None


_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.IGNORECASE | re.DOTALL)
_VIEWBOX = re.compile(
    r"viewBox\s*=\s*[\"']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)", re.IGNORECASE
)
_LENGTH = r"\s*=\s*[\"']\s*([\d.]+)\s*(?:px)?\s*[\"']"


def _svg_aspect(svg: str) -> float | None:
    tag = _SVG_TAG.search(svg)
    if not tag:
        return None
    head = tag.group()
    width = re.search(r"\bwidth" + _LENGTH, head)
    height = re.search(r"\bheight" + _LENGTH, head)
    if width and height and float(height.group(1)) > 0:
        return float(width.group(1)) / float(height.group(1))
    box = _VIEWBOX.search(head)
    if box and float(box.group(2)) > 0:
        return float(box.group(1)) / float(box.group(2))
    return None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise ValueError("not a JPEG marker")
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + length
    raise ValueError("no JPEG frame header")

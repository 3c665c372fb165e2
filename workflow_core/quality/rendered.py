"""What rendering a page in headless Chromium found, per viewport width: axe-core's violations, layout
measures (sideways overflow, small text, small tap targets), broken resources, console errors and a
screenshot. `render.py` produces it; the accessibility and responsive axes read it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DESKTOP = 1280
MOBILE = 390
MIN_FONT_PX = 12.0
MIN_TARGET_PX = 24
# axe-core's impact levels, worst first.
IMPACTS = ("critical", "serious", "moderate", "minor")
_DATA_URI = re.compile(r"(data:[^,\"']{0,60},)[^\"'\s)]{8,}")


@dataclass(frozen=True)
class Element:
    """One offending element: the selector a reader can find it by, its opening tag, and what is wrong with
    it in a few words (e.g. "10 px text", "right edge at 1208 px")."""

    selector: str
    html: str
    detail: str = ""
    url: str = ""  # what it loads, for an image

    @property
    def evidence(self) -> str:
        return f"{self.selector}: {self.html}"


@dataclass(frozen=True)
class AxeViolation:
    """One axe-core rule a page breaks, with the elements that break it."""

    rule: str
    impact: str
    help: str
    help_url: str
    elements: tuple[Element, ...]

    @classmethod
    def from_axe(cls, raw: dict[str, Any]) -> AxeViolation:
        elements = []
        for node in raw.get("nodes") or []:
            target = node.get("target") or []
            # axe gives a list per frame (and shadow root); the page is one document.
            selector = " ".join(t if isinstance(t, str) else " ".join(map(str, t)) for t in target)
            html = " ".join(str(node.get("html") or "").split())
            elements.append(
                Element(
                    selector=_cut_data_uris(selector),
                    html=_cut_data_uris(html)[:300],
                    detail=_failure(str(node.get("failureSummary") or ""))[:300],
                )
            )
        return cls(
            rule=str(raw.get("id") or ""),
            impact=str(raw.get("impact") or "minor"),
            help=str(raw.get("help") or ""),
            help_url=str(raw.get("helpUrl") or ""),
            elements=tuple(elements),
        )


@dataclass(frozen=True)
class WidthRender:
    """The page rendered at one viewport width (CSS px). `layout_width` is the width of the page's layout
    viewport and `scroll_width` how wide its content reaches; `mobile_viewport` whether its
    <meta name="viewport"> (quoted in `viewport_meta`) makes a phone lay it out at the phone's width.
    `small_text_count` counts every element with small text; `small_text` lists the first few."""

    width: int
    violations: tuple[AxeViolation, ...] = ()
    mobile_viewport: bool = True
    viewport_meta: str = ""
    layout_width: int = 0
    scroll_width: int = 0
    overflow: tuple[Element, ...] = ()
    small_text: tuple[Element, ...] = ()
    small_text_count: int = 0
    small_targets: tuple[Element, ...] = ()
    broken_images: tuple[Element, ...] = ()
    # Text drawn over other text: every crossing is counted, the first few listed.
    overlapping_text: tuple[Element, ...] = ()
    overlap_count: int = 0
    # Text a fixed or sticky layer sits on where the page opens: counted, the first few listed.
    covered_text: tuple[Element, ...] = ()
    covered_count: int = 0
    failed_requests: tuple[tuple[str, str], ...] = ()  # (url, why it failed)
    console_errors: tuple[str, ...] = ()
    screenshot: bytes = field(default=b"", repr=False)
    load_timed_out: bool = False

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.layout_width + 1


@dataclass(frozen=True)
class Rendered:
    """A page rendered at every width of `widths` (1280 and 390 by default): what each found, how long it
    took, and which browser and axe-core did it."""

    widths: dict[int, WidthRender]
    seconds: float
    browser: str
    axe_version: str

    @property
    def screenshots(self) -> dict[int, bytes]:
        """JPEG screenshots of the full page (height capped) by viewport width."""
        return {w: r.screenshot for w, r in self.widths.items() if r.screenshot}

    def narrowest(self) -> WidthRender:
        return self.widths[min(self.widths)]


def _cut_data_uris(text: str) -> str:
    return _DATA_URI.sub(r"\1…", text)


def _failure(summary: str) -> str:
    """axe's failure summary in one line: of "Fix any of the following" (alternatives, all unmet) the
    first; of "Fix all of the following" every item."""
    parts = re.split(r"\n?\s*Fix (any|all) of the following:\s*\n", "\n" + summary)
    out = []
    for kind, body in zip(parts[1::2], parts[2::2], strict=True):
        items = [" ".join(line.split()) for line in body.strip().splitlines() if line.strip()]
        out.extend(items[:1] if kind == "any" else items)
    return "; ".join(out) or " ".join(summary.split())


def element(raw: dict[str, Any], detail: str) -> Element:
    """An `Element` from one entry of measures.js."""
    return Element(
        selector=str(raw.get("selector", "")),
        html=str(raw.get("html", "")),
        detail=detail,
        url=str(raw.get("src", "")),
    )

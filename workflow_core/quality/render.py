"""Render an untrusted page in headless Chromium at 1280 and 390 px and collect what the rendered axes read
(`rendered.Rendered`): axe-core's violations, layout measures, broken resources, console errors and JPEG
screenshots.

One long-lived browser serves every page (`browser.Browser`: Chromium on its own thread and event loop);
`render` (blocking) and `render_async` (awaitable: the caller's loop only schedules) hand pages to that
thread, which renders up to one page per core at the same time. Each page starts in a new window (nothing
leaks between pages) of a tab kept from the last page (`browser.Tab`: a new browser context for every page
cost about 200 ms, and axe-core ran slower cold), and is loaded once, at the widest width; the viewport is
then resized to each narrower width (media queries, resize handlers and responsive images apply; a
request or script error is filed under the width on screen when it happens). Loading once per width in a
fresh context costs about a third more for little gain; whether the page sets a mobile viewport is read
from its <meta name="viewport">. The page's own JavaScript runs, but every request that would leave the
page is aborted, so a page cannot call out or navigate away; a page that hangs is cut off after
`timeout_s` and its tab closed. The browser is shut down when the process exits.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import os
import threading
import time
from collections import OrderedDict
from importlib.resources import files
from typing import Any

from workflow_core.quality.browser import (
    INSTALL_HINT,
    Browser,
    RenderError,
    Tab,
    browser_executable,
)
from workflow_core.quality.rendered import (
    DESKTOP,
    MIN_FONT_PX,
    MOBILE,
    AxeViolation,
    Element,
    Rendered,
    WidthRender,
    element,
)

# Screenshots: JPEG at quality 60 and device scale 1, the page's height capped (about 0.1-0.3 MB each).
SCREENSHOT_MAX_HEIGHT = 4000
SCREENSHOT_QUALITY = 60
RECENT_PAGES = 32  # rendered pages kept, by content hash (screenshots included: a few MB)
MAX_PAGES_AT_ONCE = 4
TAB_USES = 50  # pages one tab renders before it is closed and a new one opened (see `browser.Tab`)
LIST_LIMIT = 8  # offending elements listed per measure (every one is counted)
# Resolves once the page has been laid out and painted at its new size.
NEXT_FRAME = "new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))"
_MEASURES_JS = files("workflow_core.quality").joinpath("measures.js").read_text(encoding="utf-8")
# axe-core's target-size rule (WCAG 2.5.8: 24x24 CSS px, with the inline and spacing exceptions) is off by
# default; it runs at phone width and its results go to the responsive axis as tap targets.
_TAP_RULE = "target-size"


class Renderer:
    """Pages rendered and measured on one headless Chromium, reused across pages. Safe to call from any
    thread and from any event loop; up to `pages_at_once` pages render at the same time, each in a fresh
    window of a tab kept for the next page (`browser.Tab`)."""

    def __init__(
        self,
        executable: str | None = None,
        *,
        timeout_s: float = 20.0,
        widths: tuple[int, ...] = (DESKTOP, MOBILE),
        pages_at_once: int | None = None,
        recent_pages: int = RECENT_PAGES,
    ) -> None:
        self.executable = browser_executable(executable)
        self.timeout_s = timeout_s
        self.widths = widths
        self._browser = Browser(self.executable)
        # Pages rendered at the same time, each in its own context of the one browser (Chromium spreads
        # them over the cores): by default one per core, at most `MAX_PAGES_AT_ONCE`. The semaphore belongs
        # to the browser's event loop, so a browser started again after `close` gets a new one.
        self.pages_at_once = max(1, pages_at_once or min(os.cpu_count() or 1, MAX_PAGES_AT_ONCE))
        self._pages = asyncio.Semaphore(self.pages_at_once)
        self._pages_loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[Tab] = []  # tabs ready for the next page (see `browser.Tab`)
        self._idle_in: Any = None  # the browser they are open in: a browser started again has none
        self._axe_version = ""
        # The same page is often checked again (a cached run, a reopened run, a repeat in the lab).
        self.recent_pages = recent_pages
        self._recent: OrderedDict[str, Rendered] = OrderedDict()

    def render(self, html: str) -> Rendered:
        """Render `html` at every width; blocks until done. Raises `BrowserUnavailable` when Chromium cannot
        be started and `RenderError` when the page cannot be rendered."""
        return self._browser.submit(self._render(html)).result()

    async def render_async(self, html: str) -> Rendered:
        """`render` for async callers: the work runs on the browser's thread; this loop only waits."""
        return await asyncio.wrap_future(self._browser.submit(self._render(html)))

    def close(self) -> None:
        """Close the browser and stop its thread (a later `render` starts them again)."""
        self._browser.close()

    # ------------------------------------------------------------------ on the browser's thread

    async def _render(self, html: str) -> Rendered:
        key = hashlib.sha256(html.encode("utf-8")).hexdigest()
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        loop = asyncio.get_running_loop()
        if self._pages_loop is not loop:
            self._pages, self._pages_loop = asyncio.Semaphore(self.pages_at_once), loop
        async with self._pages:
            if key in self._recent:  # rendered while this one waited its turn
                return self._recent[key]
            rendered = await self._render_afresh(html)
        if self.recent_pages > 0:
            self._recent[key] = rendered
            if len(self._recent) > self.recent_pages:
                self._recent.popitem(last=False)
        return rendered

    async def _render_afresh(self, html: str) -> Rendered:
        browser = await self._browser.running()
        started = time.perf_counter()
        try:
            widths = await asyncio.wait_for(self._render_page(browser, html), self.timeout_s)
        except TimeoutError:
            raise RenderError(
                f"The page did not finish rendering within {self.timeout_s:g} s (a script that never "
                "ends, or a page too large): fix the page's script, or give the renderer more time."
            ) from None
        except RenderError:
            raise
        except Exception as exc:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            await self._browser.stop()
            raise RenderError(f"Chromium failed while rendering the page: {first_line}") from exc
        return Rendered(
            widths=widths,
            seconds=round(time.perf_counter() - started, 3),
            browser=f"Chromium {browser.version}",
            axe_version=self._axe_version,
        )

    async def _render_page(self, browser: Any, html: str) -> dict[int, WidthRender]:
        try:
            from axe_playwright_python.base import AXE_SCRIPT
        except ImportError:
            raise self._browser.unavailable(
                f"axe-playwright-python is not installed: {INSTALL_HINT}."
            ) from None
        widths = sorted(self.widths, reverse=True)
        if self._idle_in is not browser:
            self._idle, self._idle_in = [], browser
        tab = self._idle.pop() if self._idle else await Tab.open(browser, _viewport(widths[0]))
        kept = False
        try:
            await tab.fresh(_viewport(widths[0]))
            timed_out = False
            try:
                await tab.page.set_content(html, wait_until="load", timeout=self.timeout_s * 500)
            except Exception as exc:
                if "Timeout" not in type(exc).__name__:
                    raise
                timed_out = True
            await tab.page.evaluate(AXE_SCRIPT)
            out = {}
            for width in widths:
                if width != tab.now:
                    tab.now = width
                    await tab.page.set_viewport_size(_viewport(width))
                    await tab.page.evaluate(NEXT_FRAME)
                out[width] = await self._measure(
                    tab.page, width, tab.failed[width], tab.errors[width], timed_out
                )
            if not timed_out and tab.uses < TAB_USES and self._browser.is_current(browser):
                await tab.blank()
                kept = True
            return out
        finally:
            if kept:
                self._idle.append(tab)
            else:
                # Closing the context ends its renderer, even one stuck in a page's endless loop (a timeout
                # cancels this render here); a browser that cannot close it is started afresh.
                try:
                    await asyncio.wait_for(tab.context.close(), 10)
                except Exception:
                    await self._browser.stop()

    async def _measure(
        self, page: Any, width: int, failed: list[tuple[str, str]], errors: list[str], timed_out: bool
    ) -> WidthRender:
        measures = await page.evaluate(_MEASURES_JS, {"minFontPx": MIN_FONT_PX, "limit": LIST_LIMIT})
        options: dict[str, Any] = {"resultTypes": ["violations"]}
        if width <= MOBILE:
            options["rules"] = {_TAP_RULE: {"enabled": True}}
        response = await page.evaluate("options => axe.run(document, options)", options)
        self._axe_version = str((response.get("testEngine") or {}).get("version", ""))
        height = await page.evaluate("Math.max(document.documentElement.scrollHeight, 1)")
        screenshot = await page.screenshot(
            type="jpeg",
            quality=SCREENSHOT_QUALITY,
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": min(int(height), SCREENSHOT_MAX_HEIGHT)},
        )
        return _width_render(width, measures, response, failed, errors, screenshot, timed_out)


def _viewport(width: int) -> dict[str, int]:
    return {"width": width, "height": 844 if width <= MOBILE else 800}


def _width_render(
    width: int,
    measures: dict[str, Any],
    response: dict[str, Any],
    failed: list[tuple[str, str]],
    errors: list[str],
    screenshot: bytes,
    timed_out: bool,
) -> WidthRender:
    violations = [AxeViolation.from_axe(v) for v in response.get("violations") or []]
    targets: tuple[Element, ...] = ()
    for v in violations:
        if v.rule == _TAP_RULE:
            targets = v.elements
    return WidthRender(
        width=width,
        violations=tuple(v for v in violations if v.rule != _TAP_RULE),
        mobile_viewport=bool(measures["mobileViewport"]),
        viewport_meta=str(measures["viewportMeta"]),
        layout_width=int(measures["layoutWidth"]),
        scroll_width=int(measures["scrollWidth"]),
        overflow=tuple(
            element(o, f"{o['width']} px wide, right edge at {o['right']} px") for o in measures["overflow"]
        ),
        small_text=tuple(element(s, f"{s['size']:g} px text: {s['text']!r}") for s in measures["smallText"]),
        small_text_count=int(measures["smallCount"]),
        small_targets=targets,
        broken_images=tuple(element(b, "the image has nothing to show") for b in measures["brokenImages"]),
        overlapping_text=tuple(
            element(o, f"{o['text']!r} is drawn over {o['other']} ({o['otherText']!r})")
            for o in measures.get("overlapping", [])
        ),
        overlap_count=int(measures.get("overlapCount", 0)),
        covered_text=tuple(
            element(c, f"{c['text']!r} is under {c['other']}, which stays on top of it")
            for c in measures.get("covered", [])
        ),
        covered_count=int(measures.get("coveredCount", 0)),
        failed_requests=tuple(dict.fromkeys(failed)),
        console_errors=tuple(dict.fromkeys(errors)),
        screenshot=screenshot,
        load_timed_out=timed_out,
    )


_shared: Renderer | None = None
_shared_guard = threading.Lock()


def shared_renderer() -> Renderer:
    """The process's renderer (browser from $DECOMPOSE_CHROMIUM or the default), closed at exit."""
    global _shared
    with _shared_guard:
        if _shared is None:
            _shared = Renderer()
            atexit.register(_shared.close)
        return _shared


def render(html: str) -> Rendered:
    """Render `html` with the shared renderer (see `Renderer.render`)."""
    return shared_renderer().render(html)


async def render_async(html: str) -> Rendered:
    """Render `html` with the shared renderer without blocking the caller's event loop."""
    return await shared_renderer().render_async(html)

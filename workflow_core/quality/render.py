"""Render an untrusted page in headless Chromium at 1280 and 390 px and collect what the rendered axes read
(`rendered.Rendered`): axe-core's violations, layout measures, broken resources, console errors and JPEG
screenshots.

One long-lived browser serves every page. Playwright objects belong to the event loop that made them, so
the browser lives on one dedicated thread running its own asyncio loop; `render` (blocking) and
`render_async` (awaitable: the caller's loop only schedules) hand pages to that thread, which renders up
to one page per core at the same time. Each page starts in a new window (nothing leaks between pages) of a
tab kept from the last page (`_Tab`: a new browser context for every page cost about 200 ms, and axe-core
ran slower cold), and is loaded once, at the widest width; the viewport is then resized to each narrower
width (media queries, resize handlers and responsive images apply; a
request or script error is filed under the width on screen when it happens). Loading once per width in a
fresh context costs about a third more for little gain; whether the page sets a mobile viewport is read
from its <meta name="viewport">. The page's own JavaScript runs, but every request that would leave the
page is aborted (only data:, blob: and about: load), so a page cannot call out or navigate away; a page
that hangs is cut off after `timeout_s` and its tab closed. The browser is shut down when the process
exits.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import os
import threading
import time
from collections import OrderedDict, defaultdict
from concurrent.futures import Future
from importlib.resources import files
from typing import Any

from workflow_core.errors import DecomposeError
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

ENV_BROWSER = "DECOMPOSE_CHROMIUM"
DEFAULT_EXECUTABLE = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INSTALL_HINT = (
    "install Chromium with `apt-get install chromium` (or `playwright install chromium`) and the Python "
    f"packages with `pip install playwright axe-playwright-python`; set {ENV_BROWSER} to use another "
    "Chromium executable"
)
# Screenshots: JPEG at quality 60 and device scale 1, the page's height capped (about 0.1-0.3 MB each).
SCREENSHOT_MAX_HEIGHT = 4000
SCREENSHOT_QUALITY = 60
RECENT_PAGES = 32  # rendered pages kept, by content hash (screenshots included: a few MB)
MAX_PAGES_AT_ONCE = 4
TAB_USES = 50  # pages one tab renders before it is closed and a new one opened (see `_Tab`)
LIST_LIMIT = 8  # offending elements listed per measure (every one is counted)
_ALLOWED_SCHEMES = ("data:", "blob:", "about:")
# Resolves once the page has been laid out and painted at its new size.
NEXT_FRAME = "new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))"
_MEASURES_JS = files("workflow_core.quality").joinpath("measures.js").read_text(encoding="utf-8")
# axe-core's target-size rule (WCAG 2.5.8: 24x24 CSS px, with the inline and spacing exceptions) is off by
# default; it runs at phone width and its results go to the responsive axis as tap targets.
_TAP_RULE = "target-size"


class RenderError(DecomposeError):
    """A page could not be rendered (it hung past the timeout, or the browser failed on it)."""


class BrowserUnavailable(RenderError):
    """Chromium or Playwright is missing or will not start; the message says how to install them."""


def browser_executable(explicit: str | None = None) -> str | None:
    """The Chromium to launch: `explicit`, else $DECOMPOSE_CHROMIUM, else /usr/bin/chromium when it exists,
    else None (Playwright's own Chromium, if `playwright install chromium` put one there)."""
    chosen = explicit or os.environ.get(ENV_BROWSER)
    if chosen:
        return chosen
    return DEFAULT_EXECUTABLE if os.path.exists(DEFAULT_EXECUTABLE) else None


class Renderer:
    """A headless Chromium on its own thread, reused across pages. Safe to call from any thread and from
    any event loop; up to `pages_at_once` pages render at the same time, each in a fresh window of a tab
    kept for the next page (`_Tab`)."""

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
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._failure: BrowserUnavailable | None = None
        # Pages rendered at the same time, each in its own context of the one browser (Chromium spreads
        # them over the cores): by default one per core, at most `MAX_PAGES_AT_ONCE`.
        self.pages_at_once = max(1, pages_at_once or min(os.cpu_count() or 1, MAX_PAGES_AT_ONCE))
        self._pages = asyncio.Semaphore(self.pages_at_once)
        self._starting = asyncio.Lock()  # one launch, however many pages ask for the browser at once
        self._idle: list[_Tab] = []  # tabs ready for the next page (see `_Tab`)
        self._axe_version = ""
        # The same page is often checked again (a cached run, a reopened run, a repeat in the lab).
        self.recent_pages = recent_pages
        self._recent: OrderedDict[str, Rendered] = OrderedDict()

    # ------------------------------------------------------------------ the public face

    def render(self, html: str) -> Rendered:
        """Render `html` at every width; blocks until done. Raises `BrowserUnavailable` when Chromium cannot
        be started and `RenderError` when the page cannot be rendered."""
        return self._submit(html).result()

    async def render_async(self, html: str) -> Rendered:
        """`render` for async callers: the work runs on the browser's thread; this loop only waits."""
        return await asyncio.wrap_future(self._submit(html))

    def close(self) -> None:
        """Close the browser and stop its thread (a later `render` starts them again)."""
        with self._guard:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        # Shutting down: a browser that will not close is killed with the process.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop_browser(), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    # ------------------------------------------------------------------ the browser's thread

    def _submit(self, html: str) -> Future[Rendered]:
        with self._guard:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="decompose-render", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                self._pages = asyncio.Semaphore(self.pages_at_once)
                self._starting = asyncio.Lock()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(self._render(html), loop)

    async def _start_browser(self) -> Any:
        async with self._starting:
            return await self._launch()

    async def _launch(self) -> Any:
        if self._failure is not None:
            raise self._failure
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        await self._stop_browser()
        where = self.executable or "Playwright's own Chromium"
        if self.executable and not os.path.exists(self.executable):
            self._failure = BrowserUnavailable(f"No browser at {self.executable}: {INSTALL_HINT}.")
            raise self._failure
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            self._failure = BrowserUnavailable(f"Playwright is not installed: {INSTALL_HINT}.")
            raise self._failure from None
        try:
            self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, args=LAUNCH_ARGS, timeout=60_000
            )
        except Exception as exc:
            await self._stop_browser()
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BrowserUnavailable(
                f"Chromium ({where}) did not start: {first_line}. {INSTALL_HINT}."
            ) from exc
        return self._browser

    async def _stop_browser(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        self._idle.clear()  # their contexts end with the browser
        # A crashed browser cannot be closed, only forgotten; the driver process ends with us.
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), 10)
        if playwright is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(playwright.stop(), 10)

    async def _render(self, html: str) -> Rendered:
        key = hashlib.sha256(html.encode("utf-8")).hexdigest()
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
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
        browser = await self._start_browser()
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
            await self._stop_browser()
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
            self._failure = BrowserUnavailable(f"axe-playwright-python is not installed: {INSTALL_HINT}.")
            raise self._failure from None
        widths = sorted(self.widths, reverse=True)
        tab = self._idle.pop() if self._idle else await _Tab.open(browser, _viewport(widths[0]))
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
            if not timed_out and tab.uses < TAB_USES and self._browser is browser:
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
                    await self._stop_browser()

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


class _Tab:
    """A browser context and its page, kept for the next page to render: a new context costs about 200 ms,
    and axe-core, injected again into the same renderer, about a quarter of its first time and runs faster
    warm. Each page still starts from nothing: once a page is measured the tab closes any window it opened
    and goes to about:blank, which ends its scripts and gives the next page a new window (no globals,
    timers or listeners of the page before; the back-forward cache is off). Its origin is opaque, so it
    reaches no storage a page before wrote. A tab is closed, not kept, after a page that timed out or
    failed, and after `TAB_USES` pages."""

    def __init__(self, context: Any, page: Any) -> None:
        self.context, self.page = context, page
        self.uses = 0
        self.now = 0  # the width the page is shown at: what the page does is filed under it
        self.failed: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
        self.errors: defaultdict[int, list[str]] = defaultdict(list)
        page.on(
            "requestfailed", lambda r: self.failed[self.now].append(_failed_request(r.url, r.failure or ""))
        )
        page.on("console", lambda m: _console_error(m.type, m.text, self.errors[self.now]))
        page.on("pageerror", lambda e: self.errors[self.now].append(f"Uncaught {e.name}: {e.message}"[:300]))

    @classmethod
    async def open(cls, browser: Any, viewport: dict[str, int]) -> _Tab:
        context = await browser.new_context(
            viewport=viewport, device_scale_factor=1, service_workers="block", accept_downloads=False
        )

        async def only_inline(route: Any) -> None:
            if route.request.url.startswith(_ALLOWED_SCHEMES):
                await route.continue_()
            else:
                await route.abort("blockedbyclient")

        await context.route("**/*", only_inline)
        return cls(context, await context.new_page())

    async def fresh(self, viewport: dict[str, int]) -> None:
        """Ready for a new page (the tab is on a blank document in a new window, see `blank`): at
        `viewport`, with nothing recorded."""
        self.uses += 1
        self.now = viewport["width"]
        await self.page.set_viewport_size(viewport)
        self.failed.clear()
        self.errors.clear()

    async def blank(self) -> None:
        """Done with a page: its windows closed and the tab on about:blank, so that none of its scripts runs
        on while the tab waits, and the next page gets a new window."""
        for other in self.context.pages:
            if other is not self.page:
                await other.close()
        await self.page.goto("about:blank")


def _viewport(width: int) -> dict[str, int]:
    return {"width": width, "height": 844 if width <= MOBILE else 800}


def _failed_request(url: str, failure: str) -> tuple[str, str]:
    if "BLOCKED_BY_CLIENT" in failure:
        return url, "blocked: a page must not load from the network"
    return url, failure


def _console_error(kind: str, text: str, errors: list[str]) -> None:
    # A failed load is reported once, as a failed request, not again as Chromium's console line.
    if kind == "error" and not text.startswith("Failed to load resource"):
        errors.append(text[:300])


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

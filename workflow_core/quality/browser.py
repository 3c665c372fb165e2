"""The headless Chromium that renders pages (`render.Renderer` measures them): where it comes from, its
lifetime, the thread it lives on, and the tabs it keeps between pages.

Playwright objects belong to the event loop that made them, so the browser lives on one dedicated thread
running its own asyncio loop (`Browser.submit` hands that loop work from any thread or loop). It is
launched once, on the first page, started again when it crashed, and shut down by `close` (the shared
renderer's at process exit). A page's tab (`Tab`) lets nothing leave the page: every request other than
data:, blob: and about: is aborted, so a page cannot call out or navigate away."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import defaultdict
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from workflow_core.errors import DecomposeError

ENV_BROWSER = "DECOMPOSE_CHROMIUM"
DEFAULT_EXECUTABLE = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INSTALL_HINT = (
    "install Chromium with `apt-get install chromium` (or `playwright install chromium`) and the Python "
    f"packages with `pip install playwright axe-playwright-python`; set {ENV_BROWSER} to use another "
    "Chromium executable"
)
_ALLOWED_SCHEMES = ("data:", "blob:", "about:")

T = TypeVar("T")


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


class Browser:
    """One Chromium on its own thread and event loop. `submit` is safe from any thread; everything else
    runs on the browser's loop (through `submit`). A missing browser or package fails every later launch
    at once with the same message (`unavailable`), instead of trying again for each page."""

    def __init__(self, executable: str | None) -> None:
        self.executable = executable
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._failure: BrowserUnavailable | None = None
        self._starting = asyncio.Lock()  # one launch, however many pages ask for the browser at once

    def submit(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        """Run `work` on the browser's loop, starting its thread first if it is not running."""
        with self._guard:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="decompose-render", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                self._starting = asyncio.Lock()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(work, loop)

    def close(self) -> None:
        """Close the browser and stop its thread (a later `submit` starts them again)."""
        with self._guard:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        # Shutting down: a browser that will not close is killed with the process.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    def unavailable(self, message: str) -> BrowserUnavailable:
        """Record that pages cannot be rendered here (every later launch raises it) and return the error."""
        self._failure = BrowserUnavailable(message)
        return self._failure

    def is_current(self, browser: Any) -> bool:
        """Whether `browser` (from `running`) is still the one in use: not stopped or started again since."""
        return self._browser is browser

    async def running(self) -> Any:
        """The Playwright browser, launched if it is not running (or has crashed)."""
        async with self._starting:
            return await self._launch()

    async def _launch(self) -> Any:
        if self._failure is not None:
            raise self._failure
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        await self.stop()
        where = self.executable or "Playwright's own Chromium"
        if self.executable and not os.path.exists(self.executable):
            raise self.unavailable(f"No browser at {self.executable}: {INSTALL_HINT}.")
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise self.unavailable(f"Playwright is not installed: {INSTALL_HINT}.") from None
        try:
            self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, args=LAUNCH_ARGS, timeout=60_000
            )
        except Exception as exc:
            await self.stop()
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BrowserUnavailable(
                f"Chromium ({where}) did not start: {first_line}. {INSTALL_HINT}."
            ) from exc
        return self._browser

    async def stop(self) -> None:
        """Close the browser (its tabs end with it); the next `running` launches a new one."""
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        # A crashed browser cannot be closed, only forgotten; the driver process ends with us.
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), 10)
        if playwright is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(playwright.stop(), 10)


class Tab:
    """A browser context and its page, kept for the next page to render: a new context costs about 200 ms,
    and axe-core, injected again into the same renderer, about a quarter of its first time and runs faster
    warm. Each page still starts from nothing: once a page is measured the tab closes any window it opened
    and goes to about:blank, which ends its scripts and gives the next page a new window (no globals,
    timers or listeners of the page before; the back-forward cache is off). Its origin is opaque, so it
    reaches no storage a page before wrote. A tab is closed, not kept, after a page that timed out or
    failed, and after `render.TAB_USES` pages. What the page requested in vain and logged as errors is
    filed under the width on screen at the time (`now`)."""

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
    async def open(cls, browser: Any, viewport: dict[str, int]) -> Tab:
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


def _failed_request(url: str, failure: str) -> tuple[str, str]:
    if "BLOCKED_BY_CLIENT" in failure:
        return url, "blocked: a page must not load from the network"
    return url, failure


def _console_error(kind: str, text: str, errors: list[str]) -> None:
    # A failed load is reported once, as a failed request, not again as Chromium's console line.
    if kind == "error" and not text.startswith("Failed to load resource"):
        errors.append(text[:300])

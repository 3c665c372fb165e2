"""Browser tests: the real app under `streamlit run`, driven by Playwright in the system Chromium.

The app talks to a scripted OpenAI-compatible server (provider "fake") configured through a temporary
providers.yaml, stores runs in a temporary SQLite file and keeps user files in a temporary home.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, FrameLocator, Page, expect, sync_playwright

from workflow_core.testing.fake_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FLOW_IFRAME = "iframe[title='streamlit_flow.streamlit_flow']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(models=["small", "large"]).start()
    server.latency_s = 0.05
    yield server
    server.stop()


@contextmanager
def serve_app(
    fake_server: FakeOpenAIServer, tmp: Path, *, ollama: str = "http://127.0.0.1:9/v1"
) -> Iterator[str]:
    """A fresh `streamlit run app.py` on a free port, on the scripted server, with its files under `tmp`;
    yields its URL and stops it afterwards. `ollama` is where Settings looks for "Ollama on this machine"
    (by default a port where nothing answers, so a developer's own Ollama does not change the tests)."""
    tmp.mkdir(parents=True, exist_ok=True)
    providers = tmp / "providers.yaml"
    providers.write_text(fake_server.providers_yaml())
    # Scenario edits must not touch the repository's example: the app gets a copy as its active scenario.
    scenario = tmp / "scenario"
    shutil.copytree(ROOT / "assets" / "example_scenario", scenario)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        DECOMPOSE_DB=str(tmp / "runs.sqlite3"),
        DECOMPOSE_HOME=str(tmp / "home"),
        DECOMPOSE_PROVIDERS=str(providers),
        DECOMPOSE_SCENARIO=str(scenario),
        DECOMPOSE_OLLAMA_URL=ollama,
        PYTHONPATH=str(ROOT),
    )
    log = (tmp / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"streamlit did not start; see {tmp / 'streamlit.log'}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(fake_server: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_app(fake_server, tmp_path_factory.mktemp("studio")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.goto(app_url)
    wait_idle(pg)
    yield pg
    context.close()


def wait_idle(page: Page, timeout_ms: int = 30_000) -> None:
    """Wait until the script has finished its rerun (give a just-triggered rerun time to start first)."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def click_tab(page: Page, name: str, exact: bool = False) -> None:
    """Click the tab `name` once the rerun has settled on one of it: on a loaded machine `wait_idle` can return
    before a rerun starts, and for a moment the old render's tab and the new one are both on the page."""
    tab = page.get_by_role("tab", name=name, exact=exact)
    expect(tab).to_have_count(1, timeout=30_000)
    tab.click()


def goto_page(page: Page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    wait_idle(page)
    page.get_by_role("heading", name=title).first.wait_for()


def flow(page: Page) -> FrameLocator:
    return page.frame_locator(FLOW_IFRAME)


def preview_frame(page: Page) -> Frame:
    """The generated page: the frame inside the sandboxed preview iframe."""
    for frame in page.frames:
        if frame.parent_frame is not None and frame.parent_frame.parent_frame is not None:
            return frame
    raise AssertionError("no nested preview frame on the page")


def shot(page: Page, name: str, width: int = 1280) -> Path:
    """A screenshot of the whole page at `width`: Streamlit scrolls inside its main area, not the document,
    so the viewport grows to the main area's height for the picture and is set back afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    wait_idle(page)
    height = page.evaluate(
        "() => { const m = document.querySelector(\"[data-testid='stMain']\");"
        " return m ? m.scrollHeight : 900; }"
    )
    page.set_viewport_size({"width": width, "height": max(900, min(int(height), 6000))})
    page.wait_for_timeout(250)  # let charts and the canvas re-measure at the new size
    path = ARTIFACTS / f"{name}-{width}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": 900})
    return path


def pick(page: Page, key: str, value: str) -> None:
    """Choose `value` in the selectbox (or add it to the multiselect) with widget key `key`."""
    box = page.locator(f".st-key-{key} input")
    box.click()
    box.fill(value)
    page.get_by_role("option", name=value, exact=True).click()
    wait_idle(page)


def remove(page: Page, key: str, value: str) -> None:
    """Remove `value` from the multiselect with widget key `key`."""
    page.locator(f".st-key-{key}").get_by_role("button", name=f"Remove {value}").click()
    wait_idle(page)

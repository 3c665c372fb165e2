"""How fast the studio answers: page switches and selecting a node on the Designer canvas, measured in headless
Chromium against `streamlit run` (target: within 0.5 s). The baseline, measured in the same run, is a rerun
of the Home page, the lightest one: the ratios say what each page adds over Streamlit's own round trip.

    python benchmarks/ui_latency.py            (needs Debian's chromium at /usr/bin/chromium)
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PAGES = ["Designer", "Scenario", "Run", "Compare", "Settings", "Home"]
ROUNDS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed(page: Page, action) -> float:
    t0 = time.perf_counter()
    action()
    page.wait_for_timeout(30)  # let the click reach the server and the rerun start
    page.wait_for_selector(IDLE, timeout=30_000)
    return time.perf_counter() - t0


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="ui-bench-"))
    scenario = tmp / "scenario"
    shutil.copytree(ROOT / "assets" / "example_scenario", scenario)
    env = dict(
        os.environ,
        DECOMPOSE_DB=str(tmp / "db.sqlite3"),
        DECOMPOSE_HOME=str(tmp / "home"),
        DECOMPOSE_SCENARIO=str(scenario),
    )
    port = _free_port()
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
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_selector(IDLE, timeout=60_000)
            for title in PAGES:  # warm-up: first visits load caches and components
                _timed(page, lambda t=title: page.get_by_role("link", name=t).first.click())
            results: dict[str, list[float]] = {t: [] for t in PAGES}
            baseline: list[float] = []
            for _ in range(ROUNDS):
                for title in PAGES:
                    results[title].append(
                        _timed(page, lambda t=title: page.get_by_role("link", name=t).first.click())
                    )
                baseline.append(_timed(page, lambda: page.get_by_role("link", name="Home").first.click()))
            _timed(page, lambda: page.get_by_role("link", name="Designer").first.click())
            canvas = page.frame_locator("iframe[title='streamlit_flow.streamlit_flow']")
            select: list[float] = []
            for i in range(ROUNDS):
                node = "developer" if i % 2 else "personalizer"
                select.append(
                    _timed(page, lambda n=node: canvas.locator(f".react-flow__node[data-id='{n}']").click())
                )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    base = statistics.median(baseline)
    print(f"UI latency, median of {ROUNDS} (baseline: a rerun of Home, {base * 1000:.0f} ms)\n")
    rows = [(f"switch to {t}", statistics.median(v)) for t, v in results.items()]
    rows.append(("select a node on the Designer canvas", statistics.median(select)))
    worst = 0.0
    for label, value in rows:
        worst = max(worst, value)
        print(f"  {label:<40} {value * 1000:6.0f} ms   ratio {value / base:4.2f}")
    verdict = "OK" if worst <= 0.5 else "OVER TARGET"
    print(f"\nslowest {worst * 1000:.0f} ms (target ≤ 500 ms): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

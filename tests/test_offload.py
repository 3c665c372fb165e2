"""Page work in worker processes (`run.offload`): where it runs, what comes back, and what happens when a
worker dies or the setting is wrong."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workflow_core.errors import DecomposeError, OutputParseError
from workflow_core.page.assets import fill_missing_images
from workflow_core.quality.check import check_page_async
from workflow_core.run import offload

PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Ridgeline</title></head>'
    "<body><main><h1>Ridgeline Fieldworks</h1><p>Haul fleet health for open-pit mines.</p></main></body></html>"
)


def _fail(message: str) -> None:
    raise OutputParseError(message)


def _die() -> None:
    os._exit(3)  # a worker killed mid-task (out of memory, a crash in a C extension)


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setenv(offload.ENV_WORKERS, "2")
    offload.shutdown()
    offload.warm_up()
    yield
    offload.shutdown()


def test_page_work_runs_in_another_process_and_its_errors_come_back_as_raised(two_workers) -> None:
    async def go() -> None:
        assert await offload.offload(os.getpid) != os.getpid()
        with pytest.raises(OutputParseError, match="the page is empty"):
            await offload.offload(_fail, "the page is empty")

    asyncio.run(go())


def test_zero_workers_keeps_page_work_in_this_process(monkeypatch) -> None:
    monkeypatch.setenv(offload.ENV_WORKERS, "0")
    offload.warm_up()
    assert asyncio.run(offload.offload(os.getpid)) == os.getpid()


def test_one_run_at_a_time_never_starts_the_pool(monkeypatch) -> None:
    monkeypatch.setenv(offload.ENV_WORKERS, "2")
    offload.shutdown()
    assert asyncio.run(offload.offload(os.getpid)) == os.getpid()  # no worker start for a single run


def test_a_page_that_kills_its_workers_fails_with_a_clear_error_and_the_pool_recovers(
    two_workers, caplog
) -> None:
    async def go() -> None:
        with pytest.raises(DecomposeError, match=r"crashed a worker process twice.*decompose check"):
            await offload.offload(_die)
        assert await offload.offload(os.getpid) != os.getpid()  # a fresh pool serves the next page

    asyncio.run(go())
    assert caplog.text.count("a page worker process died") == 2


def test_a_wrong_worker_count_says_what_to_set(monkeypatch) -> None:
    monkeypatch.setenv(offload.ENV_WORKERS, "many")
    with pytest.raises(DecomposeError, match=r"DECOMPOSE_PAGE_WORKERS must be a whole number.*'many'"):
        offload.page_workers()


def test_checks_in_a_worker_match_the_checks_here(two_workers, monkeypatch) -> None:
    there = asyncio.run(check_page_async(PAGE, render=False))
    monkeypatch.setenv(offload.ENV_WORKERS, "0")
    here = asyncio.run(check_page_async(PAGE, render=False))
    assert there.axis_scores == here.axis_scores and there.score == here.score
    assert [f.message for f in there.findings] == [f.message for f in here.findings]


@pytest.mark.parametrize(
    "tag",
    [
        '<img src="pictures/hero.png" alt="hero">',
        '<img alt="a > b" src="pictures/hero.png">',  # a '>' in an attribute: the quick scan must not be fooled
        '<image src="pictures/hero.png" alt="hero">',  # read as <img> by HTML5 parsers
        "<IMG SRC=pictures/hero.png alt=hero>",
    ],
)
def test_an_image_nobody_drew_is_drawn_however_its_tag_is_written(tag: str) -> None:
    html = fill_missing_images(f"<!DOCTYPE html><html><body>{tag}</body></html>", {})
    assert "data:image/svg+xml" in html and 'src="pictures/hero.png"' not in html


def test_a_page_whose_images_are_all_inline_or_remote_is_left_exactly_as_it_was() -> None:
    html = (
        "<!DOCTYPE html><html><body><img src='data:image/png;base64,AA==' alt='a'>"
        "<img alt=b src=https://example.com/b.png><img src=//cdn.example.com/c.png alt=c></body></html>"
    )
    assert fill_missing_images(html, {}) == html
    # A source-like text in another attribute sends the page to the full parse, which finds nothing to draw.
    decoy = (
        '<!DOCTYPE html><html><body><img src="data:image/png;base64,AA==" alt=" src=hero.png"></body></html>'
    )
    assert "data:image/svg+xml" not in fill_missing_images(decoy, {})


def _frozen_and_loaded() -> tuple[int, bool]:
    import gc
    import sys

    return gc.get_freeze_count(), "workflow_core.quality.check" in sys.modules


def test_a_worker_starts_with_the_page_code_loaded_and_out_of_the_collectors_way(two_workers) -> None:
    """Each worker imports the page code and builds the icon index as it starts, then freezes them, so
    loky's once-a-second `gc.collect()` does not walk them again (see `_prepare_worker`)."""

    async def go() -> tuple[int, bool]:
        return await offload.offload(_frozen_and_loaded)

    frozen, loaded = asyncio.run(go())
    assert loaded and frozen > 10_000


_PARENT = """
import asyncio, os, sys
from workflow_core.run import offload
async def main():
    await asyncio.to_thread(offload.warm_up)
    print("ready", flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(") ", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_page_workers_end_when_their_process_is_killed_outright(monkeypatch) -> None:
    """`kill -9` of a batch gives its page workers no word: they notice their parent is gone and end, where
    before they lived on, orphaned."""
    monkeypatch.setenv(offload.ENV_WORKERS, "2")
    root = str(Path(__file__).resolve().parents[1])
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        workers = [
            p for p in _children(parent.pid) if b"popen_loky" in Path(f"/proc/{p}/cmdline").read_bytes()
        ]
        assert len(workers) >= 2
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.2)
    alive = [p for p in workers if Path(f"/proc/{p}").exists()]
    for p in alive:
        os.kill(p, signal.SIGKILL)
    assert not alive, f"page workers {alive} outlived their parent"

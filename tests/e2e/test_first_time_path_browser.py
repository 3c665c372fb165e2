"""Issue 14, tried as a new user would, on a server of its own: open a template, add a node, rename and save
the workflow, reload (the working copy is still there), import a scenario zip (it is active), run the saved
workflow from the Run page on the scripted server, reload (the run is still open), open Compare, add a
provider in Settings. No traceback anywhere on the path. Also the old Designer KeyError path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import click_tab, flow, goto_page, pick, preview_frame, serve_app, shot, wait_idle
from workflow_core.testing.fake_server import FakeOpenAIServer

EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "example_scenario"
SHOTS = Path("/tmp/studio-shots")


def _no_traceback(page: Page) -> None:
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def _scenario_zip(tmp: Path) -> Path:
    """The example scenario renamed to another company, zipped as a user would."""
    folder = tmp / "northwind"
    shutil.copytree(EXAMPLE, folder)
    company = folder / "company.json"
    company.write_text(
        company.read_text(encoding="utf-8").replace("Ridgeline Fieldworks", "Northwind Sensors")
    )
    return Path(shutil.make_archive(str(tmp / "northwind"), "zip", tmp, "northwind"))


def _editor_on(page: Page, node_id: str | None) -> None:
    """Wait until the node editor shows `node_id` alone (None: closed). While the app reruns, the old
    editor can stay on screen beside the new one for a moment, so a plain locator would see two."""
    page.wait_for_function(
        "(id) => { const f = [...document.querySelectorAll(\"input[aria-label='Node id']\")];"
        " return id === null ? f.length === 0 : f.length === 1 && f[0].value === id; }",
        arg=node_id,
        timeout=20_000,
    )


def _keep(page: Page, name: str) -> None:
    """Screenshots the issue asks for, kept beside the test artifacts at 1280 and 800 px."""
    for width in (1280, 800):
        path = shot(page, name, width=width)
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / path.name)


def test_the_first_time_path_end_to_end(
    browser: Browser, fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    archive = _scenario_zip(tmp_path)
    # A second scripted server stands in for an Ollama on this machine (it speaks the same API).
    ollama = FakeOpenAIServer(models=["llama3.2"]).start()
    try:
        _walk(browser, fake_server, tmp_path, archive, ollama)
    finally:
        ollama.stop()


def _walk(
    browser: Browser, fake_server: FakeOpenAIServer, tmp_path: Path, archive: Path, ollama: FakeOpenAIServer
) -> None:
    with serve_app(fake_server, tmp_path / "app", ollama=ollama.base_url) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url)
        wait_idle(page)

        # Home -> a template in the Designer; add a node; rename; save.
        pick(page, "home_template", "duo")
        page.get_by_role("button", name="Open in the Designer").click()
        wait_idle(page)
        canvas = flow(page)
        expect(canvas.locator(".react-flow__node")).to_have_count(5, timeout=20_000)
        page.locator(".st-key-add_agent button").first.click()
        wait_idle(page)
        expect(canvas.locator(".react-flow__node[data-id='agent']")).to_be_visible()
        _editor_on(page, "agent")
        assert re.search(r"[?&]workflow=[0-9a-f]{12}", page.url), page.url
        expect(page.get_by_text("Unsaved changes")).to_be_visible()
        name = page.get_by_label("Workflow name")  # editable with a node selected
        name.fill("Northwind duo")
        name.press("Enter")
        wait_idle(page)
        # The rename has landed once the status names the new file; a click during that rerun could be lost.
        expect(page.get_by_text(re.compile(r"Save writes .*northwind-duo\.yaml"))).to_be_visible(
            timeout=20_000
        )
        page.get_by_role("button", name="Save", exact=True).click()
        wait_idle(page)
        expect(page.get_by_text("Saved", exact=True)).to_be_visible()
        expect(page.get_by_text(re.compile(r"northwind-duo\.yaml")).first).to_be_visible()
        flow(page).locator(".react-flow__node[data-id='designer']").click()
        wait_idle(page)
        _editor_on(page, "designer")
        _keep(page, "designer-node-selected")
        page.keyboard.press("Escape")
        wait_idle(page)
        _editor_on(page, None)

        # Reload: the same working copy.
        page.reload()
        wait_idle(page)
        expect(flow(page).locator(".react-flow__node[data-id='agent']")).to_be_visible(timeout=20_000)
        expect(page.get_by_label("Workflow name")).to_have_value("Northwind duo")
        _no_traceback(page)

        # Import a scenario: it becomes the active one, and says so.
        goto_page(page, "Scenario")
        page.get_by_text("Import a scenario (.zip)").click()
        page.locator(
            "[data-testid='stPopoverBody'] [data-testid='stFileUploaderDropzoneInput']"
        ).set_input_files(str(archive))
        page.get_by_role("button", name="Import and use it").click()
        wait_idle(page)
        expect(page.get_by_text(re.compile("Northwind Sensors is now the active scenario"))).to_be_visible()
        expect(page.locator(".st-key-scenario_choice input")).to_have_value(re.compile("^Northwind Sensors"))
        assert "scenario=" in page.url
        _no_traceback(page)

        # Run the saved workflow on the scripted server, from the Run page.
        goto_page(page, "Run")
        expect(page.get_by_text(re.compile("Scenario: Northwind Sensors"))).to_be_visible()
        pick(page, "run_source", "northwind-duo (saved)")
        pick(page, "run_all_models", "fake/small")
        page.locator(".st-key-run_start button").click()
        page.get_by_text("Downloads", exact=True).wait_for(timeout=90_000)
        wait_idle(page)
        assert re.search(r"[?&]run=", page.url), page.url
        click_tab(page, "Page preview")
        assert preview_frame(page).locator("body").inner_text(timeout=10_000).strip()
        _keep(page, "run-preview")

        # Reload: the run is still open, and so is the scenario.
        page.reload()
        wait_idle(page)
        expect(page.get_by_text("Downloads", exact=True)).to_be_visible(timeout=20_000)
        expect(page.get_by_text(re.compile("Northwind duo on"))).to_be_visible()
        expect(page.get_by_text(re.compile("Scenario: Northwind Sensors"))).to_be_visible()
        _no_traceback(page)

        goto_page(page, "Compare")
        _no_traceback(page)

        # Settings: one click adds the Ollama that answers "on this machine" (the scripted server here).
        goto_page(page, "Settings")
        page.get_by_role("button", name="Use Ollama on this machine").click()
        wait_idle(page)
        expect(page.get_by_text("Added provider ollama")).to_be_visible()
        table = page.locator("[data-testid='stTable']").first
        expect(table).to_contain_text("ollama")
        assert "ollama:" in (tmp_path / "app" / "providers.yaml").read_text()
        _keep(page, "settings")
        _no_traceback(page)
        context.close()


def test_load_after_clicking_the_palette_is_no_traceback(page: Page) -> None:
    """The old KeyError path: Home → Open in the Designer → palette `qa` (selected) → Load → Load."""
    page.get_by_role("button", name="Open in the Designer").click()
    wait_idle(page)
    expect(page.get_by_text("As the template ships")).to_be_visible(timeout=20_000)
    expect(flow(page).locator(".react-flow__node").first).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Save", exact=True).click()  # something to load
    wait_idle(page)
    expect(page.get_by_text("Saved", exact=True)).to_be_visible(timeout=20_000)
    page.locator(".st-key-add_qa button").first.click()
    wait_idle(page)
    _editor_on(page, "qa")
    expect(flow(page).locator(".react-flow__node[data-id='qa']")).to_have_count(1)
    click_tab(page, "Load")
    page.get_by_role("button", name="Load", exact=True).click()
    wait_idle(page)
    _editor_on(page, None)  # the loaded workflow opens with nothing selected
    page.wait_for_timeout(3000)  # the error came late, from the old editor's change event
    wait_idle(page)
    _no_traceback(page)
    expect(flow(page).locator(".react-flow__node[data-id='qa']")).to_have_count(0, timeout=15_000)

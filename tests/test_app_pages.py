"""Page logic through Streamlit's AppTest (the canvas component cannot run here: its state is seeded)."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studio import services
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.store import Store
from workflow_core.testing.fake_server import FakeOpenAIServer
from workflow_core.workflow.files import dump_workflow, parse_workflow
from workflow_core.workflow.spec import Edge
from workflow_core.workflow.templates import load_template
from workflow_core.workspace import EXAMPLE_SCENARIO, scenarios_dir

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["home", "designer", "scenario", "run", "compare", "settings"]


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAIServer) -> Iterator[Path]:
    providers = tmp_path / "providers.yaml"
    # fake/large has no price: the tests of the missing-price warning use it.
    providers.write_text(fake_openai.providers_yaml(prices={"small": (0.4, 1.6)}))
    scenario = tmp_path / "scenario"
    shutil.copytree(ROOT / "assets" / "example_scenario", scenario)
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DECOMPOSE_SCENARIO", str(scenario))
    monkeypatch.chdir(ROOT)
    yield scenario


def _app(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_without_error(app_env: Path, page: str) -> None:
    at = _app(page)
    assert not at.exception
    assert at.title[0].value


def test_designer_shows_an_unknown_variable_on_its_node_and_undo_restores(app_env: Path) -> None:
    at = _app("designer")
    wf = at.session_state["workflow"].model_copy(deep=True)
    wf.node("developer").prompt += "\n{{ no_such_thing }}"
    at.session_state["workflow"] = wf
    at.session_state["undo"] = []
    at.session_state["selected_node"] = "developer"
    at.run()
    assert not at.exception
    label = next(n for n in at.session_state["designer_flow:state"].nodes if n.id == "developer").data[
        "content"
    ]
    assert "Problem:" in label and "no_such_thing" in label
    assert any("no_such_thing" in e.value for e in at.error)
    at.button(key="add_agent").click().run()
    assert "agent" in {n.id for n in at.session_state["workflow"].nodes}
    undo = next(b for b in at.button if b.label == "Undo")
    undo.click().run()
    assert "agent" not in {n.id for n in at.session_state["workflow"].nodes}


def test_editing_a_prompt_in_the_node_editor_updates_the_workflow(app_env: Path) -> None:
    at = _app("designer")
    at.session_state["selected_node"] = "personalizer"
    at.run()
    area = next(t for t in at.text_area if t.label == "Prompt template")
    area.set_value("Hello {{ visitor }}").run()
    assert at.session_state["workflow"].node("personalizer").prompt == "Hello {{ visitor }}"
    assert not at.exception


def test_a_nodes_examples_are_edited_in_a_small_expander(app_env: Path) -> None:
    at = _app("designer")
    at.session_state["selected_node"] = "developer"
    at.run()
    area = next(t for t in at.text_area if t.label == "Examples (YAML)")
    area.set_value("- prompt: We sell vans.\n  answer: Vans that start.\n").run()
    examples = at.session_state["workflow"].node("developer").examples
    assert [(e.prompt, e.answer, e.source) for e in examples] == [
        ("We sell vans.", "Vans that start.", "hand")
    ]
    next(t for t in at.text_area if t.label == "Examples (YAML)").set_value("- prompt: no answer\n").run()
    assert any("Examples not saved" in e.value and "answer" in e.value for e in at.error)
    assert len(at.session_state["workflow"].node("developer").examples) == 1
    # No run has scored this node yet: taking examples from past runs says so.
    next(b for b in at.button if b.label == "Take the 2 best from past runs").click().run()
    assert any("No past run" in i.value for i in at.info) and not at.exception


def test_renaming_and_deleting_a_node_in_the_editor(app_env: Path) -> None:
    at = _app("designer")
    at.session_state["selected_node"] = "personalizer"
    at.run()
    next(t for t in at.text_input if t.label == "Node id").set_value("artist").run()
    assert any("'artist' is already taken." in e.value for e in at.error)
    assert "personalizer" in {n.id for n in at.session_state["workflow"].nodes}
    next(t for t in at.text_input if t.label == "Node id").set_value("tailor").run()
    wf = at.session_state["workflow"]
    assert at.session_state["selected_node"] == "tailor"
    assert "tailor" in {e.source for e in wf.edges} | {e.target for e in wf.edges}
    assert "personalizer" not in {e.source for e in wf.edges} | {e.target for e in wf.edges}
    at.button(key="delete:tailor").click().run()
    wf = at.session_state["workflow"]
    assert "tailor" not in {n.id for n in wf.nodes}
    assert all("tailor" not in (e.source, e.target) for e in wf.edges)
    assert at.session_state["selected_node"] is None
    assert not at.exception


def test_run_page_runs_seed_on_the_fake_server(app_env: Path) -> None:
    at = _app("run")
    at.selectbox(key="run_all_models").set_value("fake/small").run()
    assert any(m.label == "Estimated cost per run" for m in at.metric)
    at.button(key="run_start").click().run()
    deadline = time.time() + 30
    while time.time() < deadline and any(h.running for h in at.session_state["run_handles"].values()):
        time.sleep(0.3)
        at.run()
    at.run()
    handle = next(iter(at.session_state["run_handles"].values()))
    assert handle.run is not None and handle.run.status == "ok"
    assert any(m.label == "Quality" for m in at.metric)
    # The quality tab: one metric per axis measured, named by its axis.
    assert {m.label for m in at.metric} >= set(handle.run.qa_axes)
    assert not at.exception


def test_an_invalid_company_file_is_not_saved_and_the_text_is_kept(app_env: Path) -> None:
    at = _app("scenario")
    before = (app_env / "company.json").read_text()
    key = f"scn:{app_env}:company.json"
    at.text_area(key=key).set_value("{ not json").run()
    at.button(key=f"save:{key}").click().run()
    assert any("not saved" in e.value for e in at.error)
    assert (app_env / "company.json").read_text() == before
    assert at.text_area(key=key).value == "{ not json"


def test_save_writes_the_file_named_after_the_workflow_and_follows_a_rename(app_env: Path) -> None:
    """Issue 14: Save writes <name>.yaml in the workflows folder; after a rename it writes the new name's
    file (the old one keeps what it held), and the page says the copy is saved, and where."""
    from workflow_core.workspace import workflows_dir

    at = _app("designer")
    at.button(key="designer_save").click().run()
    first = workflows_dir() / "seed.yaml"
    assert parse_workflow(first.read_text()).name == "seed"
    assert any("Saved" in m.value and str(first) in m.value for m in at.markdown)
    at.text_input(key="wf:0:name").set_value("Acme seed QA").run()
    assert any("Unsaved changes" in m.value and "acme-seed-qa.yaml" in m.value for m in at.markdown)
    at.button(key="designer_save").click().run()
    assert parse_workflow((workflows_dir() / "acme-seed-qa.yaml").read_text()).name == "Acme seed QA"
    assert parse_workflow(first.read_text()).name == "seed"
    assert not at.exception


def test_the_working_copy_survives_a_new_session_through_the_url(app_env: Path) -> None:
    """A reload is a new session: `?workflow=<id>` brings back the working copy, unsaved changes included."""
    at = _app("designer")
    at.button(key="add_agent").click().run()
    draft_id = at.query_params["workflow"]  # one value: a str
    assert draft_id and "agent" in {n.id for n in at.session_state["workflow"].nodes}
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    again.query_params["workflow"] = draft_id
    again.run()
    again.switch_page("pages/designer.py")
    again.run()
    assert "agent" in {n.id for n in again.session_state["workflow"].nodes}
    assert any("Unsaved changes" in m.value for m in again.markdown)
    fresh = _app("designer")  # no link: a new working copy from the template
    assert "agent" not in {n.id for n in fresh.session_state["workflow"].nodes}
    assert not again.exception and not fresh.exception


def _stored_run(workflow_name: str, node_ids: list[tuple[str, str]], workflow_yaml: str | None) -> str:
    """A finished run written straight to the store (as an earlier session or an older version left it)."""
    start = time.time() - 60
    nodes = [
        NodeRecord(
            id=nid, kind=kind, status="ok", latency_s=1.0, started_at=start + i, finished_at=start + i + 1
        )
        for i, (nid, kind) in enumerate(node_ids)
    ]
    run = RunRecord(
        run_id=f"r-{workflow_name}",
        workflow=workflow_name,
        started_at=start,
        finished_at=start + len(nodes),
        status="ok",
        workflow_yaml=workflow_yaml,
        nodes=nodes,
    )
    store = Store()
    store.save_run(run)
    store.close()
    return run.run_id


def test_a_reopened_run_shows_the_workflow_as_it_ran(app_env: Path) -> None:
    wf = load_template("seed").model_copy(deep=True)
    wf.name = "renamed-since"  # neither a template nor the designer's workflow: only the record knows it
    _stored_run(wf.name, [(n.id, n.kind) for n in wf.nodes], dump_workflow(wf))
    at = _app("run")
    at.button(key="run_recent_open").click().run()
    assert not at.exception
    handle = at.session_state["run_handles"]["stored-r-renamed-since"]
    assert [(e.source, e.target) for e in handle.workflow.edges] == [(e.source, e.target) for e in wf.edges]
    critical = next(m for m in at.metric if m.label == "Critical path")
    assert "→" in (critical.help or "")  # the critical path follows the recorded edges


def test_an_old_record_without_its_workflow_still_reopens(app_env: Path) -> None:
    _stored_run("gone", [("a", "agent"), ("b", "agent")], None)
    at = _app("run")
    at.button(key="run_recent_open").click().run()
    assert not at.exception
    handle = at.session_state["run_handles"]["stored-r-gone"]
    assert [n.id for n in handle.workflow.nodes] == ["a", "b"] and not handle.workflow.edges


def test_keys_in_streamlit_secrets_reach_the_environment_without_overriding_it(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    providers = Path(os.environ["DECOMPOSE_PROVIDERS"])
    providers.write_text(providers.read_text() + "    api_key_env: FAKE_TOKEN\n")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FAKE_TOKEN", "db_password"):
        monkeypatch.setenv(name, "")  # remembered, so the test's environment is restored afterwards
        monkeypatch.delenv(name)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-the-environment")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["OPENAI_API_KEY"] = "sk-from-secrets"
    at.secrets["ANTHROPIC_API_KEY"] = "from-secrets"
    at.secrets["FAKE_TOKEN"] = "declared-in-providers-file"
    at.secrets["db_password"] = "not-a-provider-key"
    at.run()
    assert not at.exception
    assert os.environ["OPENAI_API_KEY"] == "sk-from-secrets"
    assert os.environ["FAKE_TOKEN"] == "declared-in-providers-file"
    assert os.environ["ANTHROPIC_API_KEY"] == "from-the-environment"  # the environment wins
    assert "OPENAI_BASE_URL" not in os.environ and "db_password" not in os.environ


def test_no_secrets_file_is_quiet(app_env: Path) -> None:
    at = _app("settings")
    assert not at.exception and not at.warning and not at.error


def test_editing_the_example_scenario_saves_to_a_copy_in_the_user_folder(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DECOMPOSE_SCENARIO")  # the shipped example is the active scenario
    example = EXAMPLE_SCENARIO / "guidelines.md"
    before = example.read_bytes()
    at = _app("scenario")
    key = f"scn:{EXAMPLE_SCENARIO}:guidelines.md"

    at.text_area(key=f"scn:{EXAMPLE_SCENARIO}:company.json").set_value("{ not json").run()
    at.button(key=f"save:scn:{EXAMPLE_SCENARIO}:company.json").click().run()
    assert any("not saved" in e.value for e in at.error)
    assert not scenarios_dir().exists()  # a rejected edit copies nothing

    at.text_area(key=key).set_value("# Guidelines\n\nAlways short.\n").run()
    at.button(key=f"save:{key}").click().run()
    assert not at.exception
    assert example.read_bytes() == before
    copy = Path(at.session_state["scenario_path"])
    assert (
        copy.parent == scenarios_dir()
        and (copy / "guidelines.md").read_text() == "# Guidelines\n\nAlways short.\n"
    )
    assert any(str(copy) in i.value for i in at.success)
    assert at.selectbox(key="scenario_choice").value == copy

    again = f"scn:{copy}:guidelines.md"
    at.text_area(key=again).set_value("# Guidelines\n\nShorter.\n").run()
    at.button(key=f"save:{again}").click().run()
    assert Path(at.session_state["scenario_path"]) == copy and len(list(scenarios_dir().iterdir())) == 1
    assert (copy / "guidelines.md").read_text() == "# Guidelines\n\nShorter.\n"
    assert example.read_bytes() == before


def test_the_scenario_page_edits_the_free_text_file_a_scenario_has(app_env: Path) -> None:
    (app_env / "testimonials.json").unlink()
    (app_env / "testimonials.md").write_text('"Quick and friendly." — Sam\n')
    at = _app("scenario")
    key = f"scn:{app_env}:testimonials.md"
    assert at.text_area(key=key).value.startswith('"Quick and friendly."')
    at.text_area(key=key).set_value('"Quick and friendly." — Sam, Leith\n').run()
    at.button(key=f"save:{key}").click().run()
    assert not at.exception and not (app_env / "testimonials.json").exists()
    assert (app_env / "testimonials.md").read_text().endswith("Sam, Leith\n")


def test_the_bike_shop_ships_as_a_second_scenario(app_env: Path) -> None:
    from workflow_core.workspace import CYCLE_SHOP_SCENARIO

    at = _app("scenario")
    at.selectbox(key="scenario_choice").set_value(CYCLE_SHOP_SCENARIO).run()
    assert not at.exception and not at.error
    assert at.session_state["scenario_path"] == str(CYCLE_SHOP_SCENARIO)
    assert at.text_area(key=f"scn:{CYCLE_SHOP_SCENARIO}:testimonials.md").value.startswith("# Kind words")
    assert at.text_area(key=f"scn:{CYCLE_SHOP_SCENARIO}:guidelines.txt").value
    assert "Winter-Ready Service" in at.text_area(key=f"scn:{CYCLE_SHOP_SCENARIO}:offerings.yaml").value


def test_the_bookkeeping_firm_ships_as_a_third_scenario_and_borrows_nothing(app_env: Path) -> None:
    from workflow_core.workspace import LEDGER_SCENARIO

    at = _app("scenario")
    at.selectbox(key="scenario_choice").set_value(LEDGER_SCENARIO).run()
    assert not at.exception and not at.error
    assert at.session_state["scenario_path"] == str(LEDGER_SCENARIO)
    assert "Book a free 20-minute call" in at.text_area(key=f"scn:{LEDGER_SCENARIO}:guidelines.txt").value
    # A shipped example is not told it holds an example's material.
    assert not any("still holds an example's material" in str(w.value) for w in at.warning)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_to_the_end(at: AppTest) -> None:
    at.button(key="run_start").click().run()
    deadline = time.time() + 60
    while time.time() < deadline and any(h.running for h in at.session_state["run_handles"].values()):
        time.sleep(0.3)
        at.run()
    at.run()


def test_a_cycle_is_reported_on_the_designer_and_blocks_the_run(app_env: Path) -> None:
    at = _app("designer")
    wf = at.session_state["workflow"].model_copy(deep=True)
    wf.edges.append(Edge(source="site", target="visitor"))
    at.session_state["workflow"] = wf
    at.run()
    next(b for b in at.button if b.label == "Auto-layout").click().run()
    assert not at.exception
    assert any("problem(s)" in e.value for e in at.error)
    labels = {n.id: n.data["content"] for n in at.session_state["designer_flow:state"].nodes}
    assert "part of a cycle" in labels["visitor"] and "part of a cycle" in labels["site"]
    at.switch_page("pages/run.py").run()
    assert not at.exception
    assert any("cannot run yet" in e.value and "cycle" in e.value for e in at.error)
    assert at.button(key="run_start").disabled


def test_an_unreachable_provider_is_named_in_settings_and_on_the_failed_node(
    app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    providers = tmp_path / "dead.yaml"
    providers.write_text(
        f"providers:\n  dead:\n    type: openai\n    base_url: http://127.0.0.1:{_closed_port()}/v1\n"
        "    models: [m]\n    prices:\n      m: {input_per_mtok: 1, output_per_mtok: 1}\n"
    )
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    at = _app("settings")
    at.selectbox(key="settings_check_target").set_value("dead").run()
    at.button(key="settings_check").click().run()
    assert any("cannot connect" in e.value for e in at.error)
    # The provider is named once (its own errors start with its name: it read "dead: dead: cannot connect").
    assert not any("dead: dead:" in e.value for e in at.error)
    at.switch_page("pages/run.py").run()
    at.selectbox(key="run_all_models").set_value("dead/m").run()
    _run_to_the_end(at)
    assert not at.exception
    assert any("personalizer" in e.value and "cannot connect" in e.value for e in at.error)


def test_a_model_without_a_price_is_flagged_in_the_estimate_and_the_run(app_env: Path) -> None:
    at = _app("run")
    at.selectbox(key="run_all_models").set_value("fake/large").run()  # the providers file prices only small
    assert any("No price is known for fake/large" in w.value for w in at.warning)
    _run_to_the_end(at)
    assert not at.exception
    assert any("personalizer" in w.value and "no price is known" in w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_a_broken_providers_file_is_a_message_on_every_page(
    app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("providers:\n  x: [\n")
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(broken))
    at = _app(page)
    assert not at.exception
    if page in {"designer", "run", "settings"}:
        assert any("providers file" in e.value and "not valid YAML" in e.value for e in at.error)


def test_the_app_keeps_one_store_per_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "a.sqlite3"))
    first = services.store()
    assert services.store() is first
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "b.sqlite3"))
    other = services.store()
    assert other is not first and other.path == tmp_path / "b.sqlite3"
    assert other.list_runs() == []


@pytest.mark.parametrize("page", ["run", "compare"])
def test_a_database_that_cannot_be_used_is_a_message(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str
) -> None:
    folder = tmp_path / "not-a-database"
    folder.mkdir()
    monkeypatch.setenv("DECOMPOSE_DB", str(folder))
    at = _app(page)
    assert not at.exception, [e.message for e in at.exception]
    assert any("run database cannot be used" in e.value and "is a folder" in e.value for e in at.error)


@pytest.mark.parametrize("label", ["Node id", "Persona", "Prompt template"])
def test_a_late_edit_from_a_replaced_editor_is_ignored_not_a_traceback(app_env: Path, label: str) -> None:
    """Issue 14: select a node, then Load another workflow; the old editor's change event arrives after the
    revision its widget keys carry was bumped. It must neither fail (KeyError on the new key) nor edit the
    new workflow."""
    at = _app("designer")
    at.session_state["selected_node"] = "developer"
    at.run()
    before = at.session_state["workflow"].model_copy(deep=True)
    widget = next(w for w in [*at.text_input, *at.text_area] if w.label == label)
    at.session_state["designer_rev"] = 99  # what a Load does: every editor key now names another revision
    widget.set_value("edited late").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["workflow"] == before


def test_the_run_page_picks_a_saved_workflow_and_says_when_one_is_broken(app_env: Path) -> None:
    """Issue 14, item 5: the Run page offers the user's saved workflows beside the templates."""
    from workflow_core import workspace
    from workflow_core.workflow.templates import load_template

    mine = load_template("duo").model_copy(update={"name": "acme-seed-qa-long-name"})
    saved = workspace.save_workflow(mine)
    broken = saved.with_name("broken.yaml")
    broken.write_text("nodes: [oops\n", encoding="utf-8")
    at = _app("run")
    box = at.selectbox(key="run_source")
    assert "acme-seed-qa-long-name (saved)" in box.options and "template: seed" in box.options
    box.set_value(f"saved:{saved}").run()
    at.selectbox(key="run_all_models").set_value("fake/small").run()
    assert any(m.label == "Agents (k)" and m.value == "2" for m in at.metric)
    assert not at.exception
    at.selectbox(key="run_source").set_value(f"saved:{broken}").run()
    assert any("broken (saved) cannot be opened" in e.value for e in at.error)
    assert not at.exception


def test_the_run_page_names_its_scenario_and_holds_run_while_one_is_running(
    app_env: Path, fake_openai: FakeOpenAIServer
) -> None:
    """Issue 14, item 9: the Run page says which scenario is active, and Run is disabled while a run is on."""
    fake_openai.latency_s = 0.5
    at = _app("run")
    assert any(c.value.startswith("Scenario: **") for c in at.caption)
    at.selectbox(key="run_all_models").set_value("fake/small").run()
    assert not at.button(key="run_start").disabled
    at.button(key="run_start").click().run()
    assert any(h.running for h in at.session_state["run_handles"].values())
    assert at.button(key="run_start").disabled
    deadline = time.time() + 30
    while time.time() < deadline and any(h.running for h in at.session_state["run_handles"].values()):
        time.sleep(0.3)
        at.run()
    at.run()
    assert not at.button(key="run_start").disabled
    assert not at.exception

"""Run diffs: a run of `seed` against a run whose personalizer prompt was edited, on the fake server."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from tests.helpers import echo_responder
from workflow_core.cli.main import main
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.records import RunRecord
from workflow_core.run.diff import diff_runs, format_diff
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.workflow.graph import to_digraph
from workflow_core.workflow.templates import resolve_workflow

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
EDIT = "Mention the harvest season in the headline idea."


@pytest.fixture
async def two_runs(
    fake_openai, fake_registry, tmp_path: Path
) -> tuple[Store, RunRecord, RunRecord, set[str]]:
    fake_openai.set_responder(echo_responder)
    store = Store(tmp_path / "runs.sqlite3")
    scenario = load_scenario(SCENARIO)
    inputs = RunInputs.for_profile(scenario, sorted(scenario.profiles)[0])
    seed = resolve_workflow("seed").with_models(None, "fake/small")
    edited = seed.model_copy(deep=True)
    node = next(n for n in edited.nodes if n.id == "personalizer")
    node.prompt += f"\n{EDIT}\n"
    engine = Engine(fake_registry, store=store, hooks=standard_hooks(store))
    a = await engine.run(seed, inputs)
    b = await engine.run(edited, inputs)
    assert a.status == b.status == "ok"
    downstream = {"personalizer", *nx.descendants(to_digraph(seed), "personalizer")}
    return store, store.get_run(a.run_id), store.get_run(b.run_id), downstream


async def test_an_edited_prompt_changes_only_that_node_and_its_descendants(two_runs) -> None:
    _, a, b, downstream = two_runs
    diff = diff_runs(a, b)
    assert diff.edited == ["personalizer"]
    assert diff.changed_prompts[0] == "personalizer"
    assert set(diff.changed_prompts) <= downstream
    assert "personalizer" in diff.changed_outputs and set(diff.changed_outputs) <= downstream
    assert len(diff.changed_outputs) > 1  # the change reached the nodes below
    unchanged = {n.node_id for n in diff.nodes} - downstream
    assert unchanged >= {"visitor", "research"}
    personalizer = next(n for n in diff.nodes if n.node_id == "personalizer")
    assert f"+{EDIT}" in personalizer.prompt_diff
    assert any(line.startswith("-") and not line.startswith("---") for line in personalizer.output_diff)
    assert personalizer.deltas.input_tokens > 0  # the longer prompt
    assert diff.page_changed
    untouched = next(n for n in diff.nodes if n.node_id == "research")
    assert untouched.deltas.input_tokens == 0 and not untouched.prompt_diff and not untouched.output_diff


async def test_decompose_diff_prints_the_changed_node(two_runs, monkeypatch, capsys) -> None:
    store, a, b, _ = two_runs
    monkeypatch.setenv("DECOMPOSE_DB", str(store.path))
    assert main(["diff", a.run_id, b.run_id]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("personalizer "))
    assert "yes" in row and row.count("changed") == 2
    research = next(line for line in out.splitlines() if line.startswith("research "))
    assert "changed" not in research
    assert f"+{EDIT}" in out and "── personalizer: prompt ──" in out
    assert out == format_diff(diff_runs(a, b)) + "\n"
    assert main(["diff", a.run_id, "nope"]) == 1
    assert "no run 'nope'" in capsys.readouterr().err


def test_a_run_against_itself_has_no_differences(tmp_path: Path) -> None:
    from tests.helpers import record_run

    run = record_run("seed", "ana", 3, [("personalizer", 10, 5, 0.001)], 0.8)
    text = format_diff(diff_runs(run, run))
    assert "No node's prompt or output differs." in text

"""The workflow behind a stored run (workflow_core.run.reopen), read back from a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.reopen import workflow_of_run
from workflow_core.run.store import Store
from workflow_core.workflow.files import dump_workflow
from workflow_core.workflow.spec import Workflow
from workflow_core.workflow.templates import load_template


def _stored(tmp_path: Path, workflow: Workflow, workflow_yaml: str | None) -> RunRecord:
    record = RunRecord(
        run_id="r1",
        workflow=workflow.name,
        started_at=1.0,
        status="ok",
        workflow_yaml=workflow_yaml,
        nodes=[NodeRecord(id=n.id, kind=n.kind, status="ok") for n in workflow.nodes],
    )
    store = Store(tmp_path / "runs.sqlite3")
    try:
        store.save_run(record)
        found = store.get_run("r1")
    finally:
        store.close()
    assert found is not None
    return found


def _edges(workflow: Workflow) -> list[tuple[str, str]]:
    return [(e.source, e.target) for e in workflow.edges]


def test_a_run_that_kept_its_workflow_reopens_with_it_exactly(tmp_path: Path) -> None:
    ran = load_template("seed")
    ran.name = "renamed-since"
    ran.nodes[1].prompt = "as it ran"
    record = _stored(tmp_path, ran, dump_workflow(ran))
    current = load_template("seed")
    current.name = "renamed-since"  # the designer's workflow of that name has changed since: the record wins
    reopened = workflow_of_run(record, current)
    assert dump_workflow(reopened) == dump_workflow(ran)


@pytest.mark.parametrize("workflow_yaml", [None, "name: x\nnot_a_field: 1\n"])
def test_an_older_record_falls_back_to_the_current_workflow_then_a_template(
    tmp_path: Path, workflow_yaml: str | None
) -> None:
    seed = load_template("seed")
    record = _stored(tmp_path, seed, workflow_yaml)
    current = seed.model_copy(deep=True)
    current.description = "the designer's"
    assert workflow_of_run(record, current).description == "the designer's"
    other = Workflow(name="something else")
    assert dump_workflow(workflow_of_run(record, other)) == dump_workflow(seed)
    assert dump_workflow(workflow_of_run(record)) == dump_workflow(seed)


def test_without_a_workflow_of_its_name_a_run_reopens_as_its_nodes_alone(tmp_path: Path) -> None:
    ran = load_template("duo")
    ran.name = "gone"
    record = _stored(tmp_path, ran, None)
    reopened = workflow_of_run(record, Workflow(name="seed"))
    assert reopened.name == "gone"
    assert [(n.id, n.kind) for n in reopened.nodes] == [(n.id, n.kind) for n in ran.nodes]
    assert reopened.edges == []


def test_a_workflow_of_that_name_without_every_node_of_the_run_is_not_used(tmp_path: Path) -> None:
    seed = load_template("seed")
    record = _stored(tmp_path, seed, None)
    current = seed.model_copy(deep=True)
    current.nodes = current.nodes[:-1]
    reopened = workflow_of_run(record, current)
    assert [n.id for n in reopened.nodes] == [n.id for n in seed.nodes]
    assert _edges(reopened) == []

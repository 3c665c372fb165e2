"""The workflow behind a stored run: what a reopened run is drawn and inspected with."""

from __future__ import annotations

from workflow_core.errors import WorkflowError
from workflow_core.records import RunRecord
from workflow_core.workflow.files import parse_workflow
from workflow_core.workflow.spec import Node, Workflow
from workflow_core.workflow.templates import TEMPLATE_NAMES, load_template


def workflow_of_run(record: RunRecord, current: Workflow | None = None) -> Workflow:
    """The graph of a stored run, with a node for every node the record has. The workflow exactly as it ran
    when the record keeps it; for older records (or one whose YAML no longer parses) `current`, the workflow
    being designed, or else the built-in template, when it has the run's workflow name; failing those, or when
    the one found lacks a node the run had, the record's nodes alone, unconnected."""
    workflow = _as_recorded(record) or _by_name(record.workflow, current)
    if workflow is None or not {n.id for n in record.nodes} <= {n.id for n in workflow.nodes}:
        return Workflow(name=record.workflow, nodes=[Node(id=n.id, kind=n.kind) for n in record.nodes])
    return workflow


def _as_recorded(record: RunRecord) -> Workflow | None:
    if not record.workflow_yaml:
        return None
    try:
        return parse_workflow(record.workflow_yaml, source=f"run {record.run_id}")
    except WorkflowError:
        return None  # written by an older schema: fall back to a workflow by name


def _by_name(name: str, current: Workflow | None) -> Workflow | None:
    if current is not None and current.name == name:
        return current
    return load_template(name) if name in TEMPLATE_NAMES else None

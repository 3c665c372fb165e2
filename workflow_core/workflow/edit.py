"""The designer's edits to a workflow's structure: add, rename and delete a node. Each returns a new workflow
and leaves the one it is given as it was, so a caller can keep the old one for undo."""

from __future__ import annotations

from copy import deepcopy

from workflow_core.errors import Problem, WorkflowError
from workflow_core.workflow.kinds import kind_of
from workflow_core.workflow.layout import next_free_position
from workflow_core.workflow.spec import Node, Position, Workflow


def add_node(workflow: Workflow, kind: str, position: Position | None = None) -> tuple[Workflow, str]:
    """A copy with a new, unconnected node of the registered `kind`, and the new node's id: the kind itself,
    else the first free of `kind_2`, `kind_3`, …. It starts with its kind's `new_node` fields and sits at
    `position`, by default right of every node already on the canvas. KeyError for an unknown kind."""
    taken = {n.id for n in workflow.nodes}
    node_id, suffix = kind, 2
    while node_id in taken:
        node_id, suffix = f"{kind}_{suffix}", suffix + 1
    added = workflow.model_copy(deep=True)
    node = Node(
        id=node_id,
        kind=kind,
        position=position or next_free_position(workflow),
        **deepcopy(dict(kind_of(kind).new_node)),
    )
    added.nodes.append(node)
    return added, node_id


def rename_node(workflow: Workflow, old: str, new: str) -> Workflow:
    """A copy with node `old` called `new` and its edges following it. Prompts that name `old` are left as
    they are: validation then shows them as unknown variables. Raises WorkflowError when there is no node
    `old`, or `new` is empty or another node's id."""
    if not any(n.id == old for n in workflow.nodes):
        raise WorkflowError([Problem(f"There is no node '{old}' to rename.", node_id=old, field="id")])
    if not new:
        raise WorkflowError([Problem("A node id cannot be empty.", node_id=old, field="id")])
    if new != old and any(n.id == new for n in workflow.nodes):
        raise WorkflowError([Problem(f"'{new}' is already taken.", node_id=old, field="id")])
    copy = workflow.model_copy(deep=True)
    copy.node(old).id = new
    for edge in copy.edges:
        edge.source = new if edge.source == old else edge.source
        edge.target = new if edge.target == old else edge.target
    return copy


def delete_node(workflow: Workflow, node_id: str) -> Workflow:
    """A copy without node `node_id` and without the edges into or out of it (unchanged if there is none)."""
    copy = workflow.model_copy(deep=True)
    copy.nodes = [n for n in copy.nodes if n.id != node_id]
    copy.edges = [e for e in copy.edges if node_id not in (e.source, e.target)]
    return copy

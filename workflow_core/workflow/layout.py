"""Canvas positions for a workflow: a layered left-to-right layout from the DAG's topological layers."""

from __future__ import annotations

import networkx as nx

from workflow_core.workflow.graph import to_digraph, topological_layers
from workflow_core.workflow.spec import Position, Workflow

COLUMN_GAP = 260.0
ROW_GAP = 130.0


def auto_layout(workflow: Workflow) -> Workflow:
    """A copy with every node placed: one column per topological layer, rows centred on the tallest column.
    A cyclic workflow (invalid, but still being edited) keeps its positions."""
    if not nx.is_directed_acyclic_graph(to_digraph(workflow)):
        return workflow.model_copy(deep=True)
    layers = topological_layers(workflow)
    tallest = max((len(layer) for layer in layers), default=0)
    copy = workflow.model_copy(deep=True)
    for col, layer in enumerate(layers):
        offset = (tallest - len(layer)) * ROW_GAP / 2
        for row, node_id in enumerate(layer):
            copy.node(node_id).position = Position(x=col * COLUMN_GAP, y=offset + row * ROW_GAP)
    return copy


def next_free_position(workflow: Workflow) -> Position:
    """Where a node added from the palette goes: right of everything already on the canvas."""
    if not workflow.nodes:
        return Position()
    right = max(n.position.x for n in workflow.nodes)
    top = min(n.position.y for n in workflow.nodes)
    return Position(x=right + COLUMN_GAP, y=top)

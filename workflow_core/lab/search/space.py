"""The search space: for each searched node of a workflow, the models it may run on; an assignment picks one
model per searched node (pinned nodes keep theirs)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from workflow_core.errors import DecomposeError
from workflow_core.workflow.graph import WorkflowGraph
from workflow_core.workflow.spec import Workflow

# (node id, model reference) for every searched node, in the workflow's topological order: hashable, so it
# keys what was measured.
Assignment = tuple[tuple[str, str], ...]


def short_model(ref: str) -> str:
    """A model reference as a table shows it: without its provider ("local/qwen2.5-coder-0.5b" -> "qwen2.5-coder-0.5b")."""
    return ref.split("/", 1)[-1]


def label(assignment: Assignment) -> str:
    """ "personalizer=qwen2.5-coder-0.5b developer=qwen2.5-coder-1.5b": an assignment as a variant name."""
    return " ".join(f"{node}={short_model(model)}" for node, model in assignment)


@dataclass(frozen=True)
class SearchSpace:
    """`workflow` (pinned nodes already on their models) and, per searched node in topological order, its
    candidate models, cheapest first."""

    workflow: Workflow
    candidates: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def nodes(self) -> list[str]:
        return [node for node, _ in self.candidates]

    def models(self, node: str) -> tuple[str, ...]:
        return dict(self.candidates)[node]

    @property
    def size(self) -> int:
        return math.prod(len(models) for _, models in self.candidates)

    def assignments(self) -> Iterator[Assignment]:
        """Every assignment, cheapest models first."""
        nodes = self.nodes
        for models in itertools.product(*(m for _, m in self.candidates)):
            yield tuple(zip(nodes, models, strict=True))

    def cheapest(self) -> Assignment:
        return tuple((node, models[0]) for node, models in self.candidates)

    @staticmethod
    def swap(assignment: Assignment, node: str, model: str) -> Assignment:
        return tuple((n, model if n == node else m) for n, m in assignment)

    def workflow_for(self, assignment: Assignment) -> Workflow:
        return self.workflow.with_models(dict(assignment))


def build_space(
    workflow: Workflow,
    models: Sequence[str],
    *,
    pinned: Mapping[str, str] | None = None,
    cost_of: Mapping[str, float] | None = None,
    usable: Mapping[str, Sequence[str]] | None = None,
) -> SearchSpace:
    """The space of `workflow`: every model-backed node not in `pinned` may take each of `models` (or, when
    `usable` names a node, the models of `models` it can run: a node that asks for structured output needs a
    model that gives it). `cost_of` orders a node's candidates cheapest first (a model's estimated cost per
    call; unknown ones last). A DecomposeError says what is wrong: a pinned node that is not in the workflow,
    no model to search, or a node left with no candidate."""
    pinned = dict(pinned or {})
    unknown = sorted(set(pinned) - {n.id for n in workflow.nodes})
    if unknown:
        raise DecomposeError(
            f"pinned node(s) {', '.join(unknown)} are not in workflow '{workflow.name}'. "
            f"Its nodes: {', '.join(n.id for n in workflow.nodes)}."
        )
    refs = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    if not refs:
        raise DecomposeError(
            "give at least one model to search, e.g. --models local/qwen2.5-coder-0.5b,local/qwen2.5-coder-1.5b."
        )
    base = workflow.with_models(pinned) if pinned else workflow
    order = WorkflowGraph(base).order
    costs = dict(cost_of or {})
    candidates: list[tuple[str, tuple[str, ...]]] = []
    for node_id in order:
        node = base.node(node_id)
        if not node.model or node_id in pinned:
            continue
        allowed = [m for m in refs if usable is None or node_id not in usable or m in usable[node_id]]
        if not allowed:
            raise DecomposeError(
                f"no model of {', '.join(refs)} can run node '{node_id}' ({node.output_format} output): "
                "add one that can, or pin the node to its model."
            )
        allowed.sort(key=lambda m: (costs.get(m, math.inf), refs.index(m)))
        candidates.append((node_id, tuple(allowed)))
    if not candidates:
        raise DecomposeError(
            f"workflow '{workflow.name}' has no model-backed node left to search: unpin one, or choose a "
            "workflow with agents."
        )
    return SearchSpace(base, tuple(candidates))

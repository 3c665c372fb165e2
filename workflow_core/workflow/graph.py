"""The workflow as a networkx DAG: validation before any model call, layers, critical path and the
decomposition metrics the comparison reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

import networkx as nx

from workflow_core.errors import Problem, WorkflowError
from workflow_core.workflow.kinds import kind_of
from workflow_core.workflow.spec import NODE_ID_PATTERN, PAGE_FORMATS, Node, Workflow
from workflow_core.workflow.templating import TemplateError, environment, variables_of

ModelCheck = Callable[[str], str | None]


class _Timed(Protocol):
    latency_s: float


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _ancestor_sets(g: nx.DiGraph, order: Iterable[str]) -> dict[str, set[str]]:
    """Every node's ancestors in one pass over a topological `order` (a search per node is quadratic): a
    node's ancestors are its parents and theirs. A parent outside `order` counts, its own ancestors do not."""
    found_by: dict[str, set[str]] = {}
    for node_id in order:
        found: set[str] = set()
        for parent in g.predecessors(node_id):
            found.add(parent)
            found |= found_by.get(parent, set())
        found_by[node_id] = found
    return found_by


def _order(g: nx.DiGraph) -> tuple[list[str] | None, dict[str, set[str]], set[str]]:
    """A topological order of `g` and every node's ancestors, in one pass; (None, {}, set()) when `g` has a
    cycle (the caller then names each cycle). Most workflows are acyclic: they pay for no cycle search."""
    try:
        order = list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:
        return None, {}, set()
    return order, _ancestor_sets(g, order), set()


def to_digraph(workflow: Workflow) -> nx.DiGraph:
    g: nx.DiGraph = nx.DiGraph()
    for n in workflow.nodes:
        g.add_node(n.id)
    for e in workflow.edges:
        g.add_edge(e.source, e.target)
    return g


def validate(
    workflow: Workflow,
    *,
    inputs: Iterable[str] = (),
    check_model: ModelCheck | None = None,
    graph: nx.DiGraph | None = None,
) -> list[Problem]:
    """Every problem that would stop the workflow from running, each with the node it belongs to. `graph` is
    the workflow's digraph when the caller has already built it."""
    return _check(workflow, inputs, check_model, graph)[0]


def _check(
    workflow: Workflow, inputs: Iterable[str], check_model: ModelCheck | None, graph: nx.DiGraph | None
) -> tuple[list[Problem], list[str] | None, dict[str, set[str]]]:
    """`validate`'s problems, with the topological order and ancestor sets it found on the way (None when the
    workflow has a cycle), so that a valid workflow's graph is not ordered twice."""
    problems: list[Problem] = []
    available_inputs = set(inputs)
    ids = [n.id for n in workflow.nodes]
    seen: set[str] = set()
    for n in workflow.nodes:
        if not NODE_ID_PATTERN.match(n.id):
            problems.append(
                Problem(
                    "node ids must be lowercase letters, digits and underscores, starting with a letter "
                    "(prompts refer to them as variables).",
                    node_id=n.id,
                    field="id",
                )
            )
        if n.id in seen:
            problems.append(Problem("duplicate node id: rename one of the nodes.", node_id=n.id, field="id"))
        seen.add(n.id)
        if n.id in available_inputs:
            problems.append(
                Problem(f"node id '{n.id}' hides the input of the same name: rename the node.", node_id=n.id)
            )
    if not workflow.nodes:
        problems.append(Problem("the workflow has no nodes: add at least one agent."))

    known = set(ids)
    for e in workflow.edges:
        for end, name in (("source", e.source), ("target", e.target)):
            if name not in known:
                problems.append(
                    Problem(
                        f"edge {e.source} → {e.target} has {end} '{name}', which is not a node id.",
                        node_id=e.target if end == "source" else e.source,
                        field="edges",
                    )
                )
        if e.source == e.target:
            problems.append(Problem("a node cannot feed itself.", node_id=e.source, field="edges"))

    g = graph if graph is not None else to_digraph(workflow)
    g = g.copy() if any(u not in known or v not in known for u, v in g.edges) else g
    g.remove_edges_from([(u, v) for u, v in g.edges if u not in known or v not in known])
    order, ancestors, cyclic = _order(g)
    for cycle in nx.simple_cycles(g) if order is None else ():
        if len(cycle) == 1:
            continue
        loop = " → ".join([*cycle, cycle[0]])
        for node_id in cycle:
            if node_id not in cyclic:
                cyclic.add(node_id)
                problems.append(
                    Problem(f"part of a cycle ({loop}): a workflow must be acyclic.", node_id=node_id)
                )

    env_globals = set(environment().globals)
    # A node on a cycle has no topological order, so it gets its direct parents.
    looped = cyclic | set(nx.nodes_with_selfloops(g))
    if order is None:
        ancestors = _ancestor_sets(g, nx.topological_sort(g.subgraph(n for n in g if n not in looped)))
    for n in workflow.nodes:
        upstream = ancestors.get(n.id) if n.id not in looped else None
        if upstream is None:
            upstream = set(g.predecessors(n.id)) if n.id in g else set()
        kind = kind_of(n.kind)
        if kind.model == "required":
            if not n.model:
                problems.append(
                    Problem(
                        f"{_a(n.kind)} needs a model, e.g. local/qwen2.5-coder-0.5b.",
                        node_id=n.id,
                        field="model",
                    )
                )
            if not n.prompt.strip():
                problems.append(Problem(f"{_a(n.kind)} needs a prompt.", node_id=n.id, field="prompt"))
        if n.params.candidates > 1:
            if not kind.candidates:
                problems.append(
                    Problem(
                        f"{_a(n.kind)} cannot sample candidates: set params.candidates to 1.",
                        node_id=n.id,
                        field="params",
                    )
                )
            elif n.output_format not in PAGE_FORMATS:
                problems.append(
                    Problem(
                        f"params.candidates: {n.params.candidates} needs a node that writes the page "
                        f"(output_format {' or '.join(PAGE_FORMATS)}): the quality verdict that picks the best "
                        "candidate rates pages, and nothing rates other outputs yet. Set it on the front-end "
                        "developer, or set it to 1.",
                        node_id=n.id,
                        field="params",
                    )
                )
        if kind.needs_upstream and not upstream:
            problems.append(Problem(f"a {n.kind} node needs {kind.needs_upstream}.", node_id=n.id))
        if n.model and check_model is not None:
            model_problem = check_model(n.model)
            if model_problem:
                problems.append(Problem(model_problem, node_id=n.id, field="model"))
        for field, template in (("system", n.system), ("prompt", n.prompt)):
            if not template:
                continue
            try:
                names = variables_of(template)
            except TemplateError as exc:
                problems.append(Problem(str(exc), node_id=n.id, field=field))
                continue
            for name in sorted(names - env_globals - kind.prompt_variables):
                if name in upstream or name in available_inputs:
                    continue
                if name in known:
                    hint = f"node '{name}' is not upstream of '{n.id}': add an edge {name} → {n.id}."
                else:
                    offered = sorted(upstream | available_inputs)
                    hint = (
                        f"unknown prompt variable '{{{{ {name} }}}}': no upstream node or input has that name. "
                        f"Available here: {', '.join(offered) if offered else 'nothing (add an edge or a scenario)'}."
                    )
                problems.append(Problem(hint, node_id=n.id, field=field))
    return problems, order, ancestors


def available_variables(workflow: Workflow, node_id: str, inputs: Iterable[str] = ()) -> list[str]:
    """The names a node's prompt may use: its upstream node ids, then the run's inputs."""
    g = to_digraph(workflow)
    upstream = sorted(nx.ancestors(g, node_id)) if nx.is_directed_acyclic_graph(g) else []
    own = sorted(kind_of(workflow.node(node_id).kind).prompt_variables)
    return upstream + sorted(set(inputs) - set(upstream)) + own


def topological_layers(workflow: Workflow) -> list[list[str]]:
    return [sorted(layer) for layer in nx.topological_generations(to_digraph(workflow))]


class WorkflowGraph:
    """A valid workflow as a DAG, built once per run: topological order, each node's parents, and each node's
    ancestors in topological order. Build it with `validated_graph` (a cyclic workflow has no order)."""

    def __init__(
        self,
        workflow: Workflow,
        digraph: nx.DiGraph | None = None,
        ordered: tuple[list[str], dict[str, set[str]]] | None = None,
    ) -> None:
        """`ordered`: the digraph's topological order and ancestor sets, when validation found them already."""
        self.workflow = workflow
        self.nodes: dict[str, Node] = {n.id: n for n in workflow.nodes}
        self.digraph = digraph if digraph is not None else to_digraph(workflow)
        if ordered is None:
            order = list(nx.topological_sort(self.digraph))
            ordered = order, _ancestor_sets(self.digraph, order)
        self.order: list[str] = ordered[0]
        self.parents: dict[str, list[str]] = {n: list(self.digraph.predecessors(n)) for n in self.order}
        self.children: dict[str, list[str]] = {n: list(self.digraph.successors(n)) for n in self.order}
        position = {n: i for i, n in enumerate(self.order)}
        found = ordered[1]
        self.ancestors: dict[str, list[str]] = {
            n: sorted(found[n], key=position.__getitem__) for n in self.order
        }

    def critical_path(self, records: Mapping[str, _Timed]) -> tuple[list[str], float]:
        """The chain of nodes whose summed latency is longest: the floor on wall time however parallel the
        engine."""
        best: dict[str, tuple[float, list[str]]] = {}
        for node_id in self.order:
            own = records[node_id].latency_s if node_id in records else 0.0
            prev = max((best[p] for p in self.parents[node_id]), default=(0.0, []), key=lambda t: t[0])
            best[node_id] = (prev[0] + own, [*prev[1], node_id])
        if not best:
            return [], 0.0
        total, path = max(best.values(), key=lambda t: t[0])
        return path, total


def validated_graph(
    workflow: Workflow, *, inputs: Iterable[str] = (), check_model: ModelCheck | None = None
) -> WorkflowGraph:
    """The workflow's graph, after checking that it can run (WorkflowError with every problem otherwise)."""
    digraph = to_digraph(workflow)
    problems, order, ancestors = _check(workflow, inputs, check_model, digraph)
    if problems or order is None:
        raise WorkflowError(problems)
    return WorkflowGraph(workflow, digraph, (order, ancestors))


def critical_path(workflow: Workflow, records: Mapping[str, _Timed]) -> tuple[list[str], float]:
    """`WorkflowGraph.critical_path` for a workflow whose graph the caller has not built."""
    return WorkflowGraph(workflow).critical_path(records)

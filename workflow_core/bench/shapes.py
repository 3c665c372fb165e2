"""The DAG shapes of the engine-overhead benchmark, as agent nodes only: every node makes one chat call.

A node's prompt names the node and quotes its parents' outputs, so every contender (direct calls, our engine,
LangGraph) sends byte-identical requests, and their final outputs can be compared to prove they ran the same
graph in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workflow_core.workflow.spec import Edge, Node, Workflow

MODEL_REF = "bench/m"


@dataclass(frozen=True)
class Shape:
    """A DAG by its nodes' parents, nodes in a topological order."""

    name: str
    parents: dict[str, tuple[str, ...]]

    @property
    def size(self) -> int:
        return len(self.parents)

    def layers(self) -> list[list[str]]:
        """Nodes grouped by depth (longest path from a root): each layer only needs the layers before it."""
        depth: dict[str, int] = {}
        for node, parents in self.parents.items():
            depth[node] = 1 + max((depth[p] for p in parents), default=-1)
        layers: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
        for node, d in depth.items():
            layers[d].append(node)
        return layers

    def prompt(self, node: str, outputs: Mapping[str, str]) -> str:
        """The user message of `node` given its parents' outputs (the same text our engine renders)."""
        parents = self.parents[node]
        return f"{node}: " + (" | ".join(outputs[p] for p in parents) if parents else "go")

    def workflow(self) -> Workflow:
        """The shape as a workflow for our engine: agent nodes on MODEL_REF, default params."""
        nodes = [
            Node(
                id=node,
                model=MODEL_REF,
                prompt=f"{node}: " + (" | ".join(f"{{{{ {p} }}}}" for p in parents) if parents else "go"),
            )
            for node, parents in self.parents.items()
        ]
        edges = [Edge(source=p, target=node) for node, parents in self.parents.items() for p in parents]
        return Workflow(name=f"bench-{self.name}", nodes=nodes, edges=edges)


def diamond() -> Shape:
    return Shape("diamond", {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")})


def seed() -> Shape:
    """The `seed` template's six nodes and edges (profile, retrieve, personalizer, artist, developer,
    assemble), each made an agent."""
    from workflow_core.workflow.templates import load_template

    template = load_template("seed")
    return Shape("seed", {n.id: tuple(template.parents(n.id)) for n in template.nodes})


def chain(n: int = 40) -> Shape:
    return Shape(f"chain-{n}", {f"n{i}": ((f"n{i - 1}",) if i else ()) for i in range(n)})


def default_shapes() -> list[Shape]:
    return [diamond(), seed(), chain(40)]

"""LangGraph as a contender in the engine-overhead benchmark (optional: `pip install 'decompose-studio[bench]'`).

One async node per DAG node; each calls the scripted server through the same streaming (SSE) provider as the
direct baseline, so what differs from direct calls is LangGraph's orchestration alone. A node with several
parents waits for all of them (a multi-source edge), as in our engine; without that, LangGraph would start
it once per finished parent.
"""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable
from importlib import metadata, util
from typing import Annotated, Any, TypedDict

from workflow_core.bench.shapes import Shape

Call = Callable[[str], Awaitable[str]]


class _State(TypedDict):
    # Parallel branches each return their own node's output; the reducer merges them.
    outputs: Annotated[dict[str, str], operator.or_]


def missing_reason() -> str | None:
    """Why LangGraph cannot be benchmarked here (not installed), or None when it can."""
    if util.find_spec("langgraph") is None:
        return "langgraph is not installed (pip install 'decompose-studio[bench]')"
    return None


def version() -> str:
    return metadata.version("langgraph")


def compile_graph(shape: Shape, call: Call) -> Any:
    """The shape as a compiled LangGraph StateGraph whose nodes `await call(prompt)`."""
    from langgraph.graph import END, START, StateGraph

    graph: Any = StateGraph(_State)  # typed loosely: its add_node overloads vary between releases

    def make(node: str) -> Callable[[_State], Awaitable[dict[str, dict[str, str]]]]:
        async def run(state: _State) -> dict[str, dict[str, str]]:
            return {"outputs": {node: await call(shape.prompt(node, state["outputs"]))}}

        return run

    children = {p for parents in shape.parents.values() for p in parents}
    for node, parents in shape.parents.items():
        graph.add_node(node, make(node))
        if not parents:
            graph.add_edge(START, node)
        elif len(parents) == 1:
            graph.add_edge(parents[0], node)
        else:
            graph.add_edge(list(parents), node)
        if node not in children:
            graph.add_edge(node, END)
    return graph.compile()


async def run_graph(compiled: Any, shape: Shape) -> dict[str, str]:
    """Run a graph from `compile_graph` once; every node's output by id."""
    # One superstep per layer; the default limit (25) would stop a long chain.
    state = await compiled.ainvoke({"outputs": {}}, config={"recursion_limit": shape.size + 10})
    return dict(state["outputs"])

"""The shape of the code, checked: no import cycles inside the library, the library never imports Streamlit,
and lower layers never import higher ones (docs/architecture.md). Only imports that run when a module loads
count; imports inside functions and under TYPE_CHECKING are deliberate late bindings."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1] / "workflow_core"
# Higher numbers may import lower ones, never the reverse (same number: either way, no cycles).
LAYERS = {
    "errors": 0,
    "secrets": 0,
    "records": 0,
    "workflow": 1,
    "pricing": 1,
    "providers": 1,
    "page": 1,
    "testing": 1,
    "scenario": 2,
    "run": 2,
    "quality": 3,
    "nodes": 3,
    "lab": 4,
    "judgement": 4,
    "workspace": 5,
    "production": 5,
    "drafts": 5,
    "scenario_drafts": 5,
    "cli": 5,
    "bench": 6,
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _load_time_imports(path: Path) -> set[str]:
    """Modules imported at module level (not in a function, not under `if TYPE_CHECKING:`)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def _graph() -> nx.DiGraph:
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    g: nx.DiGraph = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name)
        for target in _load_time_imports(path):
            if target in modules and target != name:
                g.add_edge(name, target)
    return g


def _layer(module: str) -> int:
    return LAYERS[module.split(".")[1]]


def test_the_library_has_no_import_cycles() -> None:
    cycles = list(nx.simple_cycles(_graph()))
    assert cycles == []


def test_the_library_never_imports_streamlit() -> None:
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import streamlit" not in text and "from streamlit" not in text, path


def test_lower_layers_never_import_higher_ones() -> None:
    g = _graph()
    assert set(LAYERS) >= {m.split(".")[1] for m in g.nodes if m != "workflow_core"}
    upward = [
        (a, b) for a, b in g.edges if a != "workflow_core" and b != "workflow_core" and _layer(a) < _layer(b)
    ]
    assert upward == []

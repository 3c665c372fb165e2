"""The shape of the code, checked: no import cycles in the library, the studio or the pages, the library never
imports Streamlit, the studio or the pages, lower layers never import higher ones (docs/architecture.md), and
the app shell is the root of the studio. Every import counts: at module level, inside functions (a late
import still ties the two modules together) and under TYPE_CHECKING (a type is a dependency too)."""

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
    "paths": 0,
    "interrupts": 0,
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
    "tune": 4,
    "workspace": 5,
    "production": 5,
    "drafts": 5,
    "scenario_drafts": 5,
    "bench": 5,
    "cli": 6,
}


PROJECT = ROOT.parent
PACKAGES = ("workflow_core", "studio", "pages")


def _module(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str | None = None) -> set[str]:
    """Every module `path` (the module called `module`) imports, wherever the import statement is (relative
    imports resolved)."""
    found: set[str] = set()
    name = (module or _module(path)).split(".")
    package = name if path.name == "__init__.py" else name[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)
    return found


def _graph(packages: tuple[str, ...] = PACKAGES) -> nx.DiGraph:
    modules = {_module(p): p for name in packages for p in (PROJECT / name).rglob("*.py")}
    g: nx.DiGraph = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name)
        for target in _imports(path):
            if target in modules and target != name:
                g.add_edge(name, target)
    return g


def _library() -> nx.DiGraph:
    return _graph(("workflow_core",))


def _layer(module: str) -> int:
    return LAYERS[module.split(".")[1]]


def test_no_import_cycles_in_the_library_the_studio_or_the_pages() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert cycles == []


def test_the_architecture_test_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    module = PROJECT / "workflow_core" / "run" / "offload.py"
    assert "workflow_core.errors" in _imports(module)
    late = "def f():\n    from ..quality import check\nif TYPE_CHECKING:\n    import studio.ui\n"
    (tmp_path / "m.py").write_text(late, encoding="utf-8")
    found = _imports(tmp_path / "m.py", "workflow_core.run.m")
    assert {"workflow_core.quality", "workflow_core.quality.check", "studio.ui"} <= found


def test_the_library_never_imports_streamlit_the_studio_or_the_pages() -> None:
    for path in ROOT.rglob("*.py"):
        heads = {m.split(".")[0] for m in _imports(path)}
        assert not heads & {"streamlit", "studio", "pages"}, path


def test_the_app_shell_is_the_root_of_the_studio() -> None:
    """Pages and app.py open the shell; nothing in the studio imports it (a widget module that did would drag
    the whole app shell in with it), and the studio never imports a page."""
    g = _graph()
    studio = [m for m in g.nodes if m.startswith("studio.")]
    assert [m for m in studio if g.has_edge(m, "studio.shell")] == []
    assert [(a, b) for a, b in g.edges if a.startswith("studio") and b.startswith("pages")] == []


def test_lower_layers_never_import_higher_ones() -> None:
    g = _library()
    assert set(LAYERS) >= {m.split(".")[1] for m in g.nodes if m != "workflow_core"}
    upward = [
        (a, b) for a, b in g.edges if a != "workflow_core" and b != "workflow_core" and _layer(a) < _layer(b)
    ]
    assert upward == []

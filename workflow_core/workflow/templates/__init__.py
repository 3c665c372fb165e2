"""Built-in workflow templates, from one big model (k=1) to an over-decomposed team (k=6)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from workflow_core.errors import Problem, WorkflowError
from workflow_core.workflow.files import load_workflow_file, parse_workflow
from workflow_core.workflow.spec import Workflow

# Ordered by decomposition depth: this is the order comparisons and pickers show them in.
TEMPLATE_NAMES: tuple[str, ...] = ("single", "single-spec", "duo", "seed", "seed-qa", "deep")


def template_text(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise WorkflowError(
            [
                Problem(
                    f"no built-in template '{name}'. Built-ins: {', '.join(TEMPLATE_NAMES)}; or give a YAML path."
                )
            ]
        )
    return resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_template(name: str) -> Workflow:
    return parse_workflow(template_text(name), source=f"template {name}")


def list_templates() -> list[Workflow]:
    return [load_template(n) for n in TEMPLATE_NAMES]


def resolve_workflow(name_or_path: str) -> Workflow:
    """A built-in template by name, or a workflow YAML file by path."""
    if name_or_path in TEMPLATE_NAMES:
        return load_template(name_or_path)
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_workflow_file(path)
    raise WorkflowError(
        [
            Problem(
                f"'{name_or_path}' is neither a built-in template ({', '.join(TEMPLATE_NAMES)}) nor a YAML file."
            )
        ]
    )

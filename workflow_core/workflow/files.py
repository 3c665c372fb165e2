"""Workflow files: YAML to a checked `Workflow` and back.

Parsing reports every problem at once with its line and node id: YAML errors, schema errors, and node kinds
the registry (`workflow.kinds`) does not know. The models themselves (`workflow.spec`) know no kinds, so the
registry can describe nodes without the models reaching back into it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workflow_core.errors import Problem, WorkflowError
from workflow_core.workflow.kinds import unknown_kinds
from workflow_core.workflow.spec import Workflow


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML value at a pydantic error location, when it can be found."""
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return None
    best = node
    for key in loc:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if nxt is None:
                best = next((k for k, _ in node.value if getattr(k, "value", None) == key), best)
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        best = node
    return best.start_mark.line + 1 if best is not None else None


def _node_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int) and isinstance(data, dict):
        nodes = data.get("nodes")
        if isinstance(nodes, list) and loc[1] < len(nodes) and isinstance(nodes[loc[1]], dict):
            value = nodes[loc[1]].get("id")
            return str(value) if value is not None else None
    return None


def parse_workflow(text: str, source: str = "<text>") -> Workflow:
    """Parse workflow YAML, reporting every schema problem with its line number (and node id when known)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        opened = getattr(exc, "context_mark", None)
        if "end of stream" in reason and opened is not None:
            # A quote or bracket left open is found only at the end of the file; say where it opened.
            mark = opened
            reason = f"{getattr(exc, 'context', None) or 'a value'} that starts here is never closed"
        line = mark.line + 1 if mark is not None else None
        raise WorkflowError(
            [
                Problem(
                    f"{source} is not valid YAML: {reason}. Check the indentation and quoting there.",
                    line=line,
                )
            ]
        ) from exc
    if data is None:
        raise WorkflowError([Problem(f"{source} is empty: a workflow needs `nodes:` and `edges:`.")])
    if not isinstance(data, dict):
        raise WorkflowError(
            [Problem(f"{source} must be a mapping with `nodes:` and `edges:` at the top level.")]
        )
    problems = _kind_problems(text, data)
    try:
        workflow = Workflow.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc)
            problems.append(
                Problem(err["msg"], node_id=_node_id_at(data, loc), field=field, line=_line_of(text, loc))
            )
        raise WorkflowError(problems) from exc
    if problems:
        raise WorkflowError(problems)
    return workflow


def _kind_problems(text: str, data: dict[str, Any]) -> list[Problem]:
    """A problem for each node whose `kind` names no registered kind."""
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        return []
    names = {i: n.get("kind") for i, n in enumerate(nodes) if isinstance(n, dict)}
    out = []
    for i, message in unknown_kinds(names).items():
        loc = ("nodes", i, "kind")
        out.append(
            Problem(
                message, node_id=_node_id_at(data, loc), field=f"nodes.{i}.kind", line=_line_of(text, loc)
            )
        )
    return out


def load_workflow_file(path: str | Path) -> Workflow:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkflowError([Problem(f"cannot read workflow file {p}: {exc.strerror}.")]) from exc
    except UnicodeDecodeError as exc:
        raise WorkflowError(
            [
                Problem(
                    f"workflow file {p} is not UTF-8 text (byte {exc.start} cannot be read): save it as UTF-8, "
                    "or check that it is a workflow YAML file at all."
                )
            ]
        ) from exc
    return parse_workflow(text, source=str(p))


# libyaml's emitter when PyYAML has it: about six times faster, and a run records its workflow every time.
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _BlockDumper(_SafeDumper):  # type: ignore[valid-type,misc]
    """Writes multi-line strings (prompts) as literal blocks so saved workflows read like the templates."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_workflow(workflow: Workflow) -> str:
    """YAML for a workflow, omitting defaults so files stay short and readable."""
    return _dump(workflow.model_dump_json(exclude_defaults=True))


@lru_cache(maxsize=64)
def _dump(spec_json: str) -> str:
    # Keyed on the JSON (cheap to make): re-running an unchanged workflow does not emit its YAML again.
    data = json.loads(spec_json)
    data.setdefault("nodes", [])
    data.setdefault("edges", [])
    for node in data["nodes"]:
        node.setdefault("kind", "agent")
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)

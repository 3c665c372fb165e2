"""The workflow spec: pydantic models for nodes and edges, and the YAML round trip.

A workflow is a DAG of nodes. Agent prompts are Jinja2 templates that name an upstream node's output by its
id (`{{ personalizer }}` is its text, `{{ personalizer.visual_elements }}` a field of its structured output)
and the run's inputs by name (`{{ profile }}`, `{{ company }}`, ...; see `workflow_core.scenario.INPUT_NAMES`).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflow_core.errors import Problem, WorkflowError
from workflow_core.workflow.kinds import kind_of, kinds

OutputFormat = Literal["text", "json", "tagged", "html", "page_spec"]
NODE_ID_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: float = 0.0
    y: float = 0.0


class Params(BaseModel):
    """Sampling and call parameters. Unknown keys are rejected so a typo is caught before a run."""

    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(512, ge=1, le=32768)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = None
    timeout_s: float = Field(300.0, gt=0)
    retries: int = Field(2, ge=0, le=10)


class Example(BaseModel):
    """A few-shot demonstration for an agent node: a user turn and the answer to imitate, shown to the model
    before its own prompt. Both are literal text, never templates (an answer from a past run is model output).
    `source` says where it came from: "hand", or the run, model, profile and quality it was taken from."""

    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    source: str = "hand"


# What an output schema's `"x-choices": NAME` may name: at run time the field becomes an enum of these ids
# (workflow_core.nodes.outputs.resolve_choices), so an agent chooses by id and cannot invent one.
SCHEMA_CHOICES: dict[str, str] = {
    "offerings": "the ids of the offerings for the visitor's segment (`offering_items`)",
    "passages": "the ids of the passages retrieved upstream",
    "images": "the labels of the visual elements described upstream",
}


def _choice_names(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {str(schema["x-choices"])} if "x-choices" in schema else set()
        return found.union(*(_choice_names(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_choice_names(v) for v in schema))
    return set()


class Node(BaseModel):
    """One step of a workflow. `config` holds kind-specific settings (e.g. `top_k` for `retrieve`)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str = "agent"  # a name in the node-kind registry (workflow_core.workflow.kinds)
    persona: str = ""
    model: str | None = None
    system: str = ""
    prompt: str = ""
    params: Params = Field(default_factory=Params)
    output_format: OutputFormat = "text"
    output_schema: dict[str, Any] | None = None
    # Few-shot demonstrations (agent nodes): chosen by hand or taken from past runs (run/examples.py).
    examples: list[Example] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    position: Position = Field(default_factory=Position)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        known = kinds()
        if value not in known:
            raise ValueError(f"unknown node kind '{value}': use one of {', '.join(known)}")
        return value

    @field_validator("output_schema")
    @classmethod
    def _known_choices(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        unknown = _choice_names(value) - set(SCHEMA_CHOICES)
        if unknown:
            raise ValueError(
                f"x-choices {', '.join(sorted(unknown))} is not known: use one of {', '.join(SCHEMA_CHOICES)}"
            )
        return value

    @property
    def is_llm(self) -> bool:
        """Whether running this node calls a language model."""
        return kind_of(self.kind).is_llm(self)

    @property
    def is_agent(self) -> bool:
        """Whether this node is one of the decomposition's persona agents (the artist counts even when its
        backend is the built-in vector artist: it is a separate role with its own hand-off)."""
        return kind_of(self.kind).is_agent(self)


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    target: str


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "untitled"
    description: str = ""
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def parents(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]

    @property
    def agent_count(self) -> int:
        """k: how many persona agents the job is decomposed into."""
        return sum(1 for n in self.nodes if n.is_agent)

    def with_models(self, overrides: dict[str, str] | None = None, all_models: str | None = None) -> Workflow:
        """A copy with node models replaced: `all_models` for every model-backed node, then per-node overrides."""
        unknown = sorted(set(overrides or {}) - {n.id for n in self.nodes})
        if unknown:
            raise WorkflowError(
                [
                    Problem(
                        f"a model override names node '{node_id}', which is not in workflow '{self.name}'. "
                        f"Its nodes: {', '.join(n.id for n in self.nodes)}."
                    )
                    for node_id in unknown
                ]
            )
        copy = self.model_copy(deep=True)
        for n in copy.nodes:
            if all_models and n.model is not None:
                n.model = all_models
            if overrides and n.id in overrides:
                n.model = overrides[n.id]
        return copy


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
    try:
        return Workflow.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc)
            problems.append(
                Problem(err["msg"], node_id=_node_id_at(data, loc), field=field, line=_line_of(text, loc))
            )
        raise WorkflowError(problems) from exc


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

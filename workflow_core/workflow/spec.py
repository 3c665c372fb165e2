"""The workflow spec: pydantic models for nodes and edges (`workflow.files` reads and writes them as YAML).

A workflow is a DAG of nodes. Agent prompts are Jinja2 templates that name an upstream node's output by its
id (`{{ personalizer }}` is its text, `{{ personalizer.visual_elements }}` a field of its structured output)
and the run's inputs by name (`{{ profile }}`, `{{ company }}`, ...; see `workflow_core.scenario.INPUT_NAMES`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflow_core.errors import Problem, WorkflowError

OutputFormat = Literal["text", "json", "tagged", "html", "page_spec"]
# The output formats that are a page (a front-end agent): what the quality verdict rates.
PAGE_FORMATS = ("page_spec", "html")
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
    # Best of n: sample this many answers (seeds seed, seed+1, …) and keep the one whose page the quality
    # verdict rates best (nodes.candidates). Every sample is paid for.
    candidates: int = Field(1, ge=1, le=8)
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

    @field_validator("output_schema")
    @classmethod
    def _known_choices(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        unknown = _choice_names(value) - set(SCHEMA_CHOICES)
        if unknown:
            raise ValueError(
                f"x-choices {', '.join(sorted(unknown))} is not known: use one of {', '.join(SCHEMA_CHOICES)}"
            )
        return value


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

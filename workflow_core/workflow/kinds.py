"""The node-kind registry: everything the rest of the tool needs to know about a kind of node, in one place.

A kind is one module under `workflow_core.nodes` that calls `register(NodeKind(...))`: its executor (what
the engine runs), how it is drawn in the palette and on the canvas, which model it takes, which prompt
variables it adds, what it needs upstream, what it feeds downstream for estimates, the fields it adds to a
run's report, and what else the tool asks of it (a system prompt, few-shot examples, an exactly countable
prompt, a scenario, pricing by tokens). Validation, the engine, estimates, reports, the CLI and the Designer read this registry and
name no kind themselves.

The built-in kinds register when `workflow_core.nodes` is imported; `kinds()` imports it on first use (as a
plugin loader would), so `workflow_core.workflow` never imports the node modules at module level.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workflow_core.workflow.contract import Executor

if TYPE_CHECKING:
    from workflow_core.records import NodeRecord
    from workflow_core.workflow.spec import Node, Workflow

ModelUse = Literal["required", "optional", "none"]
BUILTIN_MODULE = "workflow_core.nodes"


@dataclass(frozen=True)
class NodeKind:
    """One kind of node. Only `name`, `executor` and `summary` are required; the rest have neutral defaults."""

    name: str
    executor: Executor
    summary: str  # one line: the palette's help text and the README's table
    icon: str = ":material/circle:"  # a Material icon for Streamlit widgets
    colour: str = "#ffffff"  # the node's fill on the canvas
    model: ModelUse = "none"
    # Whether the node is one of the decomposition's persona agents (counts towards k): "always", only
    # "with_model", or "never".
    agent: Literal["always", "with_model", "never"] = "never"
    # Names the kind adds to its own prompts (documented in the README), beside upstream ids and inputs.
    prompt_variables: frozenset[str] = frozenset()
    # When set, the node cannot work without an upstream node; the text says what it needs.
    needs_upstream: str | None = None
    # Estimated tokens this node hands downstream when no model writes its output (e.g. retrieved passages).
    handoff_tokens: Callable[[Node, Mapping[str, Any]], int] | None = None
    # Extra fields for this node in a run's report.json.
    report_fields: Callable[[NodeRecord], dict[str, Any]] | None = None
    # Field values for a node the Designer adds from the palette.
    new_node: Mapping[str, Any] = field(default_factory=dict)
    # What the rest of the tool asks of a kind, so that no module names one:
    # it reads a `system` prompt (the Designer shows the field);
    system_prompt: bool = False
    # it takes few-shot examples (`examples:`, `--examples NODE=…`, the Designer's examples panel);
    examples: bool = False
    # its request is exactly its rendered `system` and `prompt` (estimates can count them as they are; a
    # kind that builds its own messages, such as QA reading the page, cannot be counted before it runs);
    exact_prompt: bool = False
    # it reads the scenario (a profile, the knowledge base), so a run without one cannot start;
    needs_scenario: bool = False
    # it is priced by its tokens (re-pricing in the lab moves it to another model's token prices; an artist
    # priced per picture keeps its measured cost).
    priced_by_tokens: bool = True
    # it can sample `params.candidates` answers and keep the best page (nodes.candidates).
    candidates: bool = False

    def is_llm(self, node: Node) -> bool:
        """Whether running `node` calls a language model."""
        return self.model == "required" or (self.model == "optional" and node.model is not None)

    def is_agent(self, node: Node) -> bool:
        return self.agent == "always" or (self.agent == "with_model" and node.model is not None)


_KINDS: dict[str, NodeKind] = {}
_builtins_loaded = False


def register(kind: NodeKind) -> NodeKind:
    """Add a kind (a later registration of the same name replaces the earlier one, so tests can swap one)."""
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    _KINDS.pop(name, None)


def kinds() -> Mapping[str, NodeKind]:
    """Every registered kind by name, the built-in ones first, in palette order."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        importlib.import_module(BUILTIN_MODULE)
    return _KINDS


def kind_of(name: str) -> NodeKind:
    """The kind called `name`; KeyError when there is none (validation reports unknown kinds first)."""
    return kinds()[name]


def is_llm(node: Node) -> bool:
    """Whether running `node` calls a language model."""
    return kind_of(node.kind).is_llm(node)


def is_agent(node: Node) -> bool:
    """Whether `node` is one of the decomposition's persona agents (the artist counts even when its backend is
    the built-in vector artist: it is a separate role with its own hand-off)."""
    return kind_of(node.kind).is_agent(node)


def agent_count(workflow: Workflow) -> int:
    """k: how many persona agents the job is decomposed into."""
    return sum(1 for n in workflow.nodes if is_agent(n))


def unknown_kinds(names: Mapping[int, object]) -> dict[int, str]:
    """The problems of node kinds by position: a message for each name the registry does not know."""
    known = kinds()
    return {
        i: f"unknown node kind '{name}': use one of {', '.join(known)}"
        for i, name in names.items()
        if isinstance(name, str) and name not in known
    }

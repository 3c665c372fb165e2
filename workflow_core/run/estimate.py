"""Cost and latency before a run.

- Input tokens: the prompts rendered with stand-ins for upstream outputs, counted with the model's own
  characters per token as measured on its past calls (else four characters a token).
- Output tokens, latency and compute: the means of the node's latest calls on its model in past runs of the
  workflow (`Store.node_history`, kept up to date as runs are saved): a node tried on two models (the model
  search does) is estimated on each from its own calls. With no history, a prior: a share of the node's
  `max_tokens` by output format (`PRIOR_OUTPUT_SHARE`), and the model's measured speed plus a per-call
  latency; such a node is marked `from_prior`, and the run estimate says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from workflow_core.pricing.book import PriceBook, tokens_for_chars
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.workflow.graph import WorkflowGraph
from workflow_core.workflow.kinds import is_llm, kind_of
from workflow_core.workflow.spec import Node, Workflow
from workflow_core.workflow.templating import NodeOutput, TemplateError, render, variables_of


class _Filler:
    """Stands in for an upstream output of about `tokens` tokens, whatever a prompt does with it."""

    def __init__(self, tokens: int) -> None:
        self.tokens = max(tokens, 1)

    def __str__(self) -> str:
        return "word " * self.tokens

    def __getattr__(self, name: str) -> _Filler:
        return _Filler(self.tokens // 3)

    def __getitem__(self, key: Any) -> _Filler:
        return _Filler(self.tokens // 3)

    def __iter__(self) -> Any:
        return iter([_Filler(self.tokens // 3) for _ in range(3)])

    def __len__(self) -> int:
        return 3


class _FillerOutput(NodeOutput):
    def __init__(self, tokens: int) -> None:
        super().__init__("word " * max(tokens, 1))
        self._filler = _Filler(tokens)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._filler

    def __getitem__(self, key: Any) -> Any:
        return self._filler


# Seconds to build and rate one best-of-n candidate's page (rendered checks at two widths, nodes.candidates).
CANDIDATE_CHECK_S = 1.0

# Output tokens before a node has any history, as a share of its max_tokens by output format: the medians of
# 82 uncached calls of the built-in templates on the embedded 0.5B and 1.5B (2026-12-01, example and cycle-shop
# scenarios): html 0.68 (n=9), page_spec 0.59 (n=31), json 0.44 (n=33), text 0.19 (n=9, QA verdicts only).
PRIOR_OUTPUT_SHARE: dict[str, float] = {"html": 0.68, "page_spec": 0.59, "json": 0.44, "text": 0.19}


@dataclass
class NodeEstimate:
    node_id: str
    model: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    output_from_history: bool

    @property
    def basis(self) -> str:
        """Where the output tokens and latency come from, in words for a table."""
        return "past runs" if self.output_from_history else "prior (no runs yet)"


@dataclass
class RunEstimate:
    nodes: dict[str, NodeEstimate]
    cost_usd: float
    critical_path_s: float  # the latency floor: longest chain of estimated node latencies

    @property
    def from_prior(self) -> list[str]:
        """The model nodes estimated from the prior, with no past run to go on."""
        return [n.node_id for n in self.nodes.values() if not n.output_from_history]


def _handoff_tokens(node: Node, out_tokens: dict[str, int], variables: Mapping[str, Any]) -> int:
    """About how many tokens an upstream node hands to a prompt that names it."""
    if node.id in out_tokens:
        return out_tokens[node.id]
    handoff = kind_of(node.kind).handoff_tokens
    return handoff(node, variables) if handoff is not None else 200


def _names(template: str) -> frozenset[str]:
    try:
        return variables_of(template) if template else frozenset()
    except TemplateError:
        return frozenset()


def estimate_run(
    workflow: Workflow,
    inputs: RunInputs,
    prices: PriceBook,
    store: Store | None = None,
    *,
    graph: WorkflowGraph | None = None,
) -> RunEstimate:
    """The estimate of a valid workflow (pass its `graph` when it is built already)."""
    graph = graph or WorkflowGraph(workflow)
    models = {n.id: n.model for n in workflow.nodes if n.model}
    history = store.node_history(workflow.name, models) if store else {}  # each node's calls on its model
    chars_per_token = store.chars_per_token() if store else {}
    out_tokens: dict[str, int] = {}
    estimates: dict[str, NodeEstimate] = {}
    latency: dict[str, float] = {}
    for node_id in graph.order:
        node = graph.nodes[node_id]
        upstream = graph.ancestors[node_id]
        if is_llm(node) and node.model:
            # Stand-ins only for the upstream outputs the prompts name (a stand-in for every ancestor of
            # every node made a long chain's estimate quadratic).
            named = (_names(node.system) | _names(node.prompt)).intersection(upstream)
            # The rendered prompt is exact only for an agent whose prompt names no upstream node; otherwise it
            # holds stand-ins (or, for kinds that build their own messages, such as QA, misses the page).
            exact = kind_of(node.kind).exact_prompt and not named
            past = history.get(node_id)
            if past is not None and past.model != node.model:
                past = None  # the node's model changed: its old calls say little about the new one
            if past is not None and not exact:
                in_tok = past.input_tokens  # what its past calls measured beats stand-ins (not rendered)
            else:
                chars = _prompt_chars(node, graph, named, inputs, out_tokens)
                ratio = chars_per_token.get(node.model)
                in_tok = (round(chars / ratio) if ratio else tokens_for_chars(chars)) + 8
            if past is not None:
                out_tok = past.output_tokens
                seconds = past.latency_s
                if prices.is_local(node.model) and node.model not in prices.overrides:
                    cost = prices.chat_cost(node.model, 0, 0, compute_s=past.compute_s or past.latency_s)
                else:
                    cost = prices.estimate_chat_cost(node.model, in_tok, out_tok)
            else:
                share = PRIOR_OUTPUT_SHARE.get(node.output_format, PRIOR_OUTPUT_SHARE["text"])
                out_tok = max(1, round(node.params.max_tokens * share))
                seconds = prices.estimate_latency_s(node.model, in_tok, out_tok)
                cost = prices.estimate_chat_cost(node.model, in_tok, out_tok)
                n = node.params.candidates  # best of n: n answers paid for (a node's history has them all)
                if n > 1:
                    cost *= n
                    # A local model answers one at a time; a hosted one answers them together. Each page is
                    # then rated (about a second in the browser).
                    seconds = seconds * (n if prices.is_local(node.model) else 1) + n * CANDIDATE_CHECK_S
                    in_tok, out_tok = in_tok * n, out_tok
            out_tokens[node_id] = out_tok
            estimates[node_id] = NodeEstimate(
                node_id, node.model, in_tok, out_tok, cost, seconds, past is not None
            )
            own = estimates[node_id].latency_s
        else:
            own = 0.05
        latency[node_id] = own + max((latency[p] for p in graph.parents[node_id]), default=0.0)
    return RunEstimate(
        nodes=estimates,
        cost_usd=sum(e.cost_usd for e in estimates.values()),
        critical_path_s=max(latency.values(), default=0.0),
    )


def _prompt_chars(
    node: Node, graph: WorkflowGraph, named: AbstractSet[str], inputs: RunInputs, out_tokens: dict[str, int]
) -> int:
    """The length of a node's prompt rendered with the run's inputs and a stand-in of the estimated length for
    each upstream output (`named`) it names, with its examples."""
    handoffs = tuple(
        sorted((a, _handoff_tokens(graph.nodes[a], out_tokens, inputs.variables)) for a in named)
    )
    examples = sum(len(e.prompt) + len(e.answer) for e in node.examples)
    try:
        if (_names(node.system) | _names(node.prompt)) <= named:  # it reads no input: the same every run
            return _standin_chars(node.system, node.prompt, handoffs) + examples
        variables: dict[str, Any] = dict(inputs.variables)
        variables.update((a, _FillerOutput(tokens)) for a, tokens in handoffs)
        return _rendered_chars(node.system, node.prompt, variables) + examples
    except Exception:  # stand-ins cannot satisfy every expression (e.g. comparisons); fall back
        upstream = graph.ancestors[node.id]
        words = sum(out_tokens.get(a, 0) for a in upstream)
        return len(node.system) + len(node.prompt) + len(" word") * words + examples


def _rendered_chars(system: str, prompt: str, variables: dict[str, Any]) -> int:
    return (len(render(system, variables)) if system else 0) + len(render(prompt, variables))


@lru_cache(maxsize=512)
def _standin_chars(system: str, prompt: str, handoffs: tuple[tuple[str, int], ...]) -> int:
    """`_rendered_chars` of templates that name only upstream outputs: a pure function of the templates and
    the stand-ins' lengths, so a workflow estimated again (every run is) renders them once."""
    return _rendered_chars(system, prompt, {a: _FillerOutput(tokens) for a, tokens in handoffs})

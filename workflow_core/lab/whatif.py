"""What-if pricing: what a measured run (or a whole experiment) would have cost on other models.

The measured token counts are kept and multiplied by the target model's catalogue prices (genai-prices),
whatever the measured model was: a node that ran on a local model (priced by compute seconds) is re-priced as
tokens × the hosted model's per-million-token prices. A node re-priced on a model other than the one that
produced its tokens is an *estimate* (another model would have written a different number of tokens).

A model map names node ids, or "*" for every other model-backed node:
    {"personalizer": "openai/gpt-4.1", "*": "openai/gpt-4.1-mini"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from workflow_core.lab.experiment import Experiment, VariantSummary, summarise_variant
from workflow_core.pricing.book import PriceBook
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.workflow.kinds import kind_of

ModelMap = dict[str, str]


class NodeReprice(BaseModel):
    node: str
    kind: str
    measured_model: str | None
    target_model: str | None
    input_tokens: int
    output_tokens: int
    measured_cost_usd: float
    cost_usd: float
    estimate: bool  # tokens came from a different model


class RunReprice(BaseModel):
    run_id: str
    workflow: str
    profile: str | None
    nodes: list[NodeReprice]
    measured_cost_usd: float
    cost_usd: float
    estimate: bool
    unpriced: list[str] = Field(default_factory=list)  # target refs with no known price (counted as $0)


class ExperimentReprice(BaseModel):
    model_map: ModelMap
    runs: list[RunReprice]  # in the order of experiment.trials (failed trials without a run are skipped)
    trial_costs: dict[int, float]  # trial index -> re-priced USD
    summaries: list[VariantSummary]
    estimate: bool
    unpriced: list[str] = Field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        return [s.row() | {"estimate": self.estimate} for s in self.summaries]


def _priced_by_tokens(kind: str) -> bool:
    try:
        return kind_of(kind).priced_by_tokens
    except KeyError:  # a run recorded with a kind no longer registered: priced as it ran
        return False


def target_for(node: NodeRecord, model_map: ModelMap) -> str | None:
    """The model a node is re-priced on: its own entry, else "*" for model-backed token-using nodes, else
    None (keep the measured cost: profile, retrieve, assemble, the vector artist)."""
    if node.id in model_map:
        return model_map[node.id]
    uses_tokens = node.input_tokens + node.output_tokens > 0 and node.model is not None
    if "*" in model_map and uses_tokens and _priced_by_tokens(node.kind):
        return model_map["*"]
    return None


def reprice_node(node: NodeRecord, target: str | None, prices: PriceBook) -> tuple[float, bool]:
    """(USD, is-estimate) of one node on `target`."""
    measured = node.cost_if_uncached_usd
    if target is None or target == node.model:
        return measured, False
    if prices.is_local(target) and target not in prices.overrides:
        return prices.estimate_chat_cost(target, node.input_tokens, node.output_tokens), True
    return prices.chat_cost(target, node.input_tokens, node.output_tokens), True


def reprice_run(run: RunRecord, model_map: ModelMap, prices: PriceBook) -> RunReprice:
    rows: list[NodeReprice] = []
    unpriced: set[str] = set()
    for n in run.nodes:
        target = target_for(n, model_map)
        cost, est = reprice_node(n, target, prices)
        if target is not None and target != n.model and not prices.has_price(target):
            unpriced.add(target)
        rows.append(
            NodeReprice(
                node=n.id,
                kind=n.kind,
                measured_model=n.model,
                target_model=target or n.model,
                input_tokens=n.input_tokens,
                output_tokens=n.output_tokens,
                measured_cost_usd=n.cost_if_uncached_usd,
                cost_usd=cost,
                estimate=est,
            )
        )
    return RunReprice(
        run_id=run.run_id,
        workflow=run.workflow,
        profile=run.profile,
        nodes=rows,
        measured_cost_usd=sum(r.measured_cost_usd for r in rows),
        cost_usd=sum(r.cost_usd for r in rows),
        estimate=any(r.estimate for r in rows),
        unpriced=sorted(unpriced),
    )


def reprice_experiment(
    experiment: Experiment,
    model_map: ModelMap,
    prices: PriceBook,
    weights: Mapping[str, float] | None = None,
) -> ExperimentReprice:
    """Re-price every run of the experiment under `model_map` (`weights`: the quality axes' weights)."""
    runs: list[RunReprice] = []
    costs: dict[int, float] = {}
    for i, t in enumerate(experiment.trials):
        if t.run is None:
            continue
        rr = reprice_run(t.run, model_map, prices)
        runs.append(rr)
        costs[i] = rr.cost_usd
    summaries = [summarise_variant(experiment, v.name, costs, weights) for v in experiment.spec.variants]
    return ExperimentReprice(
        model_map=model_map,
        runs=runs,
        trial_costs=costs,
        summaries=summaries,
        estimate=any(r.estimate for r in runs),
        unpriced=sorted({u for r in runs for u in r.unpriced}),
    )


def repriceable_nodes(experiment: Experiment) -> list[str]:
    """Ids of the nodes that used a model and tokens in some run, in the order first seen: the ones a
    model map can name."""
    seen: list[str] = []
    for t in experiment.trials:
        for n in t.run.nodes if t.run is not None else []:
            if n.model and n.input_tokens + n.output_tokens > 0 and n.id not in seen:
                seen.append(n.id)
    return seen

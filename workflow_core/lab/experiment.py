"""Experiments: variants (workflows with their model assignment) × profiles × repeats, their trials, and what
a variant's trials come to on average (`summarise_variant`). `lab.trials.run_experiment` runs one; the store
keeps it whole (`save_experiment`, `load_experiment`).

Costs compare `cost_if_uncached_usd` (a cached node's `cost_usd` is 0), and a trial's latencies are those its
nodes had when they were computed (see `lab.trials`), so a partly cached run still reports the latency it would
have had.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from workflow_core.errors import DecomposeError, Problem, WorkflowError
from workflow_core.lab.intervals import Interval, axis_intervals, interval, run_quality
from workflow_core.lab.similarity import distinctiveness
from workflow_core.quality.model import publishable
from workflow_core.records import RunRecord
from workflow_core.run.store import Store
from workflow_core.workflow.files import parse_workflow
from workflow_core.workflow.spec import Workflow


class Variant(BaseModel):
    """One way to do the job: a workflow and the models its nodes run on."""

    name: str
    workflow: str  # built-in template name, YAML path, or YAML text
    model_overrides: dict[str, str] = Field(default_factory=dict)
    all_models: str | None = None
    # Nodes specialised by examples from past runs, as `NODE=best|REF[:K]` (workflow_core.run.examples); each
    # trial takes them from runs on other profiles than its own.
    examples: list[str] = Field(default_factory=list)
    # Best of n per node (`params.candidates`), e.g. {"developer": 3}.
    candidates: dict[str, int] = Field(default_factory=dict)

    def resolve(self) -> Workflow:
        """The workflow with this variant's models (and candidates) applied."""
        from workflow_core.workflow.templates import resolve_workflow

        text = self.workflow
        if "\n" in text or text.lstrip().startswith(("name:", "nodes:")):
            wf = parse_workflow(text, source=f"variant {self.name}")
        else:
            wf = resolve_workflow(text)
        wf = wf.with_models(self.model_overrides or None, self.all_models)
        for node_id, n in self.candidates.items():
            try:
                node = wf.node(node_id)
            except KeyError:
                raise WorkflowError(
                    [
                        Problem(
                            f"variant {self.name} asks for candidates on node '{node_id}', which is not in "
                            f"workflow '{wf.name}'. Its nodes: {', '.join(x.id for x in wf.nodes)}."
                        )
                    ]
                ) from None
            node.params = node.params.model_copy(update={"candidates": n})
        return wf


class ExperimentSpec(BaseModel):
    name: str
    variants: list[Variant]
    profiles: list[str] = Field(default_factory=list)  # empty: every profile of the scenario
    repeats: int = Field(1, ge=1, le=100)


class Trial(BaseModel):
    """One run of one variant on one profile. `run` is the run record without its prompts (the full record
    is in the store under `run.run_id`); `latencies` are per-node latencies as computed (cached ones too)."""

    variant: str
    profile: str | None = None
    repeat: int = 0
    run: RunRecord | None = None
    error: str | None = None
    latencies: dict[str, float] = Field(default_factory=dict)
    critical_path_s: float = 0.0
    wall_s: float = 0.0
    wall_estimated: bool = False  # True when cached nodes made the measured wall time meaningless

    @property
    def ok(self) -> bool:
        return self.run is not None and self.run.status == "ok" and self.error is None

    @property
    def cost_usd(self) -> float:
        return sum(n.cost_if_uncached_usd for n in self.run.nodes) if self.run else 0.0


class VariantSummary(BaseModel):
    """Per-run means of a variant over its profiles and repeats."""

    variant: str
    workflow: str
    k: int
    runs: int
    failures: int
    calls: float
    input_tokens: float
    output_tokens: float
    cost_usd: float  # mean per run, from cost_if_uncached_usd
    cost_total_usd: float
    wall_s: float
    critical_path_s: float
    qa_mean: float | None  # the runs' quality under the analysis's axis weights
    qa_std: float | None
    qa_interval: Interval | None = None
    axes: dict[str, Interval] = Field(default_factory=dict)  # each quality axis over the runs
    distinctiveness: float | None
    # The share of checked runs whose page is publishable (no blocking finding), and of their copy written
    # for the visitor / repeated on the page (quality.originality); None when nothing says.
    publishable: float | None = None
    written: float | None = None
    repeated: float | None = None

    def row(self) -> dict[str, Any]:
        """Flat, for tables and CSV: the quality interval as qa_low/qa_high and each axis's mean as
        `axis:<name>` (`lab.tables.axis_rows` has the axes' intervals)."""
        row = self.model_dump(exclude={"qa_interval", "axes"})
        iv = self.qa_interval
        row["qa_low"], row["qa_high"] = (iv.low, iv.high) if iv is not None else (None, None)
        row.update({f"axis:{name}": a.mean for name, a in self.axes.items()})
        return row


class NodeSummary(BaseModel):
    """Per-run means of one node of one variant (measured costs)."""

    variant: str
    node: str
    kind: str
    model: str | None
    calls: float
    input_tokens: float
    output_tokens: float
    cost_usd: float  # mean per run, from cost_if_uncached_usd
    latency_s: float
    cached_share: float
    failures: int

    def row(self) -> dict[str, Any]:
        return self.model_dump()


class SearchRecord(BaseModel):
    """What a per-node model search (`lab.search`) concluded, kept with the experiment its trials make: its
    variants are the assignments it tried."""

    strategy: str
    reason: str
    evaluations: int
    exhaustive_evaluations: int
    paid_usd: float
    stopped: str | None = None
    recommended: str | None = None  # the recommended assignment's variant name
    front: list[str] = Field(default_factory=list)  # variant names on the Pareto front
    lines: list[str] = Field(default_factory=list)  # the answer in words, as `decompose optimise` prints it
    effects: list[dict[str, str]] = Field(default_factory=list)  # per node, what changing its model does

    def summary_lines(self) -> list[str]:
        """`lines` without the per-node sentences when `effects` has them as a table's rows."""
        return [line for line in self.lines if not (self.effects and re.match(r"  \w+: ", line))]


class Experiment(BaseModel):
    experiment_id: str
    spec: ExperimentSpec
    scenario: str | None = None
    created_at: float = Field(default_factory=time.time)
    finished_at: float | None = None
    k: dict[str, int] = Field(default_factory=dict)  # variant -> agent count
    workflows: dict[str, str] = Field(default_factory=dict)  # variant -> workflow name
    trials: list[Trial] = Field(default_factory=list)
    search: SearchRecord | None = None  # set when a model search made the experiment

    def trials_of(self, variant: str) -> list[Trial]:
        return [t for t in self.trials if t.variant == variant]

    def summaries(self, weights: Mapping[str, float] | None = None) -> list[VariantSummary]:
        return [summarise_variant(self, v.name, weights=weights) for v in self.spec.variants]


def save_experiment(experiment: Experiment, store: Store) -> None:
    store.save_experiment(experiment.experiment_id, experiment.spec.name, experiment.model_dump_json())


def load_experiment(experiment_id: str, store: Store) -> Experiment:
    """A saved experiment; a DecomposeError that names the ones there are when it is not in `store`."""
    raw = store.get_experiment(experiment_id)
    if raw is None:
        known = ", ".join(str(e["experiment_id"]) for e in store.list_experiments()[:8]) or "none yet"
        raise DecomposeError(f"no experiment '{experiment_id}' in {store.path}. Experiments there: {known}.")
    return Experiment.model_validate_json(raw)


def list_experiments(store: Store) -> list[dict[str, object]]:
    return store.list_experiments()


# ---------------------------------------------------------------- summaries


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarise_variant(
    experiment: Experiment,
    variant: str,
    costs: dict[int, float] | None = None,
    weights: Mapping[str, float] | None = None,
) -> VariantSummary:
    """A variant's per-run means. `costs` (trial index in `experiment.trials` -> USD) replaces measured costs,
    e.g. with re-priced ones; `weights` are the quality axes' weights (default: each axis's own)."""
    indexed = [(i, t) for i, t in enumerate(experiment.trials) if t.variant == variant]
    ok = [(i, t) for i, t in indexed if t.run is not None]
    runs = [t.run for _, t in ok if t.run is not None]
    cost = [costs[i] if costs is not None and i in costs else t.cost_usd for i, t in ok]
    qa = [q for q in (run_quality(r, weights) for r in runs) if q is not None]
    pages: dict[str, list[str]] = {}
    for _, t in ok:
        if t.run is not None and t.run.page_html:
            pages.setdefault(t.profile or "", []).append(t.run.page_html)
    return VariantSummary(
        variant=variant,
        workflow=experiment.workflows.get(variant, ""),
        k=experiment.k.get(variant, 0),
        runs=len(indexed),
        failures=sum(1 for _, t in indexed if not t.ok),
        calls=mean([sum(n.calls for n in r.nodes) for r in runs]),
        input_tokens=mean([sum(n.input_tokens for n in r.nodes) for r in runs]),
        output_tokens=mean([sum(n.output_tokens for n in r.nodes) for r in runs]),
        cost_usd=mean(cost),
        cost_total_usd=sum(cost),
        wall_s=mean([t.wall_s for _, t in ok]),
        critical_path_s=mean([t.critical_path_s for _, t in ok]),
        qa_mean=mean(qa) if qa else None,
        qa_std=statistics.pstdev(qa) if len(qa) > 1 else (0.0 if qa else None),
        qa_interval=interval(qa),
        axes=axis_intervals(runs),
        distinctiveness=distinctiveness(pages),
        publishable=_share([publishable(r.qa_axes, r.qa_findings) for r in runs]),
        written=_mean_of([r.qa_measures.get("originality.written") for r in runs]),
        repeated=_mean_of([r.qa_measures.get("originality.repeated") for r in runs]),
    )


def _share(flags: list[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return round(sum(known) / len(known), 4) if known else None


def _mean_of(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(mean(known), 4) if known else None

"""One analysis of an experiment: what the Compare page, `decompose compare` and the exported report show.

`analyse(experiment, prices, model_map, tco_inputs)` computes it once; the three only render it, so they
cannot disagree. It holds the per-variant summaries on measured costs (and re-priced ones under a what-if
model map), the headline, the cheapest / best-quality / fastest variants, the Pareto front, the coordination
fit, the TCO result, the per-node breakdown and the runs.

Which costs the fit and the TCO use: the *priced* costs, that is the what-if prices when a model map is
given, else the measured costs. A what-if answers "what would this cost on those models", and the fit's m
and the break-even answer the same question for the same runs; the measured summaries, headline and
standouts stay beside them. `ExperimentAnalysis.priced.label` names those costs in words, and every view
prints that label next to the fit and the TCO.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from workflow_core.lab.coordination import CoordinationFit, coordination_points, fit_coordination
from workflow_core.lab.disturbance import DisturbedMeasurement, disturbance_note, disturbed_measurements
from workflow_core.lab.experiment import Experiment, NodeSummary, Trial, VariantSummary
from workflow_core.lab.intervals import Interval, clearly_differ
from workflow_core.lab.tables import node_breakdown, trial_table
from workflow_core.lab.tco import TcoInputs, TcoResult, tco, tco_variants
from workflow_core.lab.training import Training, training_by_variant
from workflow_core.lab.whatif import ModelMap, reprice_experiment
from workflow_core.pricing.book import PriceBook
from workflow_core.quality.model import effective_weights
from workflow_core.quality.preference import HELD_OUT, weakest_held_out
from workflow_core.records import RunRecord
from workflow_core.run.reopen import workflow_of_run
from workflow_core.workflow.graph import WorkflowGraph

CostBasis = Literal["measured", "what-if"]


@dataclass(frozen=True)
class Costing:
    """The variants on one set of costs (measured, or re-priced under a model map) and what follows from
    those costs alone: the headline and the Pareto front."""

    basis: CostBasis
    summaries: list[VariantSummary]
    trial_costs: dict[int, float]  # index in experiment.trials -> USD, for every trial that has a run
    headline: str
    pareto_front: list[str]  # variant names no other variant beats on both cost and quality
    estimate: bool = False  # tokens were measured on other models than the ones priced
    model_map: ModelMap = field(default_factory=dict)
    unpriced: list[str] = field(default_factory=list)  # target models with no known price (counted $0)

    @property
    def label(self) -> str:
        """These costs in words: "measured costs", "what-if prices" or "what-if prices (estimate)"."""
        if self.basis == "measured":
            return "measured costs"
        return "what-if prices (estimate)" if self.estimate else "what-if prices"


@dataclass(frozen=True)
class TimelineRun:
    """The run that stands for a variant on a timeline: the one that computed the most of its nodes."""

    variant: str
    k: int
    run: RunRecord
    # When the run has cached nodes: (start, seconds) per node at the latencies they had when computed,
    # each node starting when its last parent ends, so the timeline tells the same times as the tables.
    spans: dict[str, tuple[float, float]] | None = None


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Everything shown about one experiment under one what-if map and one set of TCO inputs."""

    experiment: Experiment
    measured: Costing
    whatif: Costing | None  # None without a model map
    cheapest: VariantSummary | None  # on measured costs; None when no variant finished a run
    best_quality: VariantSummary | None
    fastest: VariantSummary | None  # shortest critical path
    fit: CoordinationFit  # on `priced` costs
    tco: TcoResult | None  # on `priced` costs; None without inputs or without a variant that ran
    nodes: list[NodeSummary]
    runs: list[dict[str, Any]]  # one row per trial
    timelines: list[TimelineRun]
    failed: list[Trial]
    weights: dict[str, float] = field(default_factory=dict)  # the quality axes' weights used
    # Measurements that look disturbed (`lab.disturbance`); the headline and the TCO say so.
    disturbed: list[DisturbedMeasurement] = field(default_factory=list)
    training: dict[str, Training] = field(default_factory=dict)  # variant -> the specialised models' training

    @property
    def training_notes(self) -> list[str]:
        """One line per variant that runs a specialised model: what its training cost, counted once in the TCO."""
        return [f"{v}: {t.note()}" for v, t in sorted(self.training.items()) if t.note()]

    @property
    def disturbance_note(self) -> str | None:
        """What the headline and the TCO add when they rest on disturbed measurements (None when none)."""
        return disturbance_note(self.disturbed)

    @property
    def priced(self) -> Costing:
        """The costs the coordination fit and the TCO use: the what-if's when there is one."""
        return self.whatif or self.measured

    @property
    def basis(self) -> str:
        """What the quality of this analysis rests on and how far it is trusted (`quality_basis`)."""
        return quality_basis(preference_measures(self.measured.summaries))

    @property
    def headline(self) -> str:
        """The measured comparison, then what its quality rests on."""
        return f"{self.measured.headline.rstrip('.')}. {self.basis}"

    @property
    def fit_warnings(self) -> list[str]:
        return self.fit.warnings

    @property
    def profiles(self) -> list[str | None]:
        """The profiles the trials ran on, sorted ([None] when they ran on none)."""
        ran: list[str | None] = [*sorted({t.profile for t in self.experiment.trials if t.profile})]
        return ran or [None]


def analyse(
    experiment: Experiment,
    prices: PriceBook,
    model_map: ModelMap | None = None,
    tco_inputs: TcoInputs | None = None,
    weights: Mapping[str, float] | None = None,
) -> ExperimentAnalysis:
    """The analysis of `experiment`: measured summaries always; re-priced ones when `model_map` names a
    model; the fit and (with `tco_inputs`) the TCO on the what-if prices when there are some, else on the
    measured costs. Pure: reads the experiment and the price book, writes nothing."""
    disturbed = disturbed_measurements(experiment)
    measured = _measured(experiment, weights, disturbance_note(disturbed))
    whatif = _repriced(experiment, model_map, prices, weights) if model_map else None
    priced = whatif or measured
    training = training_by_variant(experiment)
    variants = tco_variants(priced.summaries, {v: t.usd for v, t in training.items()})
    ran = [s for s in measured.summaries if s.runs > s.failures]
    with_qa = [s for s in measured.summaries if s.qa_mean is not None]
    return ExperimentAnalysis(
        experiment=experiment,
        measured=measured,
        whatif=whatif,
        cheapest=min(ran, key=lambda s: s.cost_usd, default=None),
        best_quality=max(with_qa, key=lambda s: s.qa_mean or 0.0, default=None),
        fastest=min(ran, key=lambda s: s.critical_path_s, default=None),
        fit=fit_coordination(coordination_points(experiment, priced.trial_costs), costs=priced.label),
        tco=tco(variants, tco_inputs) if tco_inputs is not None and variants else None,
        nodes=node_breakdown(experiment),
        runs=trial_table(experiment),
        timelines=timeline_runs(experiment),
        failed=[t for t in experiment.trials if not t.ok],
        weights=effective_weights(weights),
        disturbed=disturbed,
        training=training,
    )


def _measured(experiment: Experiment, weights: Mapping[str, float] | None, note: str | None) -> Costing:
    """The variants on measured costs; `note` (a disturbance note) follows the headline."""
    summaries = experiment.summaries(weights)
    return Costing(
        basis="measured",
        summaries=summaries,
        trial_costs={i: t.cost_usd for i, t in enumerate(experiment.trials) if t.run is not None},
        headline=headline(summaries) + (f". ⚠ {note}" if note else ""),
        pareto_front=pareto_front([(s.variant, s.cost_usd, s.qa_mean) for s in summaries]),
    )


def _repriced(
    experiment: Experiment, model_map: ModelMap, prices: PriceBook, weights: Mapping[str, float] | None
) -> Costing:
    rp = reprice_experiment(experiment, model_map, prices, weights)
    return Costing(
        basis="what-if",
        summaries=rp.summaries,
        trial_costs=rp.trial_costs,
        headline=headline(rp.summaries, estimate=rp.estimate),
        pareto_front=pareto_front([(s.variant, s.cost_usd, s.qa_mean) for s in rp.summaries]),
        estimate=rp.estimate,
        model_map=dict(model_map),
        unpriced=rp.unpriced,
    )


def timeline_runs(experiment: Experiment, profile: str | None = None) -> list[TimelineRun]:
    """Per variant, its run with the fewest cached nodes (on `profile` when given and it ran there)."""
    out = []
    for v in experiment.spec.variants:
        trials = [t for t in experiment.trials_of(v.name) if t.run is not None]
        if profile is not None:
            trials = [t for t in trials if t.profile == profile] or trials
        # Prefer a run that computed its nodes: a cached node's bar is only the time to read the cache.
        trials.sort(key=lambda t: sum(1 for n in t.run.nodes if n.cached) if t.run else 0)
        if trials and trials[0].run is not None:
            best = trials[0]
            assert best.run is not None
            spans = (
                computed_spans(best.run, best.latencies) if any(n.cached for n in best.run.nodes) else None
            )
            out.append(TimelineRun(v.name, experiment.k.get(v.name, 0), best.run, spans))
    return out


def computed_spans(run: RunRecord, latencies: dict[str, float]) -> dict[str, tuple[float, float]]:
    """(start, seconds) per node as if every node had been computed: each starts when its last parent
    finishes and takes `latencies[node]` (its latency when computed)."""
    graph = WorkflowGraph(workflow_of_run(run))
    finish: dict[str, float] = {}
    spans: dict[str, tuple[float, float]] = {}
    recorded = {n.id for n in run.nodes}
    for node_id in graph.order:
        if node_id not in recorded:
            continue
        start = max((finish[p] for p in graph.parents[node_id] if p in finish), default=0.0)
        took = latencies.get(node_id, 0.0)
        spans[node_id] = (start, took)
        finish[node_id] = start + took
    return spans


def pareto_front(points: list[tuple[str, float, float | None]]) -> list[str]:
    """Names of the points no other point beats on both cost (lower) and quality (higher).
    `points` are (name, cost, quality); points without a quality are left out."""
    valid = [(n, c, q) for n, c, q in points if q is not None and not math.isnan(c)]
    front = []
    for n, c, q in valid:
        assert q is not None
        dominated = any(
            (c2 <= c and q2 >= q) and (c2 < c or q2 > q) for n2, c2, q2 in valid if n2 != n and q2 is not None
        )
        if not dominated:
            front.append(n)
    return front


def pick_pair(summaries: list[VariantSummary]) -> tuple[VariantSummary, VariantSummary] | None:
    """(single, decomposed): the variant with the fewest agents, and the cheapest variant with more agents
    (ties broken by quality). None when every variant has the same k."""
    usable = [s for s in summaries if s.runs > s.failures or s.cost_usd > 0]
    if len(usable) < 2:
        return None
    single = min(usable, key=lambda s: (s.k, s.cost_usd))
    more = [s for s in usable if s.k > single.k]
    if not more:
        return None
    decomposed = min(more, key=lambda s: (s.cost_usd, -(s.qa_mean or 0.0)))
    return single, decomposed


def headline(summaries: list[VariantSummary], estimate: bool = False) -> str:
    """ "decomposed (seed, k=3) vs single (single, k=1): 62% cheaper, quality 0.81 [0.78–0.84] vs 0.77
    [0.70–0.84]: no clear difference (the 95% intervals overlap)"."""
    pair = pick_pair(summaries)
    if pair is None:
        return (
            "Every variant has the same number of agents, so there is no decomposed-vs-single headline: "
            "compare them on cost, latency and quality below."
        )
    s, d = pair
    if s.cost_usd > 0:
        change = (s.cost_usd - d.cost_usd) / s.cost_usd * 100
        verdict = f"{abs(change):.0f}% {'cheaper' if change >= 0 else 'more expensive'}"
    else:
        verdict = "cost not comparable (the single variant cost $0)"

    text = f"decomposed ({d.variant}, k={d.k}) vs single ({s.variant}, k={s.k}): {verdict}, "
    if d.publishable is not None and s.publishable is not None:
        text += f"publishable {d.publishable:.0%} vs {s.publishable:.0%}, "
    preference = preference_measures(summaries)
    every_page_passes = all(x.publishable == 1.0 for x in summaries if x.runs > x.failures)
    if every_page_passes and not preference and d.qa_interval is not None and s.qa_interval is not None:
        text += (
            f"quality {d.qa_interval.text()} vs {s.qa_interval.text()}: every page passes the rules and no "
            "preference measure (people's votes or a judge) is in yet, so nothing tells them apart"
        )
    else:
        text += quality_claim(d.qa_interval, s.qa_interval)
    return text + (" (estimated prices)" if estimate else "")


def preference_measures(summaries: list[VariantSummary]) -> set[str]:
    """The axes among the variants' that measure preference (people's votes, a judge)."""
    return {"people", "judge"} & {a for s in summaries for a in s.axes}


def quality_basis(preference: set[str] | frozenset[str] = frozenset()) -> str:
    """What the lab's quality rests on and how far it is trusted: the rule verdict's agreement with blind raters
    on pages its rules were not tuned on, the weakest of the held-out splits (`quality.preference.HELD_OUT`),
    and which preference measures join it."""
    held = weakest_held_out()
    if held is None:
        return "Quality rests on the rule verdict, not yet measured against blind raters."
    others = [m for m in HELD_OUT if m.pairs and m is not held]
    text = (
        f"Quality rests on the rule verdict, which agreed with blind raters on {held.agree}/{held.pairs} pairs "
        f"({held.agree / held.pairs:.0%}) and {held.decisive_agree}/{held.decisive_pairs} of the big-vs-decomposed "
        f"pairs of pages it was not tuned on (the raters agreed with each other on "
        f"{held.raters_agree}/{held.raters_pairs}"
    )
    if others:
        which, rest = ("lower", "the other") if len(others) == 1 else ("lowest", "the others")
        text += f"; the {which} of {len(others) + 1} held-out sets, {rest} " + ", ".join(
            f"{m.agree}/{m.pairs}" for m in others
        )
    text += ")"
    labels = {"people": "people's votes", "judge": "an LLM judge"}
    joined = [label for name, label in labels.items() if name in preference]
    if joined:
        text += " and on " + " and ".join(joined)
    return text + "."


def quality_claim(decomposed: Interval | None, single: Interval | None) -> str:
    """The quality half of the headline, claiming a difference only when the 95% intervals do not overlap:
    "quality 0.81 [0.78–0.84] vs 0.62 [0.55–0.69]: higher", "… : no clear difference (the intervals
    overlap)", "… : too few runs to tell (n=1)"."""
    if decomposed is None or single is None:
        return "quality n/a"
    text = f"quality {decomposed.text()} vs {single.text()}"
    if min(decomposed.n, single.n) < 2:
        return text + ": too few runs to tell"
    if clearly_differ(decomposed, single):
        return text + (": higher" if decomposed.mean > single.mean else ": lower")
    return text + ": no clear difference (the 95% intervals overlap)"

"""A model search run against the engine: the space from a workflow and models, a prediction of what it will
cost before it starts, each evaluation a lab trial (through `lab.trials.run_experiment`, so the cache serves
any node whose model and inputs were tried before), and the result saved as one experiment the lab opens.

An evaluation pays only for the nodes the cache has not seen: a node's result depends on its own model, the
models of the nodes upstream of it and the visitor, so two assignments that agree on those share it. The
prediction counts each such node once, at its estimate; it is an upper bound when earlier runs cached some.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from workflow_core.errors import DecomposeError
from workflow_core.lab.experiment import (
    Experiment,
    ExperimentSpec,
    SearchRecord,
    Trial,
    Variant,
    save_experiment,
)
from workflow_core.lab.intervals import run_quality
from workflow_core.lab.search.answer import SearchAnswer, answer
from workflow_core.lab.search.scores import Outcome, Rule
from workflow_core.lab.search.space import Assignment, SearchSpace, build_space, label
from workflow_core.lab.search.strategies import (
    Search,
    Strategy,
    choose,
    planned_evaluations,
    run_strategy,
)
from workflow_core.lab.trials import run_experiment
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.scenario import Scenario
from workflow_core.workflow.graph import WorkflowGraph
from workflow_core.workflow.kinds import agent_count
from workflow_core.workflow.templates import resolve_workflow

# A node's result as the cache sees it: the node, the visitor, and its own and its upstream nodes' models.
_NodeKey = tuple[str, str | None, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class SearchRequest:
    """What to search: `workflow` (a template name or YAML path) with its nodes' models drawn from `models`
    (`pinned` nodes keep the model given), on `profiles` of the scenario (empty: all), under `rule`."""

    workflow: str
    models: tuple[str, ...]
    profiles: tuple[str, ...] = ()
    pinned: Mapping[str, str] = field(default_factory=dict)
    rule: Rule = field(default_factory=Rule)
    strategy: str = "auto"
    budget_usd: float | None = None


@dataclass(frozen=True)
class Prediction:
    """What the search will cost before it starts, from the estimates."""

    strategy: Strategy
    reason: str
    assignments: int
    evaluations: int
    cost_usd: float
    seconds: float

    def sentence(self) -> str:
        return (
            f"{self.reason}. About {self.evaluations} evaluations, about ${self.cost_usd:.6f} and "
            f"{self.seconds / 60:.0f} min (from the estimates; the cache makes it less)."
            if self.seconds >= 90
            else f"{self.reason}. About {self.evaluations} evaluations, about ${self.cost_usd:.6f} and "
            f"{self.seconds:.0f} s (from the estimates; the cache makes it less)."
        )


@dataclass
class SearchProgress:
    """An evaluation starting (`outcome` None) or finished."""

    done: int
    planned: int
    assignment: Assignment
    profile: str | None
    outcome: Outcome | None = None


class ModelSearch:
    """One search of `request` on `scenario` with `engine` (see the module's notes)."""

    def __init__(self, request: SearchRequest, scenario: Scenario, engine: Engine) -> None:
        self.request, self.scenario, self.engine = request, scenario, engine
        self.workflow = resolve_workflow(request.workflow)
        unknown = [p for p in request.profiles if p not in scenario.profiles]
        if unknown:
            raise DecomposeError(
                f"profile(s) {', '.join(unknown)} not in the scenario. Profiles there: "
                f"{', '.join(scenario.profiles) or 'none'}."
            )
        self.profiles: list[str | None] = list(request.profiles) or list(scenario.profiles) or [None]
        problems = [f"{m}: {why}" for m in request.models if (why := engine.registry.check_model(m))]
        if problems:
            raise DecomposeError("cannot search these models: " + "; ".join(problems))
        self._estimates: dict[tuple[Assignment, str | None], dict[str, tuple[float, float]]] = {}
        self.space = build_space(self.workflow, request.models, pinned=request.pinned)
        per_call = self._cost_per_model(self.space)  # then ordered by it: cheapest first
        self.space = build_space(self.workflow, request.models, pinned=request.pinned, cost_of=per_call)
        self._graph = WorkflowGraph(self.space.workflow)
        self._paid: set[_NodeKey] = set()
        self._whole: tuple[float, float] | None = None
        self.strategy, self.reason = self._choose()
        self.trials: list[Trial] = []

    # ------------------------------------------------------------------ estimates

    def _node_estimates(self, assignment: Assignment, profile: str | None) -> dict[str, tuple[float, float]]:
        """Per node of the assignment's workflow on `profile`: its estimated (cost, seconds)."""
        key = (assignment, profile)
        if key not in self._estimates:
            plan = self.engine.plan(
                self.space.workflow_for(assignment), RunInputs.for_profile(self.scenario, profile)
            )
            self._estimates[key] = {n: (e.cost_usd, e.latency_s) for n, e in plan.estimate.nodes.items()}
        return self._estimates[key]

    def _cost_per_model(self, space: SearchSpace) -> dict[str, float]:
        """Each model's estimated cost of the whole workflow on the first visitor: orders candidates."""
        out: dict[str, float] = {}
        for model in self.request.models:
            everywhere = tuple((node, model) for node in space.nodes)
            out[model] = sum(c for c, _ in self._node_estimates(everywhere, self.profiles[0]).values())
        return out

    def _node_keys(self, assignment: Assignment, profile: str | None) -> dict[str, _NodeKey]:
        models = dict(assignment)
        return {
            node: (
                node,
                profile,
                tuple((a, models[a]) for a in [*self._graph.ancestors[node], node] if a in models),
            )
            for node in self._graph.order
        }

    def predict_one(self, assignment: Assignment, profile: str | None) -> float:
        """What evaluating `assignment` on `profile` would pay at most, given what was paid for already."""
        estimates = self._node_estimates(assignment, profile)
        keys = self._node_keys(assignment, profile)
        return sum(estimates[n][0] for n, k in keys.items() if n in estimates and k not in self._paid)

    def _exhaustive_cost(self) -> tuple[float, float]:
        """Exhaustive search's cost and seconds from the estimates, each node result the cache would share
        counted once."""
        if self._whole is None:
            seen: set[_NodeKey] = set()
            cost = seconds = 0.0
            for profile in self.profiles:
                for a in self.space.assignments():
                    estimates = self._node_estimates(a, profile)
                    for node, key in self._node_keys(a, profile).items():
                        if node in estimates and key not in seen:
                            seen.add(key)
                            cost += estimates[node][0]
                            seconds += estimates[node][1]
            self._whole = (cost, seconds)
        return self._whole

    def predict(self, strategy: Strategy | None = None) -> Prediction:
        """The search's cost and time before it starts (with `strategy`, default the chosen one): exact for
        exhaustive search, scaled by the planned evaluations for the others."""
        strategy = strategy or self.strategy
        cost, seconds = self._exhaustive_cost()
        planned = planned_evaluations(strategy, self.space, len(self.profiles))
        share = planned / (self.space.size * len(self.profiles))
        reason = self.reason if strategy == self.strategy else strategy
        return Prediction(strategy, reason, self.space.size, planned, cost * share, seconds * share)

    def _choose(self) -> tuple[Strategy, str]:
        """`choose`'s strategy; with `auto` and a search budget that it would pass by the estimates, the
        strategy whose prediction fits (else the cheapest), and why."""
        strategy, reason = choose(self.request.strategy, self.space, self.profiles)
        budget = self.request.budget_usd
        if self.request.strategy != "auto" or budget is None:
            return strategy, reason
        self.strategy, self.reason = strategy, reason
        costs = {s: self.predict(s).cost_usd for s in ("exhaustive", "halving", "coordinate")}
        if costs[strategy] <= budget:
            return strategy, reason
        fitting = [s for s in costs if costs[s] <= budget]
        cheaper: Strategy = fitting[0] if fitting else min(costs, key=costs.__getitem__)  # type: ignore[assignment]
        return cheaper, (
            f"{cheaper}: {strategy} would cost about ${costs[strategy]:.4f} by the estimates, over the search "
            f"budget of ${budget:.4f}; {cheaper} about ${costs[cheaper]:.4f}"
            + ("" if fitting else ", the least of the three: it may stop at the budget")
        )

    # ------------------------------------------------------------------ the search

    async def run(
        self,
        on_progress: Callable[[SearchProgress], None] | None = None,
        cancel: asyncio.Event | None = None,
    ) -> tuple[SearchAnswer, Experiment]:
        """Search, then save every trial as one experiment; the answer and the experiment."""
        emit = on_progress or (lambda _p: None)
        planned = planned_evaluations(self.strategy, self.space, len(self.profiles))
        search: Search

        async def evaluate(assignment: Assignment, profile: str | None) -> Outcome:
            emit(SearchProgress(search.evaluations, planned, assignment, profile))
            outcome = await self._evaluate(assignment, profile, cancel)
            emit(SearchProgress(search.evaluations + 1, planned, assignment, profile, outcome))
            return outcome

        search = Search(
            self.space,
            self.profiles,
            self.request.rule,
            evaluate,
            predict=self.predict_one,
            budget_usd=self.request.budget_usd,
            cancelled=lambda: cancel is not None and cancel.is_set(),
        )
        await run_strategy(search, self.strategy)
        result = answer(
            self.space,
            search.measured,
            self.profiles,
            self.request.rule,
            strategy=self.strategy,
            reason=self.reason,
            evaluations=search.evaluations,
            stopped=search.stopped,
            trail=tuple(search.trail),
        )
        return result, self._save(search.measured.assignments(), result)

    async def _evaluate(
        self, assignment: Assignment, profile: str | None, cancel: asyncio.Event | None
    ) -> Outcome:
        variant = self._variant(assignment)
        spec = ExperimentSpec(name="search", variants=[variant], profiles=[profile] if profile else [])
        exp = await run_experiment(spec, self.scenario, self.engine, cancel=cancel, save=False)
        trial = exp.trials[0]
        if cancel is not None and cancel.is_set():  # cut short: the search drops it (Search.ensure)
            return Outcome(False, 0.0, 0.0, 0.0, None, None, "cancelled")
        self.trials.append(trial)
        run = trial.run
        if run is not None:
            self._paid.update(self._node_keys(assignment, profile).values())
            self._estimates.clear()  # the run's calls are history now: later estimates read them
        return Outcome(
            ok=trial.ok,
            cost_usd=trial.cost_usd,
            paid_usd=sum(n.cost_usd for n in run.nodes) if run else 0.0,
            latency_s=trial.critical_path_s,
            quality=run_quality(run) if run is not None else None,
            publishable=run.qa_publishable if run is not None else None,
            error=trial.error,
        )

    def _variant(self, assignment: Assignment) -> Variant:
        return Variant(
            name=label(assignment),
            workflow=self.request.workflow,
            model_overrides={**dict(self.request.pinned), **dict(assignment)},
        )

    def _save(self, tried: Sequence[Assignment], result: SearchAnswer) -> Experiment:
        variants = [self._variant(a) for a in tried]
        exp = Experiment(
            experiment_id=uuid.uuid4().hex[:12],
            spec=ExperimentSpec(
                name=f"optimise {self.workflow.name}",
                variants=variants,
                profiles=[p for p in self.profiles if p is not None],
            ),
            scenario=str(self.scenario.root) if self.scenario.root else self.scenario.company.name,
            k={v.name: agent_count(self.workflow) for v in variants},
            workflows={v.name: self.workflow.name for v in variants},
            trials=list(self.trials),
            search=SearchRecord(
                strategy=result.strategy,
                reason=result.reason,
                evaluations=result.evaluations,
                exhaustive_evaluations=result.exhaustive_evaluations,
                paid_usd=result.paid_usd,
                stopped=result.stopped,
                recommended=label(result.recommended) if result.recommended else None,
                front=[label(a) for a in result.front],
                lines=result.lines(),
                effects=[e.row() for e in result.effects],
            ),
        )
        if self.engine.store is not None and exp.trials:  # nothing ran: nothing for the lab to open
            save_experiment(exp, self.engine.store)
        return exp

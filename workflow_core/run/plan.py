"""The front door of a run: everything decided before the first model call, built once, by one function.

Every way in (`decompose run`, the Run page, the lab, `batch`, `serve`) asks the engine for a plan
(`Engine.plan`, which calls `plan_run`) and hands the plan to `Engine.run_plan`. A plan is the workflow as it
will run (its model overrides and few-shot examples applied), the run's typed inputs, the graph that
validation returned (every problem at once, before any call) and the estimate shown before the run, which
the run's records carry beside what they actually cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import PriceBook
from workflow_core.run.estimate import RunEstimate, estimate_run
from workflow_core.run.examples import ExampleRequest, with_examples
from workflow_core.run.inputs import RunInputs
from workflow_core.run.timing import CallTiming
from workflow_core.workflow.graph import WorkflowGraph, validated_graph
from workflow_core.workflow.spec import Workflow

if TYPE_CHECKING:
    from workflow_core.run.store import Store


@dataclass(frozen=True)
class RunPlan:
    """A run ready for the engine (see the module's notes)."""

    workflow: Workflow
    inputs: RunInputs
    graph: WorkflowGraph
    estimate: RunEstimate
    # Per model of the workflow, its recent calls (`run.timing`): what the run's measurements are judged by.
    timings: Mapping[str, Sequence[CallTiming]] = field(default_factory=dict)


@dataclass(frozen=True)
class Choices:
    """What a user chose on top of a workflow: a model for every model-backed node (`all_models`), models
    per node (`models`, applied after), and nodes whose few-shot examples come from past runs (`examples`,
    never from the run's own visitor)."""

    models: Mapping[str, str] | None = None
    all_models: str | None = None
    examples: Sequence[ExampleRequest] = ()

    def apply(self, workflow: Workflow, store: Store | None, profile_id: str | None) -> Workflow:
        """`workflow` with these choices; a DecomposeError names an unknown node or a node with no past run
        to learn from."""
        shaped = workflow.with_models(dict(self.models) if self.models else None, self.all_models)
        if not self.examples:
            return shaped
        if store is None:
            raise DecomposeError(
                "examples are read from past runs, but no run database is open (DECOMPOSE_DB)."
            )
        return with_examples(shaped, store, list(self.examples), exclude_profile=profile_id)


def plan_run(
    workflow: Workflow,
    inputs: RunInputs,
    *,
    check_model: Callable[[str], str | None],
    prices: PriceBook,
    store: Store | None,
    choices: Choices | None = None,
) -> RunPlan:
    """The plan for running `workflow` (with `choices`) on `inputs`: a WorkflowError listing every problem,
    or the validated graph and the estimate. `check_model` is the provider registry's (a problem when a
    node's model cannot be used)."""
    if choices is not None:
        workflow = choices.apply(workflow, store, inputs.profile_id)
    graph = validated_graph(workflow, inputs=inputs.variables.keys(), check_model=check_model)
    estimate = estimate_run(workflow, inputs, prices, store, graph=graph)
    timings = store.model_timings({n.model for n in workflow.nodes if n.model}) if store else {}
    return RunPlan(workflow, inputs, graph, estimate, timings)

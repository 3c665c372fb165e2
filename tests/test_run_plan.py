"""The front door of a run (`run.plan`): every way in builds the plan once (the workflow with the user's
choices, validated, estimated) and the engine runs that plan without validating again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workflow_core.workflow.graph as graph_module
from workflow_core.cli.main import main
from workflow_core.errors import DecomposeError, WorkflowError
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.many import RunJob, run_many
from workflow_core.run.plan import Choices, plan_run
from workflow_core.scenario import load_scenario
from workflow_core.workflow.templates import load_template

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The workflows validated, by name, in order (every validation, `validate` or `validated_graph`, goes
    through `workflow.graph._check`)."""
    seen: list[str] = []
    real = graph_module._check

    def counting(workflow: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(workflow.name)
        return real(workflow, *args, **kwargs)

    monkeypatch.setattr(graph_module, "_check", counting)
    yield seen


def test_a_plan_applies_the_choices_then_validates_and_estimates(fake_registry: ProviderRegistry) -> None:
    scenario = load_scenario(EXAMPLE)
    inputs = RunInputs.for_profile(scenario, next(iter(scenario.profiles)))
    plan = plan_run(
        load_template("seed"),
        inputs,
        check_model=fake_registry.check_model,
        prices=PriceBook(),
        store=None,
        choices=Choices(models={"developer": "fake/large"}, all_models="fake/small"),
    )
    models = {n.id: n.model for n in plan.workflow.nodes if n.model}
    assert models["developer"] == "fake/large" and models["personalizer"] == "fake/small"
    assert plan.graph.order[0] in {n.id for n in plan.workflow.nodes}
    assert set(plan.estimate.nodes) == {"personalizer", "developer"}  # the nodes that call a model

    with pytest.raises(WorkflowError, match="not in workflow 'seed'"):
        plan_run(
            load_template("seed"),
            inputs,
            check_model=fake_registry.check_model,
            prices=PriceBook(),
            store=None,
            choices=Choices(models={"nobody": "fake/large"}),
        )
    with pytest.raises(DecomposeError, match="no run database"):
        Choices(examples=[_example_request()]).apply(load_template("seed"), None, None)


def _example_request() -> Any:
    from workflow_core.run.examples import ExampleRequest

    return ExampleRequest.parse("developer=best")


def test_decompose_run_validates_once_and_records_the_estimate_it_printed(
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    validations: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("DECOMPOSE_PROVIDERS", "DECOMPOSE_DB"):
        monkeypatch.setenv(name, cli_env[name])
    out = tmp_path / "out"
    code = main(["run", "seed", "--scenario", str(EXAMPLE), "--all-models", "fake/small", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert validations == ["seed"]  # before: the command validated, then the engine again
    printed = capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert f"estimate ${report['estimated_cost_usd']:.6f}" in printed


async def test_many_runs_validate_each_job_once_and_an_invalid_one_is_its_own_outcome(
    fake_registry: ProviderRegistry, validations: list[str]
) -> None:
    scenario = load_scenario(EXAMPLE)
    seed = load_template("seed")
    jobs = [
        RunJob(p, seed, RunInputs.for_profile(scenario, p), choices=Choices(all_models="fake/small"))
        for p in list(scenario.profiles)[:2]
    ]
    jobs.append(RunJob("bad", seed, jobs[0].inputs, choices=Choices(all_models="fake/unknown-model")))
    async with Engine(fake_registry, prices=PriceBook()) as engine:
        outcomes = await run_many(engine, jobs, concurrency=2)
    assert [o.state for o in outcomes] == ["ran", "ran", "invalid"]
    assert all(o.ok for o in outcomes[:2]) and "unknown model 'unknown-model'" in (outcomes[2].error or "")
    assert validations == ["seed", "seed", "seed"]  # one per job, none again in the engine
    assert all(o.run is not None and o.run.estimated_cost_usd >= 0 for o in outcomes[:2])

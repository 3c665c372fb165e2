"""The estimates benchmark: the estimated against the actual cost of each template's run after 0, 1 and 3
saved runs, on the scripted server (a child process)."""

from __future__ import annotations

import asyncio
from typing import Any

from workflow_core.bench.scripted import MODEL_REF, scripted_engine, scripted_server_process, temporary_store
from workflow_core.nodes.hooks import CollectPage
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.scenario import load_scenario
from workflow_core.workflow.templates import TEMPLATE_NAMES, resolve_workflow
from workflow_core.workspace import EXAMPLE_SCENARIO


def measure_estimates(latency_s: float = 0.0) -> list[dict[str, Any]]:
    """Per template: (estimate − actual) / actual of a run's cost, before any run and after 1 and 3 saved
    runs of the template (each on another profile; the probe run is never saved)."""
    scenario = load_scenario(EXAMPLE_SCENARIO)
    profiles = list(scenario.profiles)
    rows = []
    with scripted_server_process(latency_s) as url:
        for name in TEMPLATE_NAMES:
            workflow = resolve_workflow(name).with_models(None, MODEL_REF)

            async def go(workflow: Any = workflow) -> dict[str, Any]:
                row: dict[str, Any] = {"template": workflow.name}
                with temporary_store() as store:
                    async with scripted_engine(url, store, use_cache=False) as engine:
                        done = 0
                        for after in (0, 1, 3):
                            while done < after:
                                await engine.run(workflow, RunInputs.for_profile(scenario, profiles[done]))
                                done += 1
                            # The probe is not saved: it must not become history for the next estimate.
                            probe = Engine(engine.registry, prices=engine.prices, store=store, use_cache=False,
                                           hooks=[CollectPage()])  # fmt: skip
                            inputs = RunInputs.for_profile(scenario, profiles[-1])
                            plan = engine.plan(workflow, inputs)
                            run = await probe.run_plan(plan)
                            actual = run.total_cost_usd
                            row[f"error_after_{after}"] = (plan.estimate.cost_usd - actual) / actual
                return row

            rows.append(asyncio.run(go()))
    return rows

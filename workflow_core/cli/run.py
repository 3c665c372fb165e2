"""`decompose run WORKFLOW --out DIR [--scenario DIR --profile ID]`: one run, its page and its report, with
the estimate before and the progress of each node on stderr (`progress.RunPrinter`). Kept free of heavy
imports at module level, as `decompose --help` loads it: the command imports what it uses."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from workflow_core.cli.args import add_otel_flag

if TYPE_CHECKING:
    from workflow_core.records import RunRecord
    from workflow_core.run.inputs import RunInputs
    from workflow_core.workflow.spec import Workflow


def add_parser(sub: Any) -> None:
    r = sub.add_parser("run", help="run a workflow on one profile and write the page and a report")
    r.add_argument("workflow", help="a built-in template name (see `decompose templates`) or a YAML path")
    r.add_argument("--scenario", help="scenario folder (company, knowledge, profiles)")
    r.add_argument("--profile", help="profile id inside the scenario")
    r.add_argument("--out", required=True, help="output folder for index.html, report.json and site.zip")
    r.add_argument("--model", action="append", default=[], metavar="NODE=REF", help="per-node model override")
    r.add_argument("--all-models", metavar="REF", help="run every model-backed node on this model")
    r.add_argument("--no-cache", action="store_true", help="call every model even if a cached result exists")
    add_otel_flag(r)
    r.add_argument(
        "--examples",
        action="append",
        default=[],
        metavar="NODE=best|REF[:K]",
        help="give an agent node K few-shot examples from past runs on other profiles: its best-scoring answers "
        "(best) or a model's (e.g. developer=local/qwen2.5-coder-1.5b:2)",
    )
    r.set_defaults(func=cmd_run)


def load_inputs(scenario_dir: str | None, profile_id: str | None) -> RunInputs:
    from workflow_core.errors import DecomposeError
    from workflow_core.run.inputs import RunInputs
    from workflow_core.scenario import load_scenario

    if not scenario_dir:
        if profile_id:
            raise DecomposeError("--profile needs --scenario DIR (the folder that holds the profiles).")
        return RunInputs()

    scenario = load_scenario(scenario_dir)
    if profile_id is None and scenario.profiles:
        profile_id = next(iter(scenario.profiles))
        print(f"no --profile given: using '{profile_id}'", file=sys.stderr)
    if profile_id is not None and profile_id not in scenario.profiles:
        raise DecomposeError(
            f"profile '{profile_id}' is not in {scenario_dir}. Profiles there: {', '.join(scenario.profiles)}."
        )
    return RunInputs.for_profile(scenario, profile_id)


def _require_scenario_if_used(workflow: Workflow) -> None:
    """Say in one line that a workflow needs --scenario, instead of a problem per prompt variable."""
    from workflow_core.errors import DecomposeError
    from workflow_core.scenario import INPUT_NAMES
    from workflow_core.workflow.kinds import kind_of
    from workflow_core.workflow.templating import TemplateError, variables_of

    used: set[str] = set()
    for node in workflow.nodes:
        if kind_of(node.kind).needs_scenario:
            used.add(f"{node.kind} node '{node.id}'")
        for template in (node.system, node.prompt):
            try:
                used |= variables_of(template) & set(INPUT_NAMES)
            except TemplateError:
                continue  # validation reports it with its node
    if used:
        raise DecomposeError(
            f"workflow '{workflow.name}' reads a scenario ({', '.join(sorted(used))}): pass --scenario DIR "
            "(e.g. assets/example_scenario) and --profile ID."
        )


def _services(no_cache: bool = False, trace: bool = False) -> Any:
    from workflow_core.workspace import new_engine

    return new_engine(use_cache=not no_cache, trace=trace)


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import json
    from pathlib import Path

    from workflow_core.cli.args import parse_node_refs
    from workflow_core.cli.progress import RunPrinter
    from workflow_core.page.assets import run_zip
    from workflow_core.page.safety import PagePolicy, sanitise
    from workflow_core.run.examples import ExampleRequest
    from workflow_core.run.plan import Choices
    from workflow_core.run.report import run_report
    from workflow_core.workflow.kinds import agent_count
    from workflow_core.workflow.templates import resolve_workflow

    base = resolve_workflow(args.workflow)
    choices = Choices(  # a malformed flag is named before anything else is read
        models=parse_node_refs(args.model, "--model"),
        all_models=args.all_models,
        examples=[ExampleRequest.parse(text) for text in args.examples or ()],
    )
    inputs = load_inputs(args.scenario, args.profile)
    if inputs.scenario is None:
        _require_scenario_if_used(base)
    engine = _services(args.no_cache, trace=args.otel)
    # Every problem at once, before the estimate or any call; validated once (the engine runs this plan).
    plan = engine.plan(base, inputs, choices)
    workflow, estimate = plan.workflow, plan.estimate
    for node in workflow.nodes:
        for example in node.examples if args.examples else ():
            print(f"{node.id}: example from {example.source}", file=sys.stderr)
    print(
        f"{workflow.name}: k={agent_count(workflow)}, {len(workflow.nodes)} nodes; estimate "
        f"${estimate.cost_usd:.6f}, ≥{estimate.critical_path_s:.0f} s on the critical path"
        + (f" (prior for {', '.join(estimate.from_prior)}: no past runs yet)" if estimate.from_prior else ""),
        file=sys.stderr,
    )

    async def go() -> RunRecord:
        async with engine:
            return await engine.run_plan(plan, on_event=RunPrinter())

    run = asyncio.run(go())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = run_report(run)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    if run.page_html:  # sanitised, as every page that leaves the tool (workflow_core/page/safety.py)
        company = inputs.scenario.company.model_dump() if inputs.scenario is not None else {}
        policy = PagePolicy.for_company(company)
        (out / "index.html").write_text(sanitise(run.page_html, policy), encoding="utf-8")
        (out / "site.zip").write_bytes(run_zip(run, policy))
    print(
        f"{run.status}: wall {run.wall_s:.1f} s (critical path {run.critical_path_s:.1f} s), "
        f"cost ${run.total_cost_usd:.6f} (estimated ${run.estimated_cost_usd:.6f})"
        + (f", QA {run.qa_score:.2f}" if run.qa_score is not None else ""),
        file=sys.stderr,
    )
    for warning in run.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"wrote {out / 'report.json'}" + (f" and {out / 'index.html'}" if run.page_html else ""),
        file=sys.stderr,
    )
    return 0 if run.status == "ok" else 1

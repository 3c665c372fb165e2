"""`decompose`: the command line over the same core as the app."""

from __future__ import annotations

# Only argparse, os, signal and sys at module level: `decompose --help` must not pay for pydantic, networkx, Jinja2 or
# httpx (tests/test_cli_startup.py). Each command imports what it uses.
import argparse
import os  # loaded by the interpreter itself: free
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from workflow_core.records import RunRecord
    from workflow_core.run.inputs import RunInputs
    from workflow_core.workflow.spec import Workflow


class _RunPrinter:
    """Prints node progress to stderr; a running token count per node when stderr is a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.tokens: dict[str, int] = {}

    def __call__(self, event: Any) -> None:
        if event.kind == "node_started":
            print(f"  ▶ {event.node_id} started", file=sys.stderr, flush=True)
        elif event.kind == "token" and self.tty:
            n = self.tokens[event.node_id] = self.tokens.get(event.node_id, 0) + 1
            print(f"\r    {event.node_id}: {n} chunks streamed", end="", file=sys.stderr, flush=True)
        elif event.kind == "node_finished" and event.record is not None:
            r = event.record
            if self.tty and r.id in self.tokens:
                print(file=sys.stderr)
            mark = {"ok": "✓", "failed": "✗", "skipped": "–", "cancelled": "■"}.get(r.status, "?")
            detail = (
                f"{r.latency_s:6.2f} s  in {r.input_tokens:5d}  out {r.output_tokens:5d}  ${r.cost_usd:.6f}"
                + ("  (cached)" if r.cached else "")
            )
            print(f"  {mark} {r.id:<16} {r.status:<9} {detail}", file=sys.stderr, flush=True)
            if r.error:
                print(f"      {r.error}", file=sys.stderr, flush=True)


def _load_inputs(scenario_dir: str | None, profile_id: str | None) -> RunInputs:
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


def _services(no_cache: bool = False) -> Any:
    from workflow_core.workspace import new_engine

    return new_engine(use_cache=not no_cache)


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import json
    from pathlib import Path

    from workflow_core.cli.args import parse_node_refs
    from workflow_core.page.assets import run_zip
    from workflow_core.page.safety import PagePolicy, sanitise
    from workflow_core.run.estimate import estimate_run
    from workflow_core.run.report import run_report
    from workflow_core.workflow.templates import resolve_workflow

    workflow = resolve_workflow(args.workflow).with_models(
        parse_node_refs(args.model, "--model"), args.all_models
    )
    inputs = _load_inputs(args.scenario, args.profile)
    if inputs.scenario is None:
        _require_scenario_if_used(workflow)
    engine = _services(args.no_cache)
    if args.examples:
        from workflow_core.errors import DecomposeError
        from workflow_core.run.examples import ExampleRequest, with_examples

        requests = [ExampleRequest.parse(text) for text in args.examples]
        if engine.store is None:
            raise DecomposeError("--examples reads past runs, but no run database is open (DECOMPOSE_DB).")
        workflow = with_examples(workflow, engine.store, requests, exclude_profile=args.profile)
        for node in workflow.nodes:
            for example in node.examples:
                print(f"{node.id}: example from {example.source}", file=sys.stderr)
    graph = engine.validate(workflow, inputs)  # every problem at once, before the estimate or any call
    estimate = estimate_run(workflow, inputs, engine.prices, engine.store, graph=graph)
    print(
        f"{workflow.name}: k={workflow.agent_count}, {len(workflow.nodes)} nodes; estimate "
        f"${estimate.cost_usd:.6f}, ≥{estimate.critical_path_s:.0f} s on the critical path"
        + (f" (prior for {', '.join(estimate.from_prior)}: no past runs yet)" if estimate.from_prior else ""),
        file=sys.stderr,
    )

    async def go() -> RunRecord:
        async with engine:
            return await engine.run(workflow, inputs, on_event=_RunPrinter(), estimate=estimate)

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


def cmd_templates(args: argparse.Namespace) -> int:
    from workflow_core.workflow.templates import list_templates

    for w in list_templates():
        print(f"{w.name:<11} k={w.agent_count}  {w.description}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from workflow_core.errors import WorkflowError
    from workflow_core.providers.registry import ProviderRegistry
    from workflow_core.workflow.graph import validate
    from workflow_core.workflow.templates import resolve_workflow

    workflow: Workflow = resolve_workflow(args.workflow)
    names: Iterable[str] = _load_inputs(args.scenario, args.profile).variables.keys()
    if args.scenario is None:
        from workflow_core.scenario import INPUT_NAMES

        # Without a scenario, accept the names a scenario would provide: validate structure, not data.
        names = INPUT_NAMES
    registry = ProviderRegistry.from_environment()
    problems = validate(workflow, inputs=names, check_model=registry.check_model)
    if problems:
        print(str(WorkflowError(problems)), file=sys.stderr)
        return 1
    print(f"{workflow.name}: valid ({len(workflow.nodes)} nodes, k={workflow.agent_count})")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    import asyncio

    from workflow_core.providers.registry import ProviderRegistry

    registry = ProviderRegistry.from_environment()
    for info in registry.models():
        print(f"{info.ref:<40} {'local ' if info.local else 'hosted'}  {info.status}")
    configured = {c["name"] for c in registry.provider_configs()}
    hints = {
        "openai": "set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server)",
        "anthropic": "set ANTHROPIC_API_KEY",
    }
    for name, hint in hints.items():
        if name not in configured:
            print(f"{name + '/…':<40} hosted  not configured: {hint}")
    if args.check:

        async def check() -> None:
            async with registry:
                for cfg in registry.provider_configs():
                    ok, message = await registry.check_connectivity(cfg["name"])
                    print(f"{cfg['name']:<12} {'reachable' if ok else 'UNREACHABLE'}: {message}")

        asyncio.run(check())
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from workflow_core.bench.main import main as bench_main

    return bench_main(quick=args.quick, as_json=args.json, only_production=args.production)


def cmd_compare(args: argparse.Namespace) -> int:
    from workflow_core.cli.compare import compare_cli

    return compare_cli(args)


def cmd_people(args: argparse.Namespace) -> int:
    from workflow_core.cli import people

    command: Any = {"diff": people.cmd_diff, "votes": people.cmd_votes, "judge-pairs": people.cmd_judge_pairs}
    return int(command[args.command](args))


def cmd_cache(args: argparse.Namespace) -> int:
    from workflow_core.run.store import Store

    print(f"removed {Store().cache_clear()} cached node results")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from workflow_core.cli.check import cmd_check as check

    return check(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="decompose", description="Design, run, price and compare agent workflows."
    )
    sub = p.add_subparsers(dest="command", required=True)

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

    sub.add_parser("templates", help="list the built-in templates").set_defaults(func=cmd_templates)

    v = sub.add_parser("validate", help="check a workflow without calling any model")
    v.add_argument("workflow")
    v.add_argument("--scenario")
    v.add_argument("--profile")
    v.set_defaults(func=cmd_validate)

    m = sub.add_parser("models", help="list providers and models, installed or reachable")
    m.add_argument("--check", action="store_true", help="also contact every configured provider")
    m.set_defaults(func=cmd_models)

    b = sub.add_parser(
        "bench", help="benchmarks: engine overhead, rendered QA, local throughput, peak memory"
    )
    b.add_argument("--quick", action="store_true", help="skip the local-model benchmarks")
    b.add_argument("--json", action="store_true", help="print the results as one JSON document")
    b.add_argument(
        "--production",
        action="store_true",
        help="only the production benchmarks: batch, lab, serve, estimates",
    )
    b.set_defaults(func=cmd_bench)

    c = sub.add_parser(
        "compare", help="run variants × profiles and write report.html, results.csv, results.json"
    )
    c.add_argument(
        "--variants",
        required=True,
        help="comma-separated templates or YAML paths; TEMPLATE[NODE=best|REF:K] specialises a node by examples "
        "from past runs on other profiles, e.g. seed[developer=local/qwen2.5-coder-1.5b:2]",
    )
    c.add_argument("--scenario", required=True)
    c.add_argument("--profiles", help="comma-separated profile ids (default: all)")
    c.add_argument("--repeats", type=int, default=1)
    c.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="trials at once (default 1: latencies undisturbed by other trials; raise it for hosted models)",
    )
    c.add_argument("--all-models", metavar="REF")
    c.add_argument(
        "--what-if",
        action="append",
        default=[],
        metavar="NODE=REF",
        help="also re-price the measured tokens under this model (NODE may be * for all); repeatable",
    )
    c.add_argument(
        "--engineering-cost", type=float, help="TCO: one-off engineering USD per agent (default 2000)"
    )
    c.add_argument("--requests-per-month", type=float, help="TCO: requests per month (default 10000)")
    c.add_argument("--growth", type=float, help="TCO: monthly growth as a fraction, e.g. 0.05")
    c.add_argument("--out", required=True)
    add_otel_flag(c)
    c.set_defaults(func=cmd_compare)

    k = sub.add_parser("check", help="measure any page on the quality axes and print the findings")
    k.add_argument("page", help="the page's HTML file")
    k.add_argument("--scenario", required=True, help="the scenario the page is for (the seller's facts)")
    k.add_argument("--profile", help="the visitor's profile id (personalisation and grounding read it)")
    k.add_argument("--judge", metavar="REF", help="also ask an LLM judge, e.g. local/qwen2.5-coder-1.5b")
    k.add_argument("--weights", metavar="AXIS=W,...", help="change axis weights, e.g. grounding=3,brand=0")
    k.add_argument("--all", action="store_true", help="print passed checks too, not only failures")
    k.add_argument("--json", action="store_true", help="print one JSON document")
    k.set_defaults(func=cmd_check)

    from workflow_core.cli.batch import add_parser as add_batch
    from workflow_core.cli.calibrate import add_parser as add_calibrate
    from workflow_core.cli.serve import add_parser as add_serve

    for add in (add_batch, add_serve):
        add_otel_flag(add(sub, "a built-in template name or a YAML path"))
    add_calibrate(sub)

    d = sub.add_parser(
        "diff", help="two stored runs node by node: prompts, outputs, tokens, latency, cost, QA"
    )
    d.add_argument("run_a")
    d.add_argument("run_b")
    d.add_argument("--max-lines", type=int, default=80, help="lines shown of each prompt or output diff")
    d.set_defaults(func=cmd_people)

    vo = sub.add_parser(
        "votes", help="people's pairwise votes: export or import CSV, or an experiment's ratings"
    )
    vo.add_argument("action", choices=["export", "import", "ratings"])
    vo.add_argument(
        "target",
        metavar="FILE|EXPERIMENT",
        help="the CSV file (export, import) or the experiment id (ratings)",
    )
    vo.add_argument("--experiment", help="export only this experiment's votes")
    vo.set_defaults(func=cmd_people)

    j = sub.add_parser(
        "judge-pairs", help="an LLM judge compares an experiment's pages pairwise, both orders"
    )
    j.add_argument("experiment", help="the experiment id")
    j.add_argument("--judge", required=True, metavar="REF", help="the judge's model, provider/model")
    j.add_argument("--scenario", help="scenario folder for the profiles (default: the experiment's)")
    j.add_argument("--no-cache", action="store_true", help="ask the judge again even if a verdict is cached")
    j.add_argument(
        "--text-only",
        action="store_true",
        help="show the judge the pages' text, not their screenshots (for a model that takes no images)",
    )
    j.set_defaults(func=cmd_people)

    cc = sub.add_parser("cache-clear", help="forget every cached node result")
    cc.set_defaults(func=cmd_cache)
    return p


def add_otel_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--otel",
        action="store_true",
        help="export a trace per run over OTLP/HTTP (to OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4318)",
    )


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "otel", False):
        os.environ["DECOMPOSE_OTEL"] = "1"  # read by run.telemetry when the engine's hooks are made
    from workflow_core.errors import DecomposeError

    # `kill` (SIGTERM) ends a command as Ctrl-C does, so its clean-up runs: the page worker processes
    # stop with it instead of lingering, and a batch says how to resume.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.func(args))
    except DecomposeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: one line for the user, the traceback only when asked for
        if os.environ.get("DECOMPOSE_DEBUG"):
            raise
        from workflow_core.secrets import redact

        print(
            redact(
                f"error: unexpected {type(exc).__name__}: {exc}. This is a bug in decompose; run again with "
                "DECOMPOSE_DEBUG=1 to see where it happened, and report it."
            ),
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())

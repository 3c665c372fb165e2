"""`decompose`: the command line over the same core as the app. This module builds the parser, holds the small
commands and turns errors into exit codes; a larger command has its own module (`run`, `diff`, `batch`,
`serve`, `check`, `compare`, `calibrate`, and `people` for votes and judge-pairs)."""

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

    from workflow_core.workflow.spec import Workflow


def cmd_templates(args: argparse.Namespace) -> int:
    from workflow_core.workflow.kinds import agent_count
    from workflow_core.workflow.templates import list_templates

    for w in list_templates():
        print(f"{w.name:<11} k={agent_count(w)}  {w.description}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from workflow_core.cli.run import load_inputs
    from workflow_core.errors import WorkflowError
    from workflow_core.providers.registry import ProviderRegistry
    from workflow_core.workflow.graph import validate
    from workflow_core.workflow.kinds import agent_count
    from workflow_core.workflow.templates import resolve_workflow

    workflow: Workflow = resolve_workflow(args.workflow)
    names: Iterable[str] = load_inputs(args.scenario, args.profile).variables.keys()
    if args.scenario is None:
        from workflow_core.scenario import INPUT_NAMES

        # Without a scenario, accept the names a scenario would provide: validate structure, not data.
        names = INPUT_NAMES
    registry = ProviderRegistry.from_environment()
    problems = validate(workflow, inputs=names, check_model=registry.check_model)
    if problems:
        print(str(WorkflowError(problems)), file=sys.stderr)
        return 1
    print(f"{workflow.name}: valid ({len(workflow.nodes)} nodes, k={agent_count(workflow)})")
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

    command: Any = {"votes": people.cmd_votes, "judge-pairs": people.cmd_judge_pairs}
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

    from workflow_core.cli.args import add_otel_flag
    from workflow_core.cli.batch import add_parser as add_batch
    from workflow_core.cli.calibrate import add_parser as add_calibrate
    from workflow_core.cli.diff import add_parser as add_diff
    from workflow_core.cli.optimise import add_parser as add_optimise
    from workflow_core.cli.run import add_parser as add_run
    from workflow_core.cli.serve import add_parser as add_serve
    from workflow_core.cli.specialise import add_parser as add_specialise

    add_run(sub)
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
        help="comma-separated templates or YAML paths; TEMPLATE[NODE=best|REF:K] specialises a node by examples "
        "from past runs on other profiles, e.g. seed[developer=local/qwen2.5-coder-1.5b:2]",
    )
    c.add_argument("--scenario")
    c.add_argument("--profiles", help="comma-separated profile ids (default: all)")
    c.add_argument(
        "--remeasure",
        metavar="EXPERIMENT",
        help="run a saved experiment again under its id (its variants, scenario and profiles), taking the "
        "timing of its disturbed measurements again; every other result comes from the cache",
    )
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

    for add in (add_batch, add_serve):
        add_otel_flag(add(sub, "a built-in template name or a YAML path"))
    add_calibrate(sub)
    add_diff(sub)
    add_otel_flag(add_optimise(sub))
    add_specialise(sub)

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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # `kill` (SIGTERM) ends a command as Ctrl-C does, so its clean-up runs: the page worker processes
    # stop with it instead of lingering, and a batch says how to resume.
    # Once the command is over, a kill during the clean-up that follows (closing the browser at exit) ends the
    # process as it would have before, not with a KeyboardInterrupt traceback out of an atexit callback.
    # Ctrl-C takes the same handler, so neither is lost in a native library's callback (see `interrupts`).
    from workflow_core.interrupts import interrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _run(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(args: argparse.Namespace) -> int:
    from workflow_core.errors import DecomposeError

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

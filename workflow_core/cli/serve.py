"""`decompose serve`: the command-line skin over `production.serve.create_app`, run by uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from workflow_core.cli.args import parse_node_refs
from workflow_core.errors import DecomposeError


def add_parser(sub: Any, workflow_help: str) -> argparse.ArgumentParser:
    s = sub.add_parser(
        "serve", help="serve a workflow as an HTTP API: POST /v1/pages answers a visitor's page"
    )
    s.add_argument("workflow", help=workflow_help)
    s.add_argument("--scenario", required=True, help="scenario folder (company, knowledge, profiles)")
    s.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--concurrency", type=int, default=4, help="runs at once; more requests wait (default 4)")
    s.add_argument("--queue-timeout", type=float, default=30.0, help="seconds a request waits for a run slot")
    s.add_argument(
        "--daily-budget-usd", type=float, help="new pages stop (429) once a UTC day's spend reaches this"
    )
    s.add_argument(
        "--static-checks",
        action="store_true",
        help="check pages without the browser: far faster (rendering takes a second or more a page, and "
        "a few pages render at once), but the accessibility and responsive axes are then static checks, "
        "and say so",
    )
    s.add_argument(
        "--allow-unpublishable",
        action="store_true",
        help="serve pages that fail their checks (experiments only: by default the visitor gets the fallback "
        "page and the answer says gated)",
    )
    s.add_argument(
        "--fallback-page",
        metavar="FILE",
        help="the page a visitor gets when theirs fails its checks (default: a page for their segment built "
        "from the scenario's own words, no model)",
    )
    s.add_argument(
        "--form-action",
        metavar="URL",
        help="where the page's contact form may post besides the seller's e-mail address (e.g. your CRM's "
        "form endpoint); every other target is removed and refused by the page's policy",
    )
    s.add_argument(
        "--frame-ancestors",
        default="'none'",
        metavar="SOURCES",
        help="who may show the page in a frame (a CSP source list, e.g. https://www.example.com; default: "
        "nobody)",
    )
    s.add_argument("--model", action="append", default=[], metavar="NODE=REF", help="per-node model override")
    s.add_argument("--all-models", metavar="REF", help="run every model-backed node on this model")
    s.set_defaults(func=serve_cli)
    return s


def serve_cli(args: argparse.Namespace) -> int:
    import uvicorn

    from workflow_core.production.fallback import read_fallback_file
    from workflow_core.production.serve import KEY_ENV, ServeConfig, create_app, serve_key, startup_warnings
    from workflow_core.run.inputs import RunInputs
    from workflow_core.scenario import load_scenario
    from workflow_core.workflow.templates import resolve_workflow
    from workflow_core.workspace import new_engine

    if args.concurrency < 1:
        raise DecomposeError(f"--concurrency must be 1 or more, got {args.concurrency}.")
    workflow = resolve_workflow(args.workflow).with_models(
        parse_node_refs(args.model, "--model"), args.all_models
    )
    scenario = load_scenario(args.scenario)
    first = next(iter(scenario.profiles), None)
    new_engine().validate(workflow, RunInputs.for_profile(scenario, first))  # every problem before serving
    key = serve_key(os.environ.get(KEY_ENV))  # an unusable key is refused now, not 401 on every request
    for warning in startup_warnings(args.host, key):
        print(f"\n{'!' * 78}\n{warning}\n{'!' * 78}\n", file=sys.stderr, flush=True)
    config = ServeConfig(
        workflow=workflow,
        scenario=scenario,
        concurrency=args.concurrency,
        queue_timeout_s=args.queue_timeout,
        daily_budget_usd=args.daily_budget_usd,
        allow_unpublishable=args.allow_unpublishable,
        fallback_page=read_fallback_file(args.fallback_page) if args.fallback_page else None,
        form_action=args.form_action,
        frame_ancestors=args.frame_ancestors,
    )
    print(
        f"serving {workflow.name} on http://{args.host}:{args.port} (API docs at /docs); "
        f"{args.concurrency} run(s) at once; "
        + (
            "pages that fail their checks are served (--allow-unpublishable)"
            if args.allow_unpublishable
            else "pages that fail their checks get the fallback page"
        )
        + (f", ${args.daily_budget_usd:g} a day" if args.daily_budget_usd else ""),
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        create_app(config, lambda: new_engine(render=not args.static_checks, trace=args.otel)),
        host=args.host,
        port=args.port,
        log_level="warning",
    )
    return 0

"""`decompose optimise`: which node needs the big model? Search the model of each node of a workflow
(`lab.search`), print the prediction before it starts, the progress, every assignment tried and the
recommendation node by node (a line beginning `recommended:`); save the trials as one experiment the lab
opens, and with `--out` write search.json and the recommended workflow's YAML."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow_core.cli.args import parse_node_refs
from workflow_core.cli.compare import text_table
from workflow_core.errors import DecomposeError
from workflow_core.lab.search.answer import SearchAnswer
from workflow_core.lab.search.scores import Rule
from workflow_core.lab.search.search import ModelSearch, SearchProgress, SearchRequest
from workflow_core.lab.search.space import label
from workflow_core.lab.search.strategies import STRATEGIES

if TYPE_CHECKING:
    from workflow_core.lab.experiment import Experiment
    from workflow_core.run.engine import Engine


def add_parser(sub: Any) -> argparse.ArgumentParser:
    o = sub.add_parser(
        "optimise",
        help="which node needs the big model? search each node's model under a budget; print the Pareto "
        "front and the recommended assignment",
    )
    o.add_argument("workflow", help="a built-in template name or a YAML path")
    o.add_argument(
        "--models",
        help="comma-separated model refs each node may take, e.g. local/qwen2.5-coder-0.5b,local/qwen2.5-coder-1.5b "
        "(default: every model configured here, as `decompose models` lists them)",
    )
    o.add_argument("--scenario", required=True, help="scenario folder (company, knowledge, profiles)")
    o.add_argument("--profiles", help="comma-separated profile ids (default: all)")
    o.add_argument(
        "--pin", action="append", default=[], metavar="NODE=REF", help="keep NODE on REF (not searched)"
    )
    o.add_argument(
        "--target-quality",
        type=float,
        help="recommend the cheapest assignment whose mean quality reaches this (0-1) instead of the cheapest "
        "not clearly below the best",
    )
    o.add_argument("--max-cost-per-page", type=float, metavar="USD", help="prefer assignments under this")
    o.add_argument(
        "--search-budget-usd",
        type=float,
        help="stop before the estimates say the next evaluation would pass this; the answer rests on what was tried",
    )
    o.add_argument("--strategy", choices=STRATEGIES, default="auto", help="how to search (default auto)")
    o.add_argument(
        "--static-checks",
        action="store_true",
        help="check pages without the browser: far faster, but the accessibility and responsive axes are then "
        "static checks, and say so",
    )
    o.add_argument("--out", help="write search.json and recommended.yaml here")
    o.set_defaults(func=cmd_optimise)
    return o


def request_from_args(args: argparse.Namespace) -> SearchRequest:
    models = tuple(m.strip() for m in str(args.models).split(",") if m.strip())
    profiles = tuple(p.strip() for p in (args.profiles or "").split(",") if p.strip())
    target = args.target_quality
    if target is not None and not 0 <= target <= 1:
        raise DecomposeError(f"--target-quality is a quality between 0 and 1, got {target}.")
    for flag, value in (
        ("--max-cost-per-page", args.max_cost_per_page),
        ("--search-budget-usd", args.search_budget_usd),
    ):
        if value is not None and value <= 0:
            raise DecomposeError(f"{flag} must be more than 0 USD, got {value}.")
    return SearchRequest(
        workflow=args.workflow,
        models=models,
        profiles=profiles,
        pinned=parse_node_refs(args.pin, "--pin"),
        rule=Rule(target_quality=target, max_cost_per_page_usd=args.max_cost_per_page),
        strategy=args.strategy,
        budget_usd=args.search_budget_usd,
    )


def _printer(stream: Any = None) -> Callable[[SearchProgress], None]:
    out = stream or sys.stderr

    def show(p: SearchProgress) -> None:
        if p.outcome is None:
            print(
                f"[{p.done + 1}/~{p.planned}] {label(p.assignment)} · {p.profile or '-'}",
                file=out,
                flush=True,
            )
            return
        o = p.outcome
        if not o.ok:
            print(f"    ✗ {o.error}", file=out, flush=True)
            return
        quality = "–" if o.quality is None else f"{o.quality:.2f}"
        print(
            f"    ✓ ${o.cost_usd:.6f} a page (paid ${o.paid_usd:.6f}), {o.latency_s:.1f} s, quality {quality}",
            file=out,
            flush=True,
        )

    return show


def answer_table(result: SearchAnswer) -> str:
    """Every assignment tried on every visitor, cheapest first; * marks the Pareto front."""
    rows = []
    for s in sorted(result.points, key=lambda s: s.cost_usd):
        quality = s.quality.text() if s.quality is not None else "–"
        publishable = "–" if s.publishable is None else f"{s.publishable:.0%}"
        front = "*" if s.assignment in result.front else ""
        rows.append(
            [label(s.assignment), f"{s.cost_usd:.6f}", f"{s.latency_s:.1f}", quality, publishable, front]
        )
    return text_table(["assignment", "USD/page", "crit s", "quality [95%]", "publish", "front"], rows)


def answer_json(result: SearchAnswer, experiment_id: str | None) -> dict[str, Any]:
    def scores(s: Any) -> dict[str, Any]:
        return {
            "assignment": dict(s.assignment),
            "profiles": list(s.profiles),
            "cost_usd": s.cost_usd,
            "latency_s": s.latency_s,
            "quality": s.quality.model_dump() if s.quality is not None else None,
            "publishable": s.publishable,
            "failures": s.failures,
        }

    return {
        "experiment": experiment_id,
        "strategy": result.strategy,
        "reason": result.reason,
        "evaluations": result.evaluations,
        "exhaustive_evaluations": result.exhaustive_evaluations,
        "paid_usd": result.paid_usd,
        "stopped": result.stopped,
        "recommended": dict(result.recommended) if result.recommended else None,
        "notes": list(result.notes),
        "front": [dict(a) for a in result.front],
        "points": [scores(s) for s in result.points],
        "partial": [scores(s) for s in result.partial],
        "effects": [e.sentence() for e in result.effects],
        "trail": list(result.trail),
    }


def cmd_optimise(args: argparse.Namespace, engine_factory: Callable[[], Engine] | None = None) -> int:
    from workflow_core.scenario import load_scenario
    from workflow_core.workspace import new_engine

    if not args.models:
        from workflow_core.providers.registry import ProviderRegistry

        refs = ProviderRegistry.from_environment().chosen_models()
        args.models = ",".join(refs)
        print(
            f"models: {args.models or 'none configured'} (every configured model; --models to choose)",
            file=sys.stderr,
        )
    request = request_from_args(args)
    scenario = load_scenario(args.scenario)
    factory = engine_factory or functools.partial(
        new_engine, trace=bool(getattr(args, "otel", False)), render=not args.static_checks
    )

    async def go() -> tuple[SearchAnswer, Experiment, ModelSearch]:
        async with factory() as engine:
            search = ModelSearch(request, scenario, engine)
            print(search.predict().sentence(), file=sys.stderr, flush=True)
            result, experiment = await search.run(_printer())
            return result, experiment, search

    result, experiment, search = asyncio.run(go())
    experiment_id = experiment.experiment_id if experiment.trials else None
    if result.points:
        print(answer_table(result))
    print("\n".join(result.lines()))
    if experiment_id:
        print(f"experiment {experiment_id}: open it in Compare", file=sys.stderr)
    if args.out:
        from workflow_core.workspace import save_workflow

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "search.json").write_text(json.dumps(answer_json(result, experiment_id), indent=2))
        written = [out / "search.json"]
        if result.recommended is not None:
            best = search.space.workflow_for(result.recommended)
            best.name = f"{best.name}-optimised"
            written.append(save_workflow(best, out / "recommended.yaml"))
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0 if result.recommended is not None else 1

"""`decompose batch`: the command-line skin over `production.batch.run_batch`, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workflow_core.cli.args import parse_node_refs
from workflow_core.errors import DecomposeError


def add_parser(sub: Any, workflow_help: str) -> argparse.ArgumentParser:
    b = sub.add_parser(
        "batch",
        help="one page per visitor profile, resumable, under a budget; writes pages/, results.jsonl, summary.json",
    )
    b.add_argument("workflow", help=workflow_help)
    b.add_argument("--scenario", required=True, help="scenario folder (company, knowledge)")
    b.add_argument(
        "--profiles", required=True, help="a .jsonl file (one profile per line) or a folder of .json profiles"
    )
    b.add_argument("--out", required=True, help="output folder; run the same command again to resume")
    b.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="runs calling models at once (default 4); the next starts while the last is checked and saved, "
        "with at most twice this many under way in all",
    )
    b.add_argument(
        "--budget-usd", type=float, help="stop before the estimate says the next run would pass this"
    )
    b.add_argument(
        "--ray",
        metavar="local|auto|ADDRESS",
        help="run each page as a Ray task: 'local' starts Ray here, 'auto' joins the cluster Ray finds, or a "
        "cluster address such as ray://head:10001 (needs the [ray] extra)",
    )
    b.add_argument(
        "--static-checks",
        action="store_true",
        help="check pages without the browser: far faster (rendering takes a second or more a page, and "
        "a few pages render at once), but the accessibility and responsive axes are then static checks, "
        "and say so",
    )
    b.add_argument(
        "--allow-unpublishable",
        action="store_true",
        help="write pages that fail their checks to pages/ too (experiments only: by default such a page "
        "goes to gated/ with its findings in results.jsonl, and does not count as done)",
    )
    b.add_argument("--model", action="append", default=[], metavar="NODE=REF", help="per-node model override")
    b.add_argument("--all-models", metavar="REF", help="run every model-backed node on this model")
    b.set_defaults(func=batch_cli)
    return b


class _Progress:
    """A tqdm bar on a terminal (runs done, cost, failures, ETA), else one line per finished profile."""

    def __init__(self, total: int, done_before: int) -> None:
        from tqdm import tqdm

        self.tty = sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=done_before, unit="page", file=sys.stderr, disable=not self.tty)

    def progress(self, p: Any) -> None:
        self.bar.set_postfix_str(f"${p.cost_usd:.4f} this session, {p.running} running, {p.failed} failed")

    def result(self, r: Any) -> None:
        self.bar.update(1)
        if not self.tty:
            mark = {"ok": "✓", "gated": "⛔"}.get(r.status, "✗")
            qa = (
                "–"
                if r.qa_score is None
                else f"{r.qa_score:.2f}" + ("" if r.publishable else " not publishable")
            )
            print(
                f"  {mark} {r.profile:<24} {r.status:<9} ${r.cost_usd:.6f}  QA {qa}  {r.wall_s:5.2f} s"
                + (f"  {r.cached_nodes} node(s) from the cache" if r.cached_nodes else "")
                + (f"  {r.error}" if r.error else "")
                + (f"  not written: {r.blocking[0]}" if r.blocking else "")
                + (
                    f"  instruction-like text kept out of prompts: {r.input_flags[0]}"
                    if r.input_flags
                    else ""
                ),
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        self.bar.close()


def batch_cli(args: argparse.Namespace) -> int:
    """Run the batch; print the summary. Exit 0 when every profile has a page, 1 when some failed, were
    gated or the budget stopped it (run again with more budget to continue), 130 on Ctrl-C (run again to
    resume), 2 (with the reason) when another batch is writing to the same folder."""
    import asyncio
    from pathlib import Path

    from workflow_core.production.batch import read_results, run_batch
    from workflow_core.production.profiles import read_profiles
    from workflow_core.scenario import load_scenario
    from workflow_core.workflow.templates import resolve_workflow
    from workflow_core.workspace import new_engine

    if args.concurrency < 1:
        raise DecomposeError(f"--concurrency must be 1 or more, got {args.concurrency}.")
    workflow = resolve_workflow(args.workflow).with_models(
        parse_node_refs(args.model, "--model"), args.all_models
    )
    scenario = load_scenario(args.scenario)
    profiles, rejected = read_profiles(args.profiles)
    if rejected:
        print(
            f"skipping {len(rejected)} profile(s) that cannot be run (fix them and run again):",
            file=sys.stderr,
        )
        for problem in rejected[:20]:
            print(f"  ✗ {problem.message}", file=sys.stderr)
        if len(rejected) > 20:
            print(f"  … and {len(rejected) - 20} more (all in summary.json)", file=sys.stderr)
    engine = new_engine(render=not args.static_checks, trace=args.otel)
    runner = None
    if args.ray:
        from workflow_core.production.ray_runner import RayRunner

        print(f"starting Ray ({args.ray}) with {args.concurrency} worker(s)...", file=sys.stderr)
        runner = RayRunner(
            args.ray, args.concurrency, engine.store, render=not args.static_checks, trace=args.otel
        )
    done_before = sum(1 for r in read_results(Path(args.out)) if r.status == "ok" and r.profile in profiles)
    print(
        f"{workflow.name}: {len(profiles)} profile(s), {done_before} already done in {args.out}; "
        f"{args.concurrency} at a time"
        + (f" on Ray ({args.ray})" if runner is not None else "")
        + (f", budget ${args.budget_usd:g}" if args.budget_usd is not None else "")
        + ("; static checks (no browser)" if args.static_checks else ""),
        file=sys.stderr,
    )
    bar = _Progress(len(profiles), done_before)

    async def go() -> Any:
        async with engine:
            return await run_batch(
                engine,
                workflow,
                scenario,
                profiles,
                args.out,
                concurrency=args.concurrency,
                budget_usd=args.budget_usd,
                on_progress=bar.progress,
                on_result=bar.result,
                executor=runner,
                allow_unpublishable=args.allow_unpublishable,
                rejected=[p.message for p in rejected],
            )

    try:
        report = asyncio.run(go())
    except KeyboardInterrupt:
        bar.close()
        print(
            f"interrupted: the finished pages are in {args.out}; run the same command to continue.",
            file=sys.stderr,
        )
        return 130
    finally:
        if runner is not None:
            runner.close()
    bar.close()
    s = report.summary()
    score = s["quality"]["score"]
    print(
        f"{s['ok']}/{s['profiles']} pages ok, {s['gated']} gated (failed their checks: see gated/), "
        f"{s['failed']} failed, {s['not_started']} not started; "
        f"cost ${s['cost_usd']:.6f} (this session ${s['cost_this_session_usd']:.6f})"
        + (f"; QA mean {score['mean']:.2f}, p10 {score['p10']:.2f}" if score else "")
    )
    for failure in s["failures"][:10]:
        print(f"  ✗ {failure['profile']}: {failure['error']}")
    if report.stopped:
        print(f"stopped: {report.stopped}", file=sys.stderr)
    print(f"wrote {Path(args.out) / 'results.jsonl'} and {Path(args.out) / 'summary.json'}", file=sys.stderr)
    return 0 if s["ok"] == s["profiles"] and not rejected else 1

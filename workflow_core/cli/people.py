"""`decompose votes export|import|ratings` and `decompose judge-pairs`: people's judgement in the lab from the
terminal, over the same core as the Compare page."""

from __future__ import annotations

import argparse
import asyncio
import sys

from workflow_core.errors import DecomposeError
from workflow_core.judgement.agreement import agreement
from workflow_core.judgement.axis import MIN_VOTES_PER_VARIANT, enough_votes
from workflow_core.judgement.judge import JudgeRun, judge_pairs
from workflow_core.judgement.ratings import VariantRating, rate
from workflow_core.judgement.transfer import export_votes, import_votes
from workflow_core.judgement.votes import load_votes
from workflow_core.lab.experiment import load_experiment
from workflow_core.run.store import Store


def format_ratings(ratings: list[VariantRating]) -> str:
    header = f"{'variant':<16} {'score':>6} {'95% interval':>15} {'strength':>9} {'win rate':>8} {'votes':>6}"
    lines = [header]
    for r in sorted(ratings, key=lambda r: -r.score):
        rate_text = "–" if r.win_rate is None else f"{r.win_rate:.0%}"
        lines.append(
            f"{r.variant:<16} {r.score:>6.3f} {f'[{r.score_low:.3f}, {r.score_high:.3f}]':>15} "
            f"{r.strength:>+9.3f} {rate_text:>8} {r.votes:>6}"
        )
    return "\n".join(lines)


def cmd_votes(args: argparse.Namespace) -> int:
    store = Store()
    if args.action == "export":
        n = export_votes(store, args.target, args.experiment)
        print(f"wrote {n} vote(s) to {args.target}", file=sys.stderr)
    elif args.action == "import":
        read, new = import_votes(store, args.target)
        print(
            f"read {read} vote(s) from {args.target}: {new} new, {read - new} already here", file=sys.stderr
        )
    else:
        experiment = load_experiment(args.target, store)
        votes = load_votes(store, experiment.experiment_id, people_only=True)
        ratings = rate(votes, [v.name for v in experiment.spec.variants])
        print(f"{experiment.spec.name}: {len(votes)} people's vote(s)")
        print(format_ratings(ratings))
        if not enough_votes(ratings):
            print(
                f"(the people axis joins the lab's quality once every variant is in ≥ {MIN_VOTES_PER_VARIANT} "
                "votes)"
            )
    return 0


def cmd_judge_pairs(args: argparse.Namespace) -> int:
    from workflow_core.providers.registry import ProviderRegistry
    from workflow_core.scenario import load_scenario
    from workflow_core.scenario.prose import profile_to_prose
    from workflow_core.workspace import price_book

    store = Store()
    experiment = load_experiment(args.experiment, store)
    summaries: dict[str, str] = {}
    scenario_dir = args.scenario or experiment.scenario
    if scenario_dir:
        try:
            scenario = load_scenario(scenario_dir)
            summaries = {pid: profile_to_prose(p) for pid, p in scenario.profiles.items()}
        except DecomposeError as exc:
            print(f"warning: the judge reads no profiles ({exc}); pass --scenario DIR", file=sys.stderr)
    registry = ProviderRegistry.from_environment()

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r  judged {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    async def go() -> JudgeRun:
        async with registry:
            return await judge_pairs(
                experiment,
                args.judge,
                registry,
                price_book(registry=registry),
                store,
                summaries,
                use_cache=not args.no_cache,
                on_progress=progress,
                see_pages=not args.text_only,
            )

    report = asyncio.run(go())
    print(
        f"{args.judge}: {report.comparisons} comparison(s) ({report.cached} from the cache, {report.skipped} "
        f"judged before); judge cost ${report.cost_usd:.6f} now, ${report.cost_if_uncached_usd:.6f} if uncached "
        "(not part of the variants' costs)"
    )
    for error in [*report.warnings, *report.errors]:
        print(f"warning: {error}", file=sys.stderr)
    a = agreement(load_votes(store, experiment.experiment_id), args.judge)
    consistency = "–" if a.position_consistency is None else f"{a.position_consistency:.0%}"
    agree = "–" if a.agreement is None else f"{a.agreement:.0%}"
    print(
        f"position consistency {consistency} of {a.pairs_both_orders} pair(s) seen in both orders; "
        f"agreement with people {agree} of {a.compared} vote(s)"
    )
    return 1 if report.errors and not report.comparisons else 0

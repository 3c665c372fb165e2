"""`decompose calibrate [CASES_DIR] [--judge REF]`: measure the measurer. The quality axes' precision and
recall on a labelled set of pages (default `tests/quality_cases`), and with `--judge` the LLM judge's
agreement with the same labels (`workflow_core.quality.calibrate`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from workflow_core.errors import DecomposeError

if TYPE_CHECKING:  # the checks load Chromium's driver and the judge: only when the command runs
    from workflow_core.quality.calibrate import Case, JudgedCase


def add_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "calibrate", help="precision and recall of the quality axes (and an LLM judge) on labelled pages"
    )
    c.add_argument("cases", nargs="?", default="tests/quality_cases", help="a folder with a cases.json")
    c.add_argument(
        "--judge", metavar="REF", help="also measure this judge model, e.g. local/qwen2.5-coder-1.5b"
    )
    c.add_argument("--skip-axes", action="store_true", help="measure only the judge")
    c.add_argument(
        "--preference",
        metavar="DIR",
        help="a preference set (pages ranked blind by people): the verdict's agreement with their order "
        "(default: CASES_DIR/preference, when there is one)",
    )
    c.add_argument(
        "--static-checks", action="store_true", help="check the preference pages without Chromium (faster)"
    )
    c.add_argument(
        "--text-only",
        action="store_true",
        help="the judge reads the preference pages' text, not their screenshots (a model that takes no images)",
    )
    c.add_argument(
        "--split",
        metavar="NAME",
        help="judge only these splits of the preference set, comma-separated (default: all)",
    )
    c.set_defaults(func=cmd_calibrate)


def _judge_all(cases: list[Case], ref: str) -> list[JudgedCase]:
    from workflow_core.quality.calibrate import JudgedCase
    from workflow_core.quality.judge import judge_page
    from workflow_core.workspace import new_engine

    engine = new_engine()

    async def go() -> list[JudgedCase]:
        out: list[JudgedCase] = []
        async with engine:
            for n, case in enumerate(cases, 1):
                start = time.perf_counter()
                try:
                    result = await judge_page(
                        case.html, case.sources, ref, engine.registry, engine.prices, engine.store
                    )
                    out.append(JudgedCase(case, result))
                    said = f"{result.axis.score:.2f}" + (" (cached)" if result.cached else "")
                except DecomposeError as exc:
                    out.append(JudgedCase(case, None, str(exc)))
                    said = f"no verdict: {exc}"
                took = time.perf_counter() - start
                print(f"[{n}/{len(cases)}] {case.name}: {said} in {took:.1f} s", file=sys.stderr, flush=True)
        return out

    return asyncio.run(go())


def _print_preference(folder: Path, render: bool) -> None:
    from workflow_core.quality.calibrate import preference_reports, preference_table
    from workflow_core.quality.preference import first_places, load_preference_set, mean_scores

    pset = load_preference_set(folder)
    reports = preference_reports(pset, render=render)
    how = "rendered checks" if render else "static checks"
    print(f"Preference set {folder}: {len(pset.pages)} pages, agreement with blind raters ({how}):\n")
    print(preference_table(pset, reports))
    for split in pset.splits:
        people = mean_scores(pset, split)
        firsts = first_places(pset, split)
        variants = sorted({p.variant for p in pset.in_split(split)})
        verdict = {v: [reports[p.id] for p in pset.in_split(split) if p.variant == v] for v in variants}
        print(
            f"\n{split}: per variant, raters' mean score (1-10), first places, the verdict's mean and publishable:"
        )
        for v in variants:
            rs = verdict[v]
            mean = sum(r.score for r in rs) / len(rs)
            ok = sum(bool(r.publishable) for r in rs)
            print(
                f"  {v:<12} people {people.get(v, float('nan')):.1f}  first {firsts.get(v, 0):>2}  "
                f"verdict {mean:.2f}  publishable {ok}/{len(rs)}"
            )
    print()


def _print_judge_preference(folder: Path, ref: str, text_only: bool = False, only: str | None = None) -> None:
    from workflow_core.judgement.calibration import JudgeCalibration, judge_preference
    from workflow_core.quality.preference import load_preference_set
    from workflow_core.workspace import new_engine

    pset = load_preference_set(folder)
    splits = [s.strip() for s in only.split(",") if s.strip()] if only else list(pset.splits)
    unknown = [s for s in splits if s not in pset.splits]
    if unknown:
        raise DecomposeError(f"no split {', '.join(unknown)} in {folder}: it has {', '.join(pset.splits)}.")
    engine = new_engine()

    async def go() -> list[tuple[str, JudgeCalibration]]:
        async with engine:
            return [
                (
                    split,
                    await judge_preference(
                        pset,
                        ref,
                        engine.registry,
                        engine.prices,
                        engine.store,
                        split,
                        see_pages=not text_only,
                    ),
                )
                for split in splits
            ]

    seeing = "reading each page's text" if text_only else "seeing each page at 1280 and 390 px"
    print(f"Judge {ref} on the preference set (both orders of every pair, {seeing}):\n")
    print("| split | agrees with raters | decisive pairs | position consistency | ties | cost |")
    print("|---|---|---|---|---|---|")
    for split, c in asyncio.run(go()):
        a = c.agreement
        consistency = "–" if c.position_consistency is None else f"{c.consistent}/{c.pairs}"
        print(
            f"| {split} | {a.agree}/{a.pairs} | {a.decisive_agree}/{a.decisive_pairs} | {consistency} | {a.ties} "
            f"| ${c.run.cost_usd:.4f} ({c.run.cached} cached) |"
        )
        for warning in [*c.run.warnings, *c.run.errors[:5]]:
            print(f"  warning: {warning}")
    print()


def cmd_calibrate(args: argparse.Namespace) -> int:
    from workflow_core.quality.calibrate import (
        axis_stats,
        counted_axes,
        judge_agreement,
        load_cases,
        question_rates,
        run_cases,
        table,
        timing,
    )

    folder = Path(args.cases)
    if not (folder / "cases.json").is_file():
        raise DecomposeError(
            f"no cases.json in {folder}: pass the folder of a labelled set of pages (e.g. tests/quality_cases)."
        )
    cases = load_cases(folder)
    good = sum(1 for c in cases if not c.axes)
    print(f"{len(cases)} pages, {good} good, from {folder}\n")
    if not args.skip_axes:
        results = run_cases(cases)
        print("Quality axes:\n")
        print(table(axis_stats(results, counted_axes(cases))))
        print("\n" + timing(results) + "\n")
    preference = Path(args.preference) if args.preference else folder / "preference"
    if not args.skip_axes and (preference / "set.json").is_file():
        _print_preference(preference, render=not args.static_checks)
    if args.judge and (preference / "set.json").is_file():
        _print_judge_preference(preference, args.judge, args.text_only, args.split)
    if args.judge:
        judged = _judge_all(cases, args.judge)
        answered = [j for j in judged if j.result is not None]
        cost = sum(j.result.cost_usd for j in answered if j.result is not None)
        print(f"Judge {args.judge}: answered {len(answered)} of {len(judged)} pages, cost ${cost:.6f}\n")
        print(table(judge_agreement(judged)))
        print("\n" + question_rates(judged))
        for j in judged:
            if j.error:
                print(f"  no verdict on {j.case.name}: {j.error}")
    return 0

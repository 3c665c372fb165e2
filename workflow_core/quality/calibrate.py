"""Measure the measurer: run `check_page` over a labelled set of pages (a folder with a `cases.json`, by default
`tests/quality_cases`) and report each axis's precision and recall, and the time a check takes.

A case names its page file, its scenario folder and profile, its defect and the axes the defect belongs on
(none for a good page). An axis "flags" a page when it has a failing finding; a flag on one of the case's axes
is a true positive, a flag elsewhere a false positive, a missing flag on a labelled axis a false negative.

    python -m workflow_core.quality.calibrate [CASES_DIR]
    decompose calibrate [CASES_DIR] [--judge REF]     # also the LLM judge's agreement with the labels

The judge is measured the same way: each checklist question belongs to an axis (`QUESTION_AXES`); the judge
flags an axis on a page when it gives a wrong answer to one of that axis's questions, and flags the page when
it gives any wrong answer.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow_core.nodes.retrieve import default_passages
from workflow_core.page.checks.common import load_page
from workflow_core.quality.axes import PageToCheck, axes
from workflow_core.quality.check import NOT_REQUESTED, check_page
from workflow_core.quality.judge import CHECKLIST, JudgeResult
from workflow_core.quality.model import QualityReport
from workflow_core.quality.preference import (
    PreferenceSet,
    agreement,
    keys_for,
    page_scenarios,
    rater_agreement,
)
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import page_text
from workflow_core.scenario import Scenario, load_scenario


def calibrated_axes() -> tuple[str, ...]:
    """The axes whose flags calibration counts and times (`Axis.calibrated`, with a `measure`), in order: the
    axes that read the page's text and markup, which need no browser."""
    return tuple(a.name for a in axes().values() if a.calibrated and a.measure is not None)


def counted_axes(cases: list[Case]) -> tuple[str, ...]:
    """The calibrated axes, then any other axis a case is labelled with (by name)."""
    calibrated = calibrated_axes()
    return calibrated + tuple(sorted({a for c in cases for a in c.axes} - set(calibrated)))


@dataclass
class Case:
    name: str
    html: str
    sources: Sources
    defect: str | None
    axes: list[str]
    clean: str | None


@dataclass
class CaseResult:
    case: Case
    report: QualityReport
    seconds: float  # the whole check_page
    parse_seconds: float  # parsing the page once (the baseline)
    text_seconds: float  # the calibrated axes alone, on the parsed page

    @property
    def flagged(self) -> set[str]:
        return {f.axis for f in self.report.failures}


@dataclass
class AxisStats:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    false_positives: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def count(self, case: str, labelled: bool, flagged: bool) -> None:
        """One page: a flag on a labelled axis is a true positive, elsewhere a false positive; a labelled axis
        left unflagged is a miss."""
        if labelled and flagged:
            self.tp += 1
        elif flagged:
            self.fp += 1
            self.false_positives.append(case)
        elif labelled:
            self.fn += 1
            self.misses.append(case)


def sources_for(scenario: Scenario, profile_id: str | None) -> Sources:
    """A run's sources for one profile: what the templates' retrieve node would pass."""
    return Sources.of(scenario, profile_id, default_passages(scenario, profile_id))


def load_cases(folder: Path, root: Path | None = None) -> list[Case]:
    """The cases of `folder/cases.json`; scenario paths are relative to `root` (default: the working folder)."""
    manifest = json.loads((folder / "cases.json").read_text(encoding="utf-8"))
    scenarios: dict[str, Scenario] = {}
    cases = []
    for entry in manifest["cases"]:
        path = str(entry["scenario"])
        if path not in scenarios:
            scenarios[path] = load_scenario((root or Path.cwd()) / path)
        cases.append(
            Case(
                name=Path(entry["file"]).stem,
                html=(folder / entry["file"]).read_text(encoding="utf-8"),
                sources=sources_for(scenarios[path], entry.get("profile")),
                defect=entry.get("defect"),
                axes=list(entry.get("axes") or []),
                clean=entry.get("clean"),
            )
        )
    return cases


def _text_axes_seconds(case: Case, repeats: int = 3) -> tuple[float, float]:
    """(parse, text axes): the fastest of `repeats` times to parse the page (`load_page`, the baseline every
    check pays) and to run the calibrated axes on it; the fastest run is the least disturbed by other work."""
    measures = [a.measure for a in axes().values() if a.name in calibrated_axes() and a.measure is not None]
    parse, text_axes = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        loaded = load_page(case.html)
        parsed = time.perf_counter()
        subject = PageToCheck(
            case.html, loaded, page_text(loaded.root), case.sources, None, None, NOT_REQUESTED
        )
        for measure in measures:
            measure(subject)
        parse.append(parsed - start)
        text_axes.append(time.perf_counter() - parsed)
    return min(parse), min(text_axes)


def run_cases(cases: list[Case]) -> list[CaseResult]:
    results = []
    for case in cases:
        start = time.perf_counter()
        report = check_page(case.html, case.sources)
        seconds = time.perf_counter() - start
        results.append(CaseResult(case, report, seconds, *_text_axes_seconds(case)))
    return results


def axis_stats(results: list[CaseResult], counted: tuple[str, ...] | None = None) -> dict[str, AxisStats]:
    """Per axis of `counted` (default: the calibrated axes), its flags on `results` against their labels."""
    counted = calibrated_axes() if counted is None else counted
    stats = {a: AxisStats() for a in counted}
    for r in results:
        for axis in counted:
            stats[axis].count(r.case.name, axis in r.case.axes, axis in r.flagged)
    return stats


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def table(stats: dict[str, AxisStats]) -> str:
    """A Markdown table: per axis TP, FP, FN, precision, recall."""
    lines = ["| axis | TP | FP | FN | precision | recall |", "|---|---|---|---|---|---|"]
    for axis, s in stats.items():
        lines.append(f"| {axis} | {s.tp} | {s.fp} | {s.fn} | {_pct(s.precision)} | {_pct(s.recall)} |")
    return "\n".join(lines)


def timing(results: list[CaseResult]) -> str:
    """Per page: the whole check, the parse every check pays, and the text axes alone, with the text axes'
    time as a ratio of the parse (machine load moves both alike)."""

    def median_ms(seconds: list[float]) -> float:
        return sorted(seconds)[len(seconds) // 2] * 1000

    whole = median_ms([r.seconds for r in results])
    parse = median_ms([r.parse_seconds for r in results])
    text = median_ms([r.text_seconds for r in results])
    worst = max(r.text_seconds for r in results) * 1000
    return (
        f"median per page over {len(results)} pages: check_page {whole:.1f} ms; parse {parse:.1f} ms; text axes "
        f"{text:.1f} ms (max {worst:.1f} ms) = {text / parse:.2f}x the parse"
    )


def describe(result: CaseResult) -> dict[str, Any]:
    """One case's outcome for a report or a failing test's message."""
    return {
        "case": result.case.name,
        "axes": result.report.axis_scores,
        "failures": [(f.axis, f.message, f.evidence) for f in result.report.failures],
    }


# The axis each judge question measures (the judge's own "publishable" stands for the page as a whole).
QUESTION_AXES: dict[str, str] = {
    "speaks_to_visitor": "personalisation",
    "addresses_need": "personalisation",
    "no_recital": "personalisation",
    "seller_voice": "integrity",
    "no_instructions": "integrity",
    "no_self_harm": "integrity",
    "complete_sentences": "integrity",
    "call_to_action": "brand",
}
JUDGED_AXES = ("integrity", "personalisation", "brand")


@dataclass
class JudgedCase:
    case: Case
    result: JudgeResult | None
    error: str | None = None

    @property
    def wrong(self) -> set[str]:
        """The questions the judge answered as a flawed page would."""
        if self.result is None:
            return set()
        return {f.check.removeprefix("judge.") for f in self.result.axis.findings if not f.passed}

    @property
    def flagged(self) -> set[str]:
        return {QUESTION_AXES[q] for q in self.wrong if q in QUESTION_AXES}


def judge_agreement(judged: list[JudgedCase]) -> dict[str, AxisStats]:
    """Per axis (through `QUESTION_AXES`) and for the page as a whole ("any defect": the judge answered any
    question wrong on a page with a labelled defect), the judge's true and false flags against the labels.
    Cases the judge could not answer are left out."""
    stats = {a: AxisStats() for a in (*JUDGED_AXES, "any defect")}
    for j in judged:
        if j.result is None:
            continue
        for axis in JUDGED_AXES:
            stats[axis].count(j.case.name, axis in j.case.axes, axis in j.flagged)
        stats["any defect"].count(j.case.name, bool(j.case.axes), bool(j.wrong))
    return stats


def question_rates(judged: list[JudgedCase]) -> str:
    """How often each question got the flawed answer, on good pages and on flawed ones: a question a judge
    answers the same way on both measures nothing."""
    answered = [j for j in judged if j.result is not None]
    good = [j for j in answered if not j.case.axes]
    bad = [j for j in answered if j.case.axes]
    lines = ["| question | flagged on good pages | flagged on flawed pages |", "|---|---|---|"]
    for qid, _, _ in CHECKLIST:
        g = sum(qid in j.wrong for j in good)
        b = sum(qid in j.wrong for j in bad)
        lines.append(f"| {qid} | {g}/{len(good)} | {b}/{len(bad)} |")
    return "\n".join(lines)


def preference_reports(pset: PreferenceSet, render: bool = True) -> dict[str, QualityReport]:
    """The verdict on every page of a preference set, checked as a run's page is (rendered by default)."""
    scenario_of = page_scenarios(pset.pages)
    return {
        page.id: check_page(pset.html(page), sources_for(scenario_of(page), page.profile), render=render)
        for page in pset.pages
    }


def _rate(agree: int, pairs: int) -> str:
    return f"{agree}/{pairs}" + (f" ({agree / pairs:.0%})" if pairs else "")


def preference_table(pset: PreferenceSet, reports: dict[str, QualityReport]) -> str:
    """A Markdown table, per split: the raters' agreement with each other (the ceiling), and the verdict's
    agreement with their shared order, on every pair and on the decisive ones (big model vs decomposed)."""
    keys = keys_for(pset.pages, lambda p: (reports[p.id].publishable, reports[p.id].score))
    lines = [
        "| split | pages | raters | raters agree | verdict agrees | decisive: raters | decisive: verdict | ties |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split in [*pset.splits, None]:
        pages = pset.in_split(split)
        if not pages:
            continue
        raters = rater_agreement(pset, split)
        verdict = agreement(pset, keys, split)
        lines.append(
            f"| {split or 'all'} | {len(pages)} | {len(pset.raters(split))} | {_rate(raters.agree, raters.pairs)} "
            f"| {_rate(verdict.agree, verdict.pairs)} | {_rate(raters.decisive_agree, raters.decisive_pairs)} "
            f"| {_rate(verdict.decisive_agree, verdict.decisive_pairs)} | {verdict.ties} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("tests/quality_cases")
    if not (folder / "cases.json").is_file():
        print(f"No cases.json in {folder}: pass the folder of a labelled set (e.g. tests/quality_cases).")
        return 2
    results = run_cases(load_cases(folder))
    stats = axis_stats(results, counted_axes([r.case for r in results]))
    print(f"{len(results)} pages, {sum(1 for r in results if not r.case.axes)} good\n")
    print(table(stats))
    for axis, s in stats.items():
        for name in s.false_positives:
            print(f"  {axis} false positive: {name}")
        for name in s.misses:
            print(f"  {axis} missed: {name}")
    print("\n" + timing(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

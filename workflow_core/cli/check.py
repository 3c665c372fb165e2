"""`decompose check PAGE.html --scenario DIR [--profile ID] [--judge REF] [--weights A=W,...] [--json]`: the
quality axes of any page, one made here or elsewhere (a user's current landing page)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.nodes.retrieve import default_passages
from workflow_core.quality import QualityReport, Sources, check_page
from workflow_core.quality.axes import in_order
from workflow_core.quality.judge import JudgeResult, judge_page
from workflow_core.quality.model import blocking, is_blocking, parse_weights, report_of
from workflow_core.scenario import load_scenario


def _read_page(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise DecomposeError(f"{path} is not a file: give the path of the page's HTML.")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DecomposeError(f"{path} is not UTF-8 text: save the page as UTF-8 HTML.") from None


def _judge(html: str, sources: Sources, ref: str) -> JudgeResult:
    from workflow_core.workspace import new_engine

    engine = new_engine()

    async def go() -> JudgeResult:
        async with engine:
            return await judge_page(html, sources, ref, engine.registry, engine.prices, engine.store)

    return asyncio.run(go())


def cmd_check(args: argparse.Namespace) -> int:
    try:
        weights = parse_weights(args.weights) if args.weights else None
    except ValueError as exc:
        raise DecomposeError(f"--weights: {exc}") from None
    html = _read_page(args.page)
    scenario = load_scenario(args.scenario)
    if args.profile is not None and args.profile not in scenario.profiles:
        known = ", ".join(scenario.profiles) or "none"
        raise DecomposeError(f"profile '{args.profile}' is not in {args.scenario}; profiles there: {known}.")
    passages = default_passages(scenario, args.profile) if args.profile else []
    sources = Sources.of(scenario, args.profile, passages)
    report = check_page(html, sources, weights=weights)
    judged = _judge(html, sources, args.judge) if args.judge else None
    if judged is not None:
        report = report_of([*report.axes.values(), judged.axis], weights, report.screenshots, report.checker)
    if args.json:
        print(json.dumps(as_json(report, judged), indent=2, ensure_ascii=False))
    else:
        print(as_text(report, judged, show_passed=args.all))
    return 0


def as_json(report: QualityReport, judged: JudgeResult | None = None) -> dict[str, Any]:
    """{"score", "publishable", "axes": {name: score}, "weights", "checker", "notes", "findings": [{axis, check,
    passed, blocking, message, evidence}], "judge": {model, cost_usd, cached} when judged}. `blocking` marks the
    failing findings that keep the page from being published."""
    out: dict[str, Any] = {
        "score": report.score,
        "publishable": report.publishable,
        "axes": report.axis_scores,
        "weights": report.weights,
        "checker": report.checker,
        "notes": report.notes,
        "findings": [
            {
                "axis": f.axis,
                "check": f.check,
                "passed": f.passed,
                "blocking": is_blocking(f),
                "message": f.message,
                "evidence": f.evidence,
            }
            for f in report.findings
        ],
    }
    if judged is not None:
        out["judge"] = {"model": judged.model, "cost_usd": judged.cost_usd, "cached": judged.cached}
    return out


def as_text(report: QualityReport, judged: JudgeResult | None = None, *, show_passed: bool = False) -> str:
    stopping = blocking(report.findings)
    verdict = (
        "publishable"
        if not stopping
        else f"NOT publishable: {len(stopping)} blocking finding(s), marked ⛔ (the score is half the axes' mean, a quarter with a defect of presentation)"
    )
    lines = [f"quality {report.score:.2f} over {len(report.axes)} axes: {verdict}"]
    for name in in_order(report.axes):
        axis = report.axes[name]
        failed = axis.failures
        lines.append(
            f"  {name:<16} {axis.score:.2f}  weight {report.weights.get(name, 0):g}  {len(failed)} finding(s)"
        )
        if axis.note:
            lines.append(f"      note: {axis.note}")
        for f in axis.findings if show_passed else failed:
            mark = "✓" if f.passed else "⛔" if is_blocking(f) else "✗"
            lines.append(f"      {mark} {f.check}: {f.message}")
            if f.evidence:
                lines.append(f"        “{f.evidence}”")
    if judged is not None:
        cost = "cached, $0" if judged.cached else f"${judged.cost_usd:.6f}"
        lines.append(f"judge {judged.model}: {cost} (not part of any workflow's cost)")
    return "\n".join(lines)

"""A quality axis is one registration (`quality.axes.register_axis`): a toy axis registered here, and nowhere
else, is measured by `check_page`, weighed by the user's weights (which validation accepts), made blocking,
counted and timed by calibration, and shown by the reports (the CLI's, the lab's intervals, the Run page's
axis metrics) in the registry's order. Unregistered, every one of them refuses or ignores it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from studio import quality_view
from tests.helpers import COMPANY, OFFERINGS, TESTIMONIALS, realistic_page
from workflow_core.cli.check import as_json, as_text
from workflow_core.lab.intervals import axis_intervals, run_quality
from workflow_core.quality import Sources, check_page
from workflow_core.quality.axes import Axis, PageToCheck, axes, in_order, register_axis, unregister_axis
from workflow_core.quality.calibrate import Case, axis_stats, calibrated_axes, counted_axes, run_cases, table
from workflow_core.quality.model import check_weights, effective_weights, is_blocking, parse_weights
from workflow_core.quality.version import checker_version
from workflow_core.records import AxisResult, QAFinding, RunRecord
from workflow_core.workspace import Settings

TOY = "headline_tag"
WITH_H1 = realistic_page()
WITHOUT_H1 = re.sub(r"<(/?)h1\b", r"<\1h2", WITH_H1)
SOURCES = Sources(
    company=COMPANY,
    testimonials=TESTIMONIALS,
    offerings={
        "agriculture": "\n".join(f"- {o['name']}: {o['price']}. {o['description']}" for o in OFFERINGS)
    },
)


def has_h1(p: PageToCheck) -> AxisResult:
    """The toy axis: 1.0 when the page has an <h1>, else 0.0 with a finding that says so."""
    found = next(p.page.root.iter("h1"), None) is not None
    finding = QAFinding(
        check=f"{TOY}.h1",
        axis=TOY,
        passed=found,
        message="the page has a top-level heading" if found else "add an <h1> that says what the page offers",
        evidence="" if found else next((b.text for b in p.text.blocks if b.tag == "h2"), ""),
    )
    return AxisResult(axis=TOY, score=1.0 if found else 0.0, findings=[finding])


@pytest.fixture
def toy_axis() -> Iterator[Axis]:
    axis = register_axis(
        Axis(TOY, "whether the page has an <h1>", default_weight=3.0, blocking=True, measure=has_h1)
    )
    yield axis
    unregister_axis(TOY)


def test_an_unregistered_axis_is_refused_and_never_measured() -> None:
    assert TOY not in axes()
    with pytest.raises(ValueError, match=f"unknown quality axis {TOY}"):
        check_weights({TOY: 1.0})
    assert TOY not in check_page(WITHOUT_H1, SOURCES, render=False).axes


def test_check_page_measures_the_toy_axis_under_its_weight(toy_axis: Axis) -> None:
    good, bad = check_page(WITH_H1, SOURCES, render=False), check_page(WITHOUT_H1, SOURCES, render=False)
    assert good.axes[TOY].score == 1.0 and bad.axes[TOY].score == 0.0
    assert list(bad.axes)[-1] == TOY  # after the built-in axes: the registry's order
    assert bad.weights[TOY] == 3.0
    (failed,) = [f for f in bad.failures if f.axis == TOY]
    assert failed.evidence and is_blocking(failed)
    # The user's weight for it is accepted and moves the score.
    assert check_weights({TOY: 0.5}) == {TOY: 0.5} and parse_weights(f"{TOY}=0.5,brand=1") == {
        TOY: 0.5,
        "brand": 1.0,
    }
    assert Settings(quality_weights={TOY: 0.5}).quality_weights == {TOY: 0.5}
    assert effective_weights()[TOY] == 3.0
    light = check_page(WITHOUT_H1, SOURCES, weights={TOY: 0.5}, render=False)
    heavy = check_page(WITHOUT_H1, SOURCES, weights={TOY: 9.0}, render=False)
    assert light.weights[TOY] == 0.5 and heavy.weights[TOY] == 9.0
    assert 0 < heavy.score < light.score


def test_the_checker_version_changes_with_the_registered_axes(toy_axis: Axis) -> None:
    with_toy = checker_version()
    unregister_axis(TOY)
    assert checker_version() != with_toy
    register_axis(toy_axis)
    assert checker_version() == with_toy


def test_calibration_counts_and_times_the_toy_axis(toy_axis: Axis) -> None:
    cases = [
        Case("good", WITH_H1, SOURCES, None, [], None),
        Case("no-h1", WITHOUT_H1, SOURCES, "no_headline", [TOY], "good"),
    ]
    assert calibrated_axes()[-1] == TOY and counted_axes(cases)[-1] == TOY
    results = run_cases(cases)
    assert all(r.text_seconds > 0 for r in results)
    stats = axis_stats(results)
    assert (stats[TOY].tp, stats[TOY].fp, stats[TOY].fn) == (1, 0, 0)
    assert f"| {TOY} | 1 | 0 | 0 | 1.00 | 1.00 |" in table(stats)


def _run(run_id: str, html: str) -> RunRecord:
    return RunRecord(run_id=run_id, workflow="w", started_at=0, qa=check_page(html, SOURCES, render=False))


def test_the_reports_show_the_toy_axis_in_the_registry_order(toy_axis: Axis) -> None:
    bad = check_page(WITHOUT_H1, SOURCES, render=False)
    text = as_text(bad)
    assert f"  {TOY:<16} 0.00  weight 3  1 finding(s)" in text
    assert as_json(bad)["axes"][TOY] == 0.0 and as_json(bad)["weights"][TOY] == 3.0
    runs = [_run("a", WITH_H1), _run("b", WITHOUT_H1)]
    intervals = axis_intervals(runs)
    assert list(intervals)[-1] == TOY and intervals[TOY].mean == 0.5 and intervals[TOY].n == 2
    assert in_order([TOY, "substance", "zz-retired"]) == ["substance", TOY, "zz-retired"]
    # The Run page's QA tab: one metric per axis, with the axis's own description as its help.
    lines = quality_view.axis_lines(runs[1])
    assert lines[-1] == quality_view.AxisLine(TOY, 0.0, 1, "whether the page has an <h1>")
    assert run_quality(runs[1], {TOY: 0.0}) != run_quality(runs[1], {TOY: 9.0})


def test_a_stored_run_keeps_an_axis_the_registry_no_longer_has(toy_axis: Axis) -> None:
    run = _run("b", WITHOUT_H1)
    unregister_axis(TOY)
    again = RunRecord.model_validate_json(run.model_dump_json())
    assert again.qa_axes[TOY] == 0.0
    line = quality_view.axis_lines(again)[-1]
    assert (line.name, line.help) == (TOY, "")

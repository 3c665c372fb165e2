"""Quality with its uncertainty: t intervals by hand, the headline's rule (claim a difference only when the
95% intervals do not overlap) and the axis weights the lab applies to stored runs."""

from __future__ import annotations

import math
import statistics

import pytest

from workflow_core.lab.analysis import quality_claim
from workflow_core.lab.intervals import axis_intervals, clearly_differ, interval, run_quality
from workflow_core.records import RunRecord


def test_interval_is_students_t_by_hand() -> None:
    xs = [0.7, 0.8, 0.9]
    iv = interval(xs)
    assert iv is not None and iv.n == 3
    half = 4.303 * statistics.stdev(xs) / math.sqrt(3)  # t(0.975, 2) = 4.303
    assert iv.mean == pytest.approx(0.8)
    assert iv.low == pytest.approx(0.8 - half) and iv.high == pytest.approx(min(1.0, 0.8 + half))
    assert interval([]) is None
    one = interval([0.6])
    assert one is not None and (one.low, one.high, one.n) == (0.6, 0.6, 1) and one.text() == "0.60 (n=1)"


def test_a_difference_is_claimed_only_when_intervals_do_not_overlap() -> None:
    high, low = interval([0.90, 0.92, 0.91, 0.93]), interval([0.60, 0.62, 0.61, 0.63])
    noisy = interval([0.5, 0.95, 0.7])
    assert clearly_differ(high, low)
    assert not clearly_differ(high, noisy)
    assert not clearly_differ(interval([0.9]), interval([0.1]))  # n=1 never supports a claim
    assert quality_claim(high, low).endswith(": higher")
    assert quality_claim(low, high).endswith(": lower")
    assert "no clear difference" in quality_claim(high, noisy)
    assert quality_claim(interval([0.9]), low).endswith("too few runs to tell")


def _run(axes: dict[str, float]) -> RunRecord:
    return RunRecord(run_id="r", workflow="w", started_at=0, qa_score=0.0, qa_axes=axes)


def test_weights_change_a_runs_quality_and_axes_are_summarised_apart() -> None:
    run = _run({"grounding": 1.0, "integrity": 0.0})
    assert run_quality(run) == pytest.approx(0.5)  # both weigh 2.0 by default
    assert run_quality(run, {"integrity": 0.0}) == pytest.approx(1.0)
    assert run_quality(run, {"grounding": 3.0, "integrity": 1.0}) == pytest.approx(0.75)
    legacy = RunRecord(run_id="r", workflow="w", started_at=0, qa_score=0.42)
    assert run_quality(legacy) == 0.42
    axes = axis_intervals([_run({"grounding": 0.5, "brand": 1.0}), _run({"grounding": 1.0})])
    assert list(axes) == ["grounding", "brand"]
    assert axes["grounding"].n == 2 and axes["brand"].n == 1


def test_a_run_checked_before_the_verdict_keeps_its_mean_and_says_nothing_of_publishing() -> None:
    from workflow_core.quality.model import page_score, publishable
    from workflow_core.records import QAFinding

    cut = QAFinding(check="integrity.truncation", axis="integrity", passed=False, message="cut")
    legacy = RunRecord(run_id="r", workflow="w", started_at=0, qa_axes={"integrity": 0.75}, qa_findings=[cut])
    assert run_quality(legacy) == 0.75 and publishable(legacy.qa_axes, legacy.qa_findings) is None
    checked = {"integrity": 0.75, "substance": 1.0}
    assert page_score(checked, [cut]) == pytest.approx(0.5 * (0.75 * 2 + 1.0 * 2) / 4)
    assert publishable(checked, [cut]) is False

"""The labelled set in tests/quality_cases: every injected defect is found on its axis, every good page
outscores each of its defective twins on that axis and overall, and good pages fail nothing on the text axes."""

from pathlib import Path

import pytest

from workflow_core.quality.calibrate import (
    CaseResult,
    axis_stats,
    calibrated_axes,
    describe,
    load_cases,
    main,
    run_cases,
)

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "quality_cases"


@pytest.fixture(scope="module")
def results() -> list[CaseResult]:
    return run_cases(load_cases(CASES, ROOT))


def test_the_set_covers_every_defect_on_both_kinds_of_page(results):
    good = [r for r in results if r.case.defect is None]
    assert len(good) >= 4
    assert {r.case.name.rsplit("-", 1)[-1] for r in good} == {"ds", "plain"}
    defects = {r.case.defect for r in results if r.case.defect}
    assert defects >= {
        "invented_figure",
        "invented_contact",
        "visitor_voice",
        "negative_claim",
        "leaked_instruction",
        "profile_recital",
        "truncated",
        "template_residue",
    }
    assert {d for d in defects if d.startswith("issue8_")} == {
        "issue8_leaked_headline",
        "issue8_profile_band",
        "issue8_no_track_record",
        "issue8_visitor_as_seller",
    }


def test_good_pages_fail_nothing_on_the_text_axes(results):
    for r in results:
        if r.case.defect is None:
            bad = [f for f in r.report.failures if f.axis in calibrated_axes()]
            assert not bad, describe(r)


def test_each_defect_is_found_on_its_axis_with_quoted_evidence(results):
    for r in results:
        for axis in r.case.axes:
            failures = [f for f in r.report.failures if f.axis == axis]
            assert failures, describe(r)
            # A tel: link is quoted by its text and href; a blank page has no text to quote, and what a
            # skeleton lacks (a segment, an offering, a call to action) is not on it to quote.
            missing = r.case.defect == "issue22_skeleton" and axis != "substance"
            if r.case.defect not in ("invented_contact", "issue22_blank") and not missing:
                assert all(f.evidence and f.evidence[:20] in r.case.html for f in failures), describe(r)


def test_good_pages_outscore_their_twins_on_the_axis_and_overall(results):
    good = {r.case.name: r for r in results if r.case.defect is None}
    for r in results:
        if r.case.clean is None:
            continue
        clean = good[r.case.clean]
        for axis in r.case.axes:
            assert clean.report.axis_scores[axis] > r.report.axis_scores[axis], describe(r)
        assert clean.report.score > r.report.score, describe(r)


def test_issue_8_failures_are_named(results):
    by_name = {r.case.name: r for r in results}
    leaked = by_name["ridgeline-dana-ds--issue8_leaked_headline"].report.failures
    assert {f.check for f in leaked} >= {"integrity.meta", "integrity.truncation"}
    assert any("where we design landing pages" in f.evidence for f in leaked)
    band = by_name["ridgeline-dana-ds--issue8_profile_band"].report.failures
    assert any(f.check == "personalisation.recital" and "Dana Whitfield is Head" in f.evidence for f in band)
    assert any(f.axis == "personalisation" and "Goals: Lift haul truck" in f.evidence for f in band)
    track = by_name["northbeam-priya-ds--issue8_no_track_record"].report.failures
    quoted = {f.evidence for f in track if f.check == "integrity.negative"}
    assert {"No proven track record", "We do not have a proven track record."} <= quoted
    seller = by_name["northbeam-priya-plain--issue8_visitor_as_seller"].report.failures
    assert any(f.check == "integrity.voice" and "At Example Corp Mining, we" in f.evidence for f in seller)


def test_precision_and_recall_table(results, capsys):
    stats = axis_stats(results)
    for axis in calibrated_axes():
        assert stats[axis].recall == 1.0 and stats[axis].precision == 1.0, (axis, stats[axis])
    assert main([str(CASES)]) == 0
    out = capsys.readouterr().out
    assert "| grounding | 8 | 0 | 0 | 1.00 | 1.00 |" in out
    assert "text axes" in out and "x the parse" in out
    assert main([str(ROOT / "docs")]) == 2
    assert "No cases.json in" in capsys.readouterr().out

"""The preference set: the raters' shared order, their agreement with each other, and how often an order
agrees with them (on every pair and on the decisive big-vs-decomposed ones), on a small set written here."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from workflow_core.errors import DecomposeError
from workflow_core.quality.preference import (
    agreement,
    first_places,
    load_preference_set,
    mean_scores,
    pairs,
    rater_agreement,
    verdict_key,
)


def _write_set(folder: Path, rankings: dict[str, list[str]]) -> None:
    pages = [
        {"id": f"t/{v}", "file": f"{v}.html", "split": "t", "scenario": "s", "profile": "p", "variant": v}
        for v in ("single", "seed", "deep")
    ]
    (folder / "ratings").mkdir()
    for rater, ranking in rankings.items():
        visitors = {"s/p": {"ranking": [f"t/{v}" for v in ranking], "scores": {f"t/{ranking[0]}": 6}}}
        (folder / "ratings" / f"{rater}.json").write_text(json.dumps({"rater": rater, "visitors": visitors}))
    manifest = {
        "big": ["single"],
        "decomposed": ["seed", "deep"],
        "splits": {"t": "test"},
        "pages": pages,
        "ratings": [f"ratings/{r}.json" for r in rankings],
    }
    (folder / "set.json").write_text(json.dumps(manifest))


def test_shared_order_is_the_pairs_every_rater_ranks_alike(tmp_path: Path) -> None:
    _write_set(tmp_path, {"r1": ["single", "seed", "deep"], "r2": ["single", "deep", "seed"]})
    pset = load_preference_set(tmp_path)
    found = {(p.a, p.b): p for p in pairs(pset)}
    assert found[("t/deep", "t/single")].better == "t/single" and found[("t/deep", "t/single")].decisive
    assert found[("t/seed", "t/single")].better == "t/single"
    assert found[("t/deep", "t/seed")].better is None and not found[("t/deep", "t/seed")].decisive
    raters = rater_agreement(pset)
    assert (raters.agree, raters.pairs, raters.decisive_agree, raters.decisive_pairs) == (2, 3, 2, 2)
    assert mean_scores(pset, "t") == {"single": 6.0} and first_places(pset) == {"single": 2}


def test_an_order_agrees_only_where_it_ranks_the_shared_winner_strictly_higher(tmp_path: Path) -> None:
    _write_set(tmp_path, {"r1": ["single", "seed", "deep"], "r2": ["single", "seed", "deep"]})
    pset = load_preference_set(tmp_path)
    # A publishable page outranks any unpublishable one, whatever the scores.
    keys = {
        "t/single": verdict_key(True, 0.6),
        "t/seed": verdict_key(False, 0.9),
        "t/deep": verdict_key(False, 0.9),
    }
    got = agreement(pset, keys)
    assert (got.agree, got.pairs, got.decisive_agree, got.decisive_pairs) == (2, 3, 2, 2)
    assert got.ties == 1 and got.misses == [("t/seed", "t/deep")]  # a tie is not agreement
    assert got.rate == pytest.approx(2 / 3) and got.decisive_rate == 1.0


def test_a_broken_set_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DecomposeError, match=r"no set\.json"):
        load_preference_set(tmp_path)
    _write_set(tmp_path, {"r1": ["single", "seed", "deep"]})
    rating = tmp_path / "ratings" / "r1.json"
    rating.write_text(rating.read_text().replace("t/deep", "t/nowhere"))
    with pytest.raises(DecomposeError, match="ranks pages the set does not have: t/nowhere"):
        load_preference_set(tmp_path)


# ---- the shipped preference set (tests/quality_cases/preference)

SHIPPED = Path(__file__).parent / "quality_cases" / "preference"
TUNED_AT_LEAST = (
    24 / 32
)  # the verdict's agreement on the split its rules were tuned on, when they were frozen


@pytest.fixture(scope="module")
def shipped() -> tuple[object, dict[str, object]]:
    from workflow_core.quality.calibrate import preference_reports

    pset = load_preference_set(SHIPPED)
    # Rendered in Chromium as the lab measures them: only the splits the tests below read (the held-out ones and
    # the tune split), about 100 of the set's 165 pages.
    read = {*pset.held_out, "tune"}
    return pset, preference_reports(
        replace(pset, pages=[p for p in pset.pages if p.split in read]), render=True
    )


def test_the_shipped_set_is_what_the_issue_asks_for(shipped) -> None:
    pset, _ = shipped
    for split in ("tune", "holdout", "holdout2"):
        pages = pset.in_split(split)
        assert len(pages) >= 24 and len({p.variant for p in pages}) >= 4
        assert len({p.visitor for p in pages}) >= 6 and len({p.scenario for p in pages}) >= 2
        assert len(pset.raters(split)) >= 2
        # Every visitor's pages were ranked whole by every rater of the split, with a score and a reason each.
        for visitor in {p.visitor for p in pages}:
            ids = {p.id for p in pages if p.visitor == visitor}
            ratings = [r for r in pset.ratings if r.visitor == visitor]
            assert len(ratings) >= 2 and all(set(r.ranking) == ids for r in ratings)
            assert all(set(r.scores) == ids and set(r.reasons) == ids for r in ratings)
    # The held-out pages come from scenarios written for the set, which the tuned pages never used.
    tuned = {p.scenario for p in pset.in_split("tune")}
    held = {p.scenario for p in pset.in_split("holdout")}
    assert not tuned & held and all(s.startswith("tests/quality_cases/scenarios/") for s in held)
    # The second held-out split brings visitors of its own to the shipped scenarios: none is a shipped visitor
    # or one the tuned pages were made for, and the verdict reads them in place of the scenario's profiles.
    from workflow_core.quality.preference import page_scenarios
    from workflow_core.scenario import load_scenario

    new = pset.in_split("holdout2")
    scenario_of = page_scenarios(new)
    assert len({p.visitor for p in new}) == 9 and len({p.scenario for p in new}) == 3
    for page in new:
        assert page.visitors and page.profile in scenario_of(page).profiles
        assert page.profile not in load_scenario(page.scenario).profiles
    assert not {p.profile for p in new} & {p.profile for p in pset.in_split("tune")}
    # The third to twelfth bring nine more each, none of them a visitor of another split; three variants each
    # (four in holdout6, holdout7, holdout9 and holdout11 to holdout14, five in holdout10 and holdout15).
    for split, variants in (
        ("holdout3", 3),
        ("holdout4", 3),
        ("holdout5", 3),
        ("holdout6", 4),
        ("holdout7", 4),
        ("holdout8", 3),
        ("holdout9", 4),
        ("holdout10", 5),
        ("holdout11", 4),
        ("holdout12", 4),
        ("holdout13", 4),
        ("holdout14", 4),
        ("holdout15", 5),
    ):
        more = pset.in_split(split)
        # holdout9 adds seed-dist-prev (seed-dist's model output built before the lead-offer rule) for the two
        # visitors whose page it changed; holdout10 seed-dist-nolift (built leaving out lifted challenge cards)
        # for the six whose page that changed; holdout11 seed-dist-norefuse (seed-dist before offerings the
        # visitor turned down were left out) for the three whose page that changed; holdout13 seed-dist-prevhero
        # (seed-dist before the hero presented the offer it names) for all nine; holdout14 seed-dist-noseg
        # (seed-dist before the segment was read from the offerings a visitor asks for) for the four it changed.
        extra = [
            p
            for p in more
            if p.variant
            in (
                "seed-dist-prev",
                "seed-dist-nolift",
                "seed-dist-norefuse",
                "seed-dist-prevhero",
                "seed-dist-noseg",
            )
        ]
        assert len(extra) == {
            "holdout9": 2,
            "holdout10": 6,
            "holdout11": 3,
            "holdout13": 9,
            "holdout14": 4,
        }.get(split, 0)
        assert len(more) == 9 * variants + len(extra) and len({p.variant for p in more}) == variants + bool(
            extra
        )
        assert len(pset.raters(split)) >= 2
        assert len({p.visitor for p in more}) == 9 and len({p.scenario for p in more}) == 3
        others = {p.profile for p in pset.pages if p.split != split}
        for page in more:
            assert page.visitors and page.profile in page_scenarios(more)(page).profiles
            assert page.profile not in load_scenario(page.scenario).profiles and page.profile not in others
    # Rules were written from holdout2's pages, then from holdout3's, and the wants axis was chosen on every
    # split to holdout5: all tuning splits now; holdout6's to holdout8's pages were made and rated after that
    # choice, with no rule written from any of them.
    assert set(pset.held_out) == {
        "holdout",
        "holdout6",
        "holdout7",
        "holdout8",
        "holdout9",
        "holdout10",
        "holdout12",
        "holdout14",
        "holdout15",
    }
    assert {"holdout2", "holdout3", "holdout4", "holdout5", "holdout11", "holdout13"} <= pset.tuned


def test_the_verdict_agrees_with_blind_raters_as_the_lab_says(shipped) -> None:
    """The lab's headline quotes the weakest of HELD_OUT: each must be what the verdict measures now, so a rule
    change that moves agreement on held-out pages fails here until HELD_OUT (and the docs) say so."""
    from workflow_core.lab.analysis import quality_basis
    from workflow_core.quality.preference import HELD_OUT, keys_for, weakest_held_out

    pset, reports = shipped
    checked = [p for p in pset.pages if p.id in reports]
    keys = keys_for(checked, lambda p: (reports[p.id].publishable, reports[p.id].score))
    assert {m.split for m in HELD_OUT} == set(pset.held_out)
    for expected in HELD_OUT:
        held = agreement(pset, keys, expected.split)
        raters = rater_agreement(pset, expected.split)
        measured = (
            held.agree,
            held.pairs,
            held.decisive_agree,
            held.decisive_pairs,
            raters.agree,
            raters.pairs,
        )
        assert measured == (
            expected.agree,
            expected.pairs,
            expected.decisive_agree,
            expected.decisive_pairs,
            expected.raters_agree,
            expected.raters_pairs,
        ), (expected.split, [(b, keys[b], w, keys[w]) for b, w in held.misses])
    weakest = weakest_held_out()
    assert weakest is not None and all(weakest.agree / weakest.pairs <= m.agree / m.pairs for m in HELD_OUT)
    assert f"{weakest.agree}/{weakest.pairs} pairs" in quality_basis()
    tuned = agreement(pset, keys, "tune")
    assert tuned.rate is not None and tuned.rate >= TUNED_AT_LEAST, tuned.misses


def test_blank_and_skeleton_pages_score_below_every_real_page(shipped) -> None:
    from workflow_core.quality import check_page
    from workflow_core.quality.calibrate import load_cases

    _, reports = shipped
    lowest = min(r.score for r in reports.values())
    cases = {c.name: c for c in load_cases(Path(__file__).parent / "quality_cases")}
    for name in ("ridgeline-dana-ds--issue22_blank", "ridgeline-dana-ds--issue22_skeleton"):
        report = check_page(cases[name].html, cases[name].sources, render=False)
        assert report.publishable is False and report.score < lowest


def test_predict_records_the_verdict_of_a_split_once_and_only_before_it_is_rated(tmp_path: Path) -> None:
    """The held-out protocol: the verdict on a split's pages is written down (and committed) before the raters'
    packet goes out. `collect predict` writes it with the checker's version, and refuses to write it again or
    to write it for a split someone has rated."""
    from tests.helpers import realistic_page
    from tests.quality_cases.preference.collect import predict
    from workflow_core.quality.version import checker_version

    pages = []
    for variant in ("single-spec", "seed"):
        (tmp_path / f"{variant}.html").write_text(realistic_page(), encoding="utf-8")
        pages.append(
            {"id": f"new/dana--{variant}", "file": f"{variant}.html", "split": "new",
             "scenario": "assets/example_scenario", "profile": "dana-mining", "variant": variant}
        )  # fmt: skip
    manifest = {
        "big": ["single-spec"],
        "decomposed": ["seed"],
        "splits": {"new": "x"},
        "pages": pages,
        "ratings": [],
    }
    (tmp_path / "set.json").write_text(json.dumps(manifest))
    with pytest.raises(DecomposeError, match="no pages of split 'old'"):
        predict("old", tmp_path, render=False)
    out = predict("new", tmp_path, render=False)
    recorded = json.loads(out.read_text())
    assert recorded["split"] == "new" and recorded["checker"] == checker_version()
    assert set(recorded["pages"]) == {"new/dana--single-spec", "new/dana--seed"}
    assert all(
        isinstance(v["publishable"], bool) and 0 <= v["score"] <= 1 for v in recorded["pages"].values()
    )
    with pytest.raises(DecomposeError, match="already recorded"):
        predict("new", tmp_path, render=False)
    out.unlink()
    (tmp_path / "ratings").mkdir()
    rating = {"s/p": {"ranking": ["new/dana--seed", "new/dana--single-spec"], "scores": {}}}
    (tmp_path / "ratings" / "r.json").write_text(json.dumps({"rater": "r", "visitors": rating}))
    (tmp_path / "set.json").write_text(json.dumps({**manifest, "ratings": ["ratings/r.json"]}))
    with pytest.raises(DecomposeError, match="already has ratings"):
        predict("new", tmp_path, render=False)
    assert not out.exists()

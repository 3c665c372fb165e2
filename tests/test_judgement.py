"""People's judgement: Bradley–Terry ratings against a hand computation, informative pair choice, votes in
SQLite (migration, no duplicates), CSV merge, the people axis in the lab's analysis, and the agreement of a
judge with people."""

from __future__ import annotations

import math
import random
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import hand_made_experiment
from workflow_core.judgement.agreement import agreement
from workflow_core.judgement.axis import MIN_VOTES_PER_VARIANT, enough_votes, with_people_axis
from workflow_core.judgement.pairs import next_matchup
from workflow_core.judgement.ratings import rate
from workflow_core.judgement.transfer import export_votes, import_votes, parse_votes_csv, votes_csv
from workflow_core.judgement.votes import Vote, VoteError, load_votes, save_votes
from workflow_core.lab.analysis import analyse
from workflow_core.lab.export import report_html
from workflow_core.pricing.book import PriceBook
from workflow_core.quality.axes import default_weights
from workflow_core.run.store import Store


def vote(left: str, right: str, winner: str, at: float, *, judge: str | None = None, voter: str = "") -> Vote:
    return Vote(
        experiment_id="exp1",
        profile="ana",
        left_variant=left,
        right_variant=right,
        left_run=f"{left}-ana",
        right_run=f"{right}-ana",
        winner=winner,  # type: ignore[arg-type]
        created_at=at,
        judge=judge,
        voter=voter,
    )


# A vote set whose maximum-likelihood strengths are known by hand. With one virtual tie per pair (half a win
# each way) the win counts become A:B = 2:1 (A won 1, tied 1), B:C = 2:1 (B won 1, tied 1) and A:C = 4:1
# (A won 3, tied 1). Strengths p = (4, 2, 1) satisfy every pair's ratio exactly, so they are the MLE:
# log-strengths centred = (ln 2, 0, −ln 2).
HAND = [
    ("A", "B", "left"),
    ("B", "A", "tie"),
    ("B", "C", "left"),
    ("C", "B", "tie"),
    ("A", "C", "left"),
    ("C", "A", "right"),
    ("A", "C", "left"),
    ("A", "C", "tie"),
]


def test_ratings_equal_a_hand_computation() -> None:
    votes = [vote(left, right, w, float(i)) for i, (left, right, w) in enumerate(HAND)]
    a, b, c = rate(votes, ["A", "B", "C"])
    assert a.strength == pytest.approx(math.log(2), abs=1e-8)
    assert b.strength == pytest.approx(0.0, abs=1e-8)
    assert c.strength == pytest.approx(-math.log(2), abs=1e-8)
    # score = mean over the others of p_i / (p_i + p_j)
    assert a.score == pytest.approx((4 / 6 + 4 / 5) / 2, abs=1e-8)
    assert b.score == pytest.approx((2 / 6 + 2 / 3) / 2, abs=1e-8)
    assert c.score == pytest.approx((1 / 5 + 1 / 3) / 2, abs=1e-8)
    assert (a.votes, a.wins, a.losses, a.ties) == (6, 4, 0, 2)
    assert (b.votes, b.wins, b.losses, b.ties) == (4, 1, 1, 2)
    assert (c.votes, c.wins, c.losses, c.ties) == (6, 0, 4, 2)
    assert a.win_rate == pytest.approx(5 / 6) and c.win_rate == pytest.approx(1 / 6)
    for r in (a, b, c):
        assert r.score_low < r.score < r.score_high
        assert r.strength_low < r.strength < r.strength_high
    # The bootstrap has a fixed seed: the same votes give the same intervals.
    assert rate(votes, ["A", "B", "C"])[0].score_low == a.score_low


def test_two_variants_and_a_clean_sweep_stay_finite() -> None:
    votes = [vote("A", "B", "left", float(i)) for i in range(3)] + [vote("B", "A", "left", 9.0)]
    a, b = rate(votes, ["A", "B"], bootstrap=0)
    # A won 3 + 0.5 virtual, B 1 + 0.5: P(A beats B) = 3.5 / 5
    assert a.score == pytest.approx(0.7, abs=1e-9) and b.score == pytest.approx(0.3, abs=1e-9)
    sweep = rate([vote("A", "B", "left", float(i)) for i in range(20)], ["A", "B"])
    assert math.isfinite(sweep[0].strength) and sweep[0].score > 0.9
    unrated = rate([], ["A", "B", "C"])
    assert [r.score for r in unrated] == [0.5, 0.5, 0.5] and all(r.votes == 0 for r in unrated)


def test_pairs_are_informative_blind_and_never_repeat_back_to_back() -> None:
    experiment = hand_made_experiment()  # single, seed, deep on ana and bo
    rng = random.Random(7)
    votes: list[Vote] = []
    last = None
    shown_left: set[str] = set()
    for i in range(6):
        m = next_matchup(experiment, votes, rng, last)
        assert m is not None
        assert m.left.variant != m.right.variant and m.pair != last
        assert m.left.html != m.right.html and m.profile in ("ana", "bo")
        shown_left.add(m.left.variant)
        votes.append(m.vote("left", "tester").model_copy(update={"created_at": float(i)}))
        last = m.pair
    counts = {
        name: sum(name in (v.left_variant, v.right_variant) for v in votes)
        for name in ("single", "seed", "deep")
    }
    assert counts == {"single": 4, "seed": 4, "deep": 4}  # fewest-compared first keeps them level
    pairs = [v.pair for v in votes]
    assert sorted(set(pairs)) == [("deep", "seed"), ("deep", "single"), ("seed", "single")]
    assert len(shown_left) > 1  # sides are random, not fixed by name
    # A pair is shown on the profile it was compared on least.
    per_pair = {}
    for v in votes:
        per_pair.setdefault(v.pair, set()).add(v.profile)
    assert all(profiles == {"ana", "bo"} for profiles in per_pair.values())


def test_votes_are_stored_once_and_an_old_database_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    Store(path).close()
    # as a database from before the votes (migration 5), the ones after it and the migrations' names
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TABLE votes; DROP TABLE node_calls; DROP TABLE _migrations; PRAGMA user_version = 3;"
    )
    db.close()
    store = Store(path)
    first = [vote("A", "B", "left", 1.0, voter="  Ana "), vote("B", "C", "tie", 2.0)]
    assert save_votes(store, first) == 2
    assert save_votes(store, first) == 0  # same content, same id
    stored = load_votes(store, "exp1")
    assert [v.voter for v in stored] == ["Ana", ""] and stored[0].winner == "left"
    assert stored[0].left_run == "A-ana" and stored[0].profile == "ana"
    save_votes(store, [vote("A", "B", "right", 3.0, judge="fake/small")])
    assert len(load_votes(store, "exp1", people_only=True)) == 2
    with pytest.raises(ValueError, match="both sides are 'A'"):
        vote("A", "A", "left", 4.0)


def test_csv_export_and_import_merge_without_duplicates(tmp_path: Path) -> None:
    laptop, desktop = Store(tmp_path / "a.sqlite3"), Store(tmp_path / "b.sqlite3")
    save_votes(laptop, [vote("A", "B", "left", 1.0, voter="Ana"), vote("A", "C", "tie", 2.0)])
    save_votes(desktop, [vote("B", "C", "right", 3.0, voter="Bo"), vote("A", "C", "tie", 2.0)])
    file = tmp_path / "votes.csv"
    assert export_votes(laptop, file) == 2
    assert import_votes(desktop, file) == (2, 1)  # the shared vote is not doubled
    assert import_votes(desktop, file) == (2, 0)
    merged = load_votes(desktop)
    assert len(merged) == 3 and {v.voter for v in merged} == {"Ana", "", "Bo"}
    again = parse_votes_csv(votes_csv(merged))
    assert [v.model_dump() for v in again] == [v.model_dump() for v in merged]


def test_a_bad_votes_file_says_which_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(VoteError, match="lacks the column"):
        parse_votes_csv("experiment_id,winner\nexp1,left\n")
    good = votes_csv([vote("A", "B", "left", 1.0)])
    broken = good.replace(",left,", ",sideways,")
    with pytest.raises(VoteError, match="line 2: winner"):
        parse_votes_csv(broken)
    with pytest.raises(VoteError, match="cannot read votes"):
        import_votes(Store(tmp_path / "s.sqlite3"), tmp_path / "missing.csv")


def test_the_people_axis_joins_the_lab_once_every_variant_has_enough_votes() -> None:
    experiment = hand_made_experiment()
    variants = ["single", "seed", "deep"]
    few = [vote("seed", "single", "left", 1.0), vote("deep", "seed", "right", 2.0)]
    assert with_people_axis(experiment, rate(few, variants)) is experiment
    many = []
    for i in range(MIN_VOTES_PER_VARIANT):
        many += [  # people prefer single, the variant with the lowest automatic QA
            vote("seed", "single", "right", 10.0 * i),
            vote("seed", "deep", "left", 10.0 * i + 1),
            vote("deep", "single", "right", 10.0 * i + 2),
        ]
    rated = rate(many, variants)
    assert enough_votes(rated)
    people = with_people_axis(experiment, rated)
    single_run = next(t.run for t in people.trials if t.variant == "single" and t.run)
    score = next(r.score for r in rated if r.variant == "single")
    assert single_run.qa_axes["people"] == pytest.approx(score, abs=1e-4)
    # The hand-made runs had only a QA score, no axes: with people as the only axis the score is its score.
    assert single_run.qa_score == pytest.approx(score, abs=1e-4)
    assert experiment.trials[0].run.qa_axes == {}  # the original is untouched
    before, after = analyse(experiment, PriceBook()), analyse(people, PriceBook())
    assert before.best_quality.variant == "seed" and after.best_quality.variant == "single"
    assert "single" in after.measured.pareto_front
    assert "QA includes the <b>people</b> axis" in report_html(after)
    assert "people</b> axis" not in report_html(before)
    # With an automatic axis beside it, people weigh their default weight against it.
    experiment.trials[0].run.qa_axes = {"accessibility": 1.0}
    mixed = with_people_axis(experiment, rated).trials[0].run
    defaults = default_weights()
    w = defaults["people"] / (defaults["people"] + defaults["accessibility"])
    assert mixed.qa_score == pytest.approx(w * mixed.qa_axes["people"] + (1 - w) * 1.0, abs=1e-4)


def test_agreement_and_position_consistency_by_hand() -> None:
    j = "fake/small"
    votes = [
        # pair A-B: the judge prefers A in both orders (consistent)
        vote("A", "B", "left", 1.0, judge=j),
        vote("B", "A", "right", 2.0, judge=j),
        # pair A-C: the judge always picks the left page (inconsistent: counts as a tie)
        vote("A", "C", "left", 3.0, judge=j),
        vote("C", "A", "left", 4.0, judge=j),
        # people
        vote("A", "B", "left", 5.0),  # agrees (A)
        vote("B", "A", "left", 6.0),  # disagrees (B)
        vote("C", "A", "tie", 7.0),  # agrees with the judge's tie
        vote("B", "C", "left", 8.0),  # a pair the judge never saw: not compared
    ]
    a = agreement(votes, j)
    assert (a.pairs_judged, a.pairs_both_orders, a.position_consistency) == (2, 2, 0.5)
    assert a.compared == 3 and a.agreement == pytest.approx(2 / 3)
    assert a.decisive == 2 and a.decisive_agreement == pytest.approx(0.5)

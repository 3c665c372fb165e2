"""The preference set: the raters' shared order, their agreement with each other, and how often an order
agrees with them (on every pair and on the decisive big-vs-decomposed ones), on a small set written here."""

from __future__ import annotations

import json
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

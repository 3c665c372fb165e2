"""Writes `set.json` from the pages and ratings in this folder, and imports a rater's answers.

    python -m tests.quality_cases.preference.collect                       # set.json from pages/ and ratings/
    python -m tests.quality_cases.preference.collect predict SPLIT         # the verdict, before any rating
    python -m tests.quality_cases.preference.collect import RAW KEY SPLIT  # a rater's letters -> page ids

Pages live at `pages/<split>/<scenario folder>/<profile>--<variant>.html`. A rater answered with the letters of
a blind packet (`make_packet.py`); KEY maps them back to pages, and the answer is written to
`ratings/<rater>.json` with page ids, keeping the rater's words. `predict` records the verdict on every page of a
split in `predictions/<split>.json` (with the checker's version and the commit) and refuses once a rating of the
split is in the set or a prediction is already recorded: commit it before the packet goes to the raters."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from tests.quality_cases.preference.make_packet import SCENARIOS

HERE = Path(__file__).parent
SPLITS = {
    "tune": "pages the rules were tuned on: the example and cycle-shop scenarios, rated blind before tuning",
    "holdout": "pages the rules were not tuned on: two scenarios written for this set (bakery, solar co-op), "
    "generated, rated and measured only after the rules were frozen",
    "holdout2": "held out until 2026-12-06, tuned on since: nine visitors written for the shipped example, "
    "cycle-shop and ledger scenarios (visitors/holdout2), pages made at 04b37b4 and rated blind; measured held out "
    "with the rules of 778f0bf (27/50), then the rules of the next stop were written from its pages and reasons",
    "holdout3": "held out until 2026-12-06, tuned on since: nine more visitors of the shipped scenarios "
    "(visitors/holdout3), pages of single-spec, seed and seed-c (seed with a copywriter node for the headline), "
    "rated blind by two new raters; measured held out with the rules of checker 1.e38cdc8eab69 (11/20), then "
    "the next rules (talk about the visitor in the third person, copy cut inside a word) were written from it",
    "holdout4": "held out until 2026-12-06, tuned on since: nine more visitors of the shipped scenarios "
    "(visitors/holdout4), pages of single-spec, seed and seed-h (seed with a copywriter that reads the visitor's "
    "goal) made on 2026-12-06 after the rules were written, rated blind by two new raters; measured held out with "
    "the rules of df9acca (14/24), then the wants axis was chosen on it with the other tuned splits",
    "holdout5": "held out until 2026-12-06, tuned on since: nine more visitors of the shipped scenarios "
    "(visitors/holdout5), pages of single-spec, seed and seed-best3 (seed with the developer's best of three "
    "candidates, picked by the verdict) made on 2026-12-06 with the same rules as holdout4 and offerings ordered "
    "by fit, rated blind by two new raters; measured held out with the rules of df9acca (9/23), then tuned on",
    "holdout6": "pages the rules were not tuned on: nine more visitors of the shipped scenarios (visitors/holdout6), "
    "pages of single-spec, seed, seed-best3 and seed-w (seed whose developer reads what the visitor wants) made on "
    "2026-12-06 after the wants axis was chosen, the verdict on every page recorded before two new raters' "
    "rankings were read (predictions/holdout6.json), measured once",
    "holdout7": "pages the rules were not tuned on: nine more visitors of the shipped scenarios (visitors/holdout7), "
    "pages of single-spec, seed, seed-dist (seed whose developer is the 0.5B with a LoRA adapter trained on the "
    "1.5B's seed pages of 24 other example-scenario visitors) and seed-big (the 1.5B as seed's developer) made on "
    "2026-12-07 with no rule changed since holdout6, the verdict on every page recorded before two new raters' "
    "rankings were read (predictions/holdout7.json), measured once",
    "holdout8": "pages the rules were not tuned on: nine more visitors of the shipped scenarios (visitors/holdout8), "
    "pages of single-spec, seed and seed-dist made on 2026-12-07 after the design system's fallback headline "
    "became the lead offer's name (no rule changed since holdout6), the verdict on every page recorded before "
    "two new raters' rankings were read (predictions/holdout8.json), measured once",
    "holdout9": "pages the rules were not tuned on: nine more visitors of the shipped scenarios (visitors/holdout9), "
    "pages of single-spec, seed, seed-dist and seed-dist8 (seed whose developer is the 0.5B with a rank-8 LoRA "
    "adapter, seed-dev6) made on 2026-12-07 after the design system began to lead with the offering that fits the "
    "visitor clearly best, and seed-dist-prev (the same seed-dist model output built by the design system before "
    "that change, kept only where the page differs); the verdict on every page recorded before two new raters' "
    "rankings were read (predictions/holdout9.json), measured once",
    "holdout10": "pages the rules were not tuned on: nine more visitors of the shipped scenarios "
    "(visitors/holdout10), pages of single-spec, seed, seed-dist, seed-dist8 and seed-big made on 2026-12-07 at "
    "a6ace07 (the lead-offer rule, a sentence said once within a field), and seed-dist-nolift (the same seed-dist "
    "model output built at e74bfdc, which leaves out challenge cards lifted in pieces from the research) where the "
    "page differs; the verdict on every page recorded before two new raters' rankings were read "
    "(predictions/holdout10.json), measured once",
    "holdout11": "held out until 2026-12-07, tuned on since: nine more visitors of the shipped scenarios "
    "(visitors/holdout11), pages of single-spec, seed, seed-dist and seed-big made on 2026-12-07 at 4facc19 "
    "(offerings the visitor turned down go last, never lead and get no card), and seed-dist-norefuse (seed-dist "
    "at a26347c, before that rule) where the page differs; the verdict on every page recorded before two new "
    "raters' rankings were read (predictions/holdout11.json), measured held out (18/60), then the refusal "
    "rule's wider reading and the verdict's refused check were written from its records and reasons",
    "holdout12": "pages the rules were not tuned on: nine more visitors of the shipped scenarios "
    "(visitors/holdout12, written by a helper told only that some visitors have things they do not want), pages "
    "of single-spec, seed, seed-dist and seed-big made on 2026-12-07 at 2b1e037 (after the rules written from "
    "holdout11), the verdict on every page recorded before two new raters' rankings were read "
    "(predictions/holdout12.json), measured once",
    "holdout13": "pages the rules were not tuned on: nine more visitors of the shipped scenarios "
    "(visitors/holdout13, written by a helper who saw no page; its cycle-shop visitors' industry is their "
    "employer's, not a kind of riding), pages of single-spec, seed, seed-dist and seed-big made on 2026-12-07 at "
    "c007c23 (a hero with nothing of its own presents the offer it names; a stock close gives way to the neutral "
    "one), and seed-dist-prevhero (seed-dist's model output built at 3a8dc41, before that change) where the page "
    "differs; the verdict on every page recorded before two new raters' rankings were read "
    "(predictions/holdout13.json), measured held out (47/84), then the segment read from the offerings a visitor "
    "asks for (scenario.segments) was written from its visitor records",
    "holdout14": "pages the rules were not tuned on: nine more visitors of the shipped scenarios "
    "(visitors/holdout14, written by a helper who saw no page), pages of single-spec, seed, seed-dist and seed-big "
    "made on 2026-12-07 at 4e022fb (after the segment read from the offerings a visitor asks for), and "
    "seed-dist-noseg (seed-dist's model output built at aa6c29a, before that change) where the page differs; the "
    "verdict on every page recorded before two new raters' rankings were read (predictions/holdout14.json), "
    "measured once",
    "holdout15": "pages the rules were not tuned on: nine more visitors of the shipped scenarios "
    "(visitors/holdout15, written by a helper who saw no page), pages of single-spec, seed, seed-dist, seed-dist7 "
    "(seed whose developer is the 0.5B with a rank-16 LoRA adapter on the attention projections only, seed-dev7) "
    "and seed-big made on 2026-12-07 at e17264a; the verdict on every page recorded before two new raters' "
    "rankings were read (predictions/holdout15.json), measured once",
}


# The splits rules were written from: holdout2 since the rules of 2026-12-06 (a headline that is the visitor's,
# the offer they lead with, their goal said as a promise) were written from its pages and reasons; holdout3 since
# the next (copy about the visitor in the third person, a word cut off); holdout4 and holdout5 since the wants
# axis and its weight were chosen on every split above (2026-12-06).
TUNED = ["tune", "holdout2", "holdout3", "holdout4", "holdout5", "holdout11", "holdout13"]


def page_id(split: str, relative: str) -> str:
    """`tune/example/dana-mining--seed` for `example/dana-mining--seed.html` of split `tune`."""
    return f"{split}/{relative.removesuffix('.html')}"


def write_set() -> None:
    pages = []
    for path in sorted((HERE / "pages").glob("*/*/*.html")):
        split, scenario = path.parts[-3], path.parts[-2]
        profile, variant = path.stem.split("--")
        page = {
            "id": page_id(split, f"{scenario}/{path.name}"),
            "file": str(path.relative_to(HERE)),
            "split": split,
            "scenario": SCENARIOS[scenario],
            "profile": profile,
            "variant": variant,
        }
        visitors = HERE / "visitors" / split / scenario
        if (visitors / f"{profile}.json").is_file():
            page["visitors"] = str(visitors.relative_to(HERE.parents[2]))
        pages.append(page)
    manifest = {
        "big": ["single", "single-spec"],
        "decomposed": [
            "seed",
            "deep",
            "seed-tuned2",
            "seed-c",
            "seed-h",
            "seed-best3",
            "seed-w",
            "seed-dist",
            "seed-dist8",
            "seed-dist7",
            "seed-dist-prev",
            "seed-dist-nolift",
            "seed-dist-norefuse",
            "seed-dist-prevhero",
            "seed-dist-noseg",
        ],
        "splits": SPLITS,
        "tuned": TUNED,
        "pages": pages,
        "ratings": sorted(str(p.relative_to(HERE)) for p in (HERE / "ratings").glob("*.json")),
    }
    (HERE / "set.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def import_ratings(raw_path: Path, key_path: Path, split: str) -> Path:
    raw = json.loads(raw_path.read_text(encoding="utf-8"))
    key = json.loads(key_path.read_text(encoding="utf-8"))
    visitors = {}
    for folder, answer in raw["visitors"].items():
        letters = key[folder]
        scenario, profile = folder.split("-", 1)
        ids = {letter: page_id(split, rel) for letter, rel in letters.items()}
        if sorted(answer["ranking"]) != sorted(ids):
            raise SystemExit(f"{raw_path}: {folder} ranks {answer['ranking']}, the packet had {sorted(ids)}")
        visitors[f"{SCENARIOS[scenario]}/{profile}"] = {
            "ranking": [ids[x] for x in answer["ranking"]],
            "scores": {ids[x]: s for x, s in answer["scores"].items()},
            "reasons": {ids[x]: r for x, r in answer["reasons"].items()},
        }
    out = HERE / "ratings" / f"{raw['rater']}.json"
    out.parent.mkdir(exist_ok=True)
    record = {"rater": raw["rater"], "persona": raw.get("persona", ""), "split": split, "visitors": visitors}
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def predict(split: str, folder: Path = HERE, *, render: bool = True) -> Path:
    """Record the verdict on every page of `split` (publishable, score, wants share) before anyone's rating of
    it is read: the held-out agreement is measured against this file, not against a verdict run afterwards."""
    from workflow_core.errors import DecomposeError
    from workflow_core.quality.calibrate import preference_reports
    from workflow_core.quality.preference import load_preference_set
    from workflow_core.quality.version import checker_version

    pset = load_preference_set(folder)
    pages = pset.in_split(split)
    if not pages:
        raise DecomposeError(
            f"no pages of split {split!r} in {folder}/set.json: add the split and run collect first."
        )
    if pset.raters(split):
        raise DecomposeError(
            f"{split} already has ratings ({', '.join(pset.raters(split))}): a prediction is recorded before any."
        )
    out = folder / "predictions" / f"{split}.json"
    if out.exists():
        raise DecomposeError(f"{out} is already recorded: a split is predicted once.")
    reports = preference_reports(replace(pset, pages=pages), render=render)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=folder
    )
    record = {
        "split": split,
        "checker": checker_version(),
        "commit": commit.stdout.strip(),
        "note": "the verdict on every page of the split, recorded before any rating of it was read",
        "pages": {
            k: {
                "publishable": r.publishable,
                "score": round(r.score, 4),
                "wants": r.measures.get("wants.share"),
            }
            for k, r in sorted(reports.items())
        },
    }
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["predict"]:
        path = predict(sys.argv[2])
        recorded = json.loads(path.read_text(encoding="utf-8"))
        fit = sum(1 for v in recorded["pages"].values() if v["publishable"])
        print(f"{path}: checker {recorded['checker']}, {fit}/{len(recorded['pages'])} publishable")
        raise SystemExit(0)
    if sys.argv[1:2] == ["import"]:
        print(import_ratings(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]))
    write_set()

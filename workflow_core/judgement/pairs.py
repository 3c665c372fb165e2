"""Which two pages to show next. Pages are comparable when two variants made them for the same profile (and
repeat). The next pair is an informative one: the two variants with the fewest votes so far (then the pair with
the fewest votes), never the pair just shown while another exists; then the profile that pair was least
compared on; the sides at random, so a position bias cannot favour one variant."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from workflow_core.judgement.votes import Vote
from workflow_core.lab.experiment import Experiment


@dataclass(frozen=True)
class Page:
    variant: str
    run_id: str
    html: str


@dataclass(frozen=True)
class Matchup:
    """Two pages for one profile, in the order shown."""

    experiment_id: str
    profile: str | None
    repeat: int
    left: Page
    right: Page

    @property
    def pair(self) -> tuple[str, str]:
        a, b = sorted((self.left.variant, self.right.variant))
        return a, b

    def vote(self, winner: str, voter: str = "", *, judge: str | None = None, cost_usd: float = 0.0) -> Vote:
        """The vote for `winner` ("left", "right" or "tie") on this matchup, by a person or by `judge`."""
        return Vote(
            experiment_id=self.experiment_id,
            profile=self.profile,
            left_variant=self.left.variant,
            right_variant=self.right.variant,
            left_run=self.left.run_id,
            right_run=self.right.run_id,
            winner=winner,
            voter=voter,
            judge=judge,
            cost_usd=cost_usd,
        )


def pages_by_profile(experiment: Experiment) -> dict[tuple[str | None, int], dict[str, Page]]:
    """Per (profile, repeat): the page each variant made there (only runs that finished with a page)."""
    out: dict[tuple[str | None, int], dict[str, Page]] = {}
    for t in experiment.trials:
        if t.ok and t.run is not None and t.run.page_html:
            slot = out.setdefault((t.profile, t.repeat), {})
            slot.setdefault(t.variant, Page(t.variant, t.run.run_id, t.run.page_html))
    return out


def comparable_pairs(experiment: Experiment) -> list[tuple[str, str]]:
    """Pairs of variants that have pages for at least one common profile."""
    found: set[tuple[str, str]] = set()
    for pages in pages_by_profile(experiment).values():
        found.update(itertools.combinations(sorted(pages), 2))
    return sorted(found)


def next_matchup(
    experiment: Experiment,
    votes: Sequence[Vote],
    rng: random.Random,
    last_pair: tuple[str, str] | None = None,
) -> Matchup | None:
    """The next pair to show (see the module's docstring); None when no two variants made pages for the
    same profile."""
    slots = pages_by_profile(experiment)
    pairs = comparable_pairs(experiment)
    if not pairs:
        return None
    per_variant: Counter[str] = Counter()
    per_pair: Counter[tuple[str, str]] = Counter()
    per_profile: Counter[tuple[tuple[str, str], str | None, int]] = Counter()
    for v in votes:
        per_variant.update((v.left_variant, v.right_variant))
        per_pair[v.pair] += 1
    if len(pairs) > 1 and last_pair in pairs:
        pairs = [p for p in pairs if p != last_pair]
    rng.shuffle(pairs)  # a random choice among equally informative pairs
    pair = min(pairs, key=lambda p: (per_variant[p[0]] + per_variant[p[1]], per_pair[p]))
    runs = {pg.run_id: key for key, pages in slots.items() for pg in pages.values()}
    for v in votes:
        if v.pair == pair and v.left_run in runs:
            profile, repeat = runs[v.left_run]
            per_profile[(pair, profile, repeat)] += 1
    places = [key for key, pages in slots.items() if pair[0] in pages and pair[1] in pages]
    rng.shuffle(places)
    profile, repeat = min(places, key=lambda key: per_profile[(pair, key[0], key[1])])
    left, right = (slots[(profile, repeat)][name] for name in pair)
    if rng.random() < 0.5:
        left, right = right, left
    return Matchup(experiment.experiment_id, profile, repeat, left, right)

"""What the search measured, and the rule that ranks assignments by it.

An evaluation is one assignment run on one visitor. Quality is the product's verdict on the page (its score;
a run that failed scores 0). Two assignments are compared on the visitors both were run on, by the paired
difference of their quality: one is *clearly below* another when the 95% interval of that difference lies
below zero and the difference is at least `MIN_GAP`. The interval is Student's t, but never narrower than
±`SINGLE_VISITOR_GAP`/n: on one visitor only a gap over 0.2 counts, on two one over 0.1. The ranking follows the answer's rule: the assignments not clearly below
the best (or, with a target, those that reach it), cheapest first, then the rest by quality.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from workflow_core.lab.intervals import Interval, interval, t_quantile
from workflow_core.lab.search.space import Assignment

MIN_GAP = 0.05  # a smaller difference in quality is never called clear, however steady
SINGLE_VISITOR_GAP = 0.2  # on one visitor, only a difference this large counts


@dataclass(frozen=True)
class Outcome:
    """One evaluation: cost per page as if nothing were cached, what it actually paid (cached nodes are
    free), its critical path, and the verdict on its page."""

    ok: bool
    cost_usd: float
    paid_usd: float
    latency_s: float
    quality: float | None
    publishable: bool | None
    error: str | None = None

    @property
    def score(self) -> float:
        """Quality for ranking: a failed run or an unchecked page scores 0."""
        return self.quality if (self.ok and self.quality is not None) else 0.0


@dataclass(frozen=True)
class Difference:
    """A paired difference in quality (a − b) over `n` visitors, with its 95% interval when n ≥ 2."""

    mean: float
    low: float
    high: float
    n: int

    def text(self) -> str:
        sign = "+" if self.mean >= 0 else "−"
        if self.n < 2:
            return f"{sign}{abs(self.mean):.2f} (1 visitor)"
        return f"{sign}{abs(self.mean):.2f} [{self.low:+.2f}, {self.high:+.2f}]".replace("-", "−")

    @property
    def clearly_negative(self) -> bool:
        return self.mean <= -MIN_GAP and self.high < 0

    @property
    def clearly_positive(self) -> bool:
        return Difference(-self.mean, -self.high, -self.low, self.n).clearly_negative


@dataclass(frozen=True)
class Scores:
    """An assignment's means over the visitors it was run on."""

    assignment: Assignment
    profiles: tuple[str | None, ...]
    cost_usd: float
    latency_s: float
    quality: Interval | None
    publishable: float | None
    failures: int

    @property
    def quality_mean(self) -> float:
        return self.quality.mean if self.quality is not None else 0.0


@dataclass
class Measured:
    """Every evaluation made so far, by (assignment, visitor)."""

    outcomes: dict[tuple[Assignment, str | None], Outcome] = field(default_factory=dict)

    def has(self, assignment: Assignment, profile: str | None) -> bool:
        return (assignment, profile) in self.outcomes

    def add(self, assignment: Assignment, profile: str | None, outcome: Outcome) -> None:
        self.outcomes[(assignment, profile)] = outcome

    @property
    def paid_usd(self) -> float:
        return sum(o.paid_usd for o in self.outcomes.values())

    def assignments(self) -> list[Assignment]:
        return list(dict.fromkeys(a for a, _ in self.outcomes))

    def profiles_of(self, assignment: Assignment) -> list[str | None]:
        return [p for a, p in self.outcomes if a == assignment]

    def scores(self, assignment: Assignment, profiles: Iterable[str | None] | None = None) -> Scores:
        """The assignment's means over `profiles` (default: every visitor it was run on) that it was run on."""
        wanted = self.profiles_of(assignment) if profiles is None else list(profiles)
        done = [p for p in wanted if self.has(assignment, p)]
        outs = [self.outcomes[(assignment, p)] for p in done]
        ok = [o for o in outs if o.ok]
        checked = [o.publishable for o in ok if o.publishable is not None]
        return Scores(
            assignment=assignment,
            profiles=tuple(done),
            cost_usd=statistics.fmean(o.cost_usd for o in ok) if ok else math.nan,
            latency_s=statistics.fmean(o.latency_s for o in ok) if ok else math.nan,
            quality=interval(o.score for o in outs),
            publishable=sum(checked) / len(checked) if checked else None,
            failures=len(outs) - len(ok),
        )

    def difference(
        self, a: Assignment, b: Assignment, profiles: Iterable[str | None] | None = None
    ) -> Difference | None:
        """Quality of `a` minus `b` on the visitors both were run on (of `profiles`); None when none."""
        common = [
            p
            for p in (self.profiles_of(a) if profiles is None else profiles)
            if self.has(a, p) and self.has(b, p)
        ]
        if not common:
            return None
        diffs = [self.outcomes[(a, p)].score - self.outcomes[(b, p)].score for p in common]
        m, n = statistics.fmean(diffs), len(diffs)
        # The fewer the visitors, the wider the least interval: identical differences on two visitors (common
        # with a verdict's discrete scores) have no spread, and would otherwise look certain.
        spread = t_quantile(n - 1) * statistics.stdev(diffs) / math.sqrt(n) if n >= 2 else 0.0
        half = max(spread, SINGLE_VISITOR_GAP / n)
        return Difference(m, m - half, m + half, n)


@dataclass(frozen=True)
class Rule:
    """What the answer asks for: quality at least `target_quality` when given (else not clearly below the
    best), at no more than `max_cost_per_page_usd` when given; the cheapest such assignment wins."""

    target_quality: float | None = None
    max_cost_per_page_usd: float | None = None

    def order(
        self,
        measured: Measured,
        assignments: Sequence[Assignment],
        profiles: Iterable[str | None] | None = None,
        *,
        on_means: bool = False,
    ) -> list[Assignment]:
        """`assignments` best first under this rule, on `profiles` (default: each one's own visitors). With
        `on_means`, an assignment is level with the best when its mean quality is within `MIN_GAP` of the
        best's, whatever the intervals say: for culling on little evidence (halving's early rounds), where no
        difference is clear yet and the cheap assignments would otherwise all look level."""
        wanted = None if profiles is None else list(profiles)
        scored = [measured.scores(a, wanted) for a in dict.fromkeys(assignments)]
        good, _ = self._shortlist(measured, scored, wanted, on_means)
        first = sorted(good, key=lambda s: (_cost(s), -s.quality_mean))
        rest = sorted((s for s in scored if s not in good), key=lambda s: (-s.quality_mean, _cost(s)))
        return [s.assignment for s in first + rest]

    def choose(
        self, measured: Measured, assignments: Sequence[Assignment], profiles: Sequence[str | None]
    ) -> tuple[Assignment | None, list[str]]:
        """The recommendation among `assignments` (each run on every one of `profiles`), and what the answer
        must say about it: when no assignment reaches the target quality or keeps under the cost cap, the rule
        recommends the nearest one and says so. None when every one of them failed."""
        wanted = list(profiles)
        scored = [measured.scores(a, wanted) for a in dict.fromkeys(assignments)]
        good, notes = self._shortlist(measured, scored, wanted, on_means=False)
        if not good:
            return None, (["every assignment tried failed on every visitor"] if scored else [])
        chosen = min(good, key=lambda s: (_cost(s), -s.quality_mean))
        return chosen.assignment, notes

    def _shortlist(
        self, measured: Measured, scored: list[Scores], profiles: list[str | None] | None, on_means: bool
    ) -> tuple[list[Scores], list[str]]:
        """The assignments the rule would pick from (those good enough, under the cost cap when any good one
        is), and what the answer must say when the target or the cap cannot be met; none when all failed."""
        viable = [s for s in scored if s.failures < len(s.profiles)]
        if not viable:
            return [], []
        notes: list[str] = []
        best = max(viable, key=lambda s: (s.quality_mean, -_cost(s)))
        good = [s for s in viable if self._good(s, best, measured, profiles, on_means)]
        if self.target_quality is not None and best.quality_mean < self.target_quality:
            notes.append(
                f"no assignment reached the target quality {self.target_quality:.2f} (the best has "
                f"{best.quality_mean:.2f}): recommended the best"
            )
        if self.max_cost_per_page_usd is not None:
            affordable = [s for s in good if _cost(s) <= self.max_cost_per_page_usd]
            if not affordable:
                cheapest = min(_cost(s) for s in good)
                notes.append(
                    f"no assignment good enough costs under ${self.max_cost_per_page_usd:.6f} a page (the "
                    f"cheapest costs ${cheapest:.6f}): recommended that one"
                )
            good = affordable or good
        return good, notes

    def _good(
        self,
        s: Scores,
        best: Scores,
        measured: Measured,
        profiles: list[str | None] | None,
        on_means: bool,
    ) -> bool:
        if self.target_quality is not None:
            return s.quality_mean >= self.target_quality or s is best
        if s is best:
            return True
        if on_means:
            return s.quality_mean >= best.quality_mean - MIN_GAP
        diff = measured.difference(s.assignment, best.assignment, profiles)
        return diff is None or not diff.clearly_negative


def _cost(s: Scores) -> float:
    return math.inf if math.isnan(s.cost_usd) else s.cost_usd

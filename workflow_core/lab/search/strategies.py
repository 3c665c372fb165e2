"""How the search chooses what to try, each within a budget, counting its evaluations.

- **exhaustive**: every assignment on every visitor. Exact, and the cost grows as the product of the nodes'
  candidates.
- **coordinate** ascent (LLMSelector's): from the cheapest assignment, one node at a time, try each of its
  models with the others fixed and keep the best under the answer's rule; go round the nodes again until a full
  round changes nothing. Cost: about (1 + Σ (candidates − 1)) assignments a round, on every visitor. It can
  stop at an assignment that only a change of two nodes together would beat.
- **halving** (successive halving over visitors): every assignment on one visitor, keep the better half,
  run the survivors on twice as many visitors, and so on until every visitor is used. It culls on mean quality
  (within `scores.MIN_GAP` of the best counts as level, and the cheaper of level ones stays), since on one or
  two visitors no difference is clear yet. Cheap when there are many assignments; it can drop a good one on the
  evidence of one visitor.
- **auto**: exhaustive when the space is small, else halving when there are visitors enough to halve over,
  else coordinate ascent; it says why.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from workflow_core.lab.search.scores import Measured, Outcome, Rule
from workflow_core.lab.search.space import Assignment, SearchSpace

Strategy = Literal["exhaustive", "coordinate", "halving"]
STRATEGIES: tuple[str, ...] = ("auto", "exhaustive", "coordinate", "halving")
SMALL_SPACE = 8  # assignments: at or under this many, auto tries them all
MAX_ROUNDS = 4  # coordinate ascent's rounds over the nodes, at most

# Runs one assignment on one visitor and says what it measured.
Evaluate = Callable[[Assignment, str | None], Awaitable[Outcome]]
# What one more evaluation would pay at most (USD), from the estimates: for the budget.
Predict = Callable[[Assignment, str | None], float]


def choose(strategy: str, space: SearchSpace, profiles: Sequence[str | None]) -> tuple[Strategy, str]:
    """The strategy to use, and why in a sentence."""
    n, p = space.size, len(profiles)
    space_size = f"{_count(n, 'assignment')} × {_count(p, 'visitor')}"
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    if strategy != "auto":
        return strategy, f"{strategy}, as asked ({space_size} in the space)"  # type: ignore[return-value]
    if n <= SMALL_SPACE:
        return "exhaustive", f"exhaustive: {space_size} is small enough to try them all"
    if p >= 3:
        return "halving", (
            f"halving: {n} assignments are too many to try on every visitor; successive halving tries each on "
            f"one of the {p} visitors and spends the rest on the better half"
        )
    return "coordinate", (
        f"coordinate ascent: {n} assignments and only {_count(p, 'visitor')} to halve over; it changes one "
        "node at a time from the cheapest assignment"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def planned_evaluations(strategy: Strategy, space: SearchSpace, profiles: int) -> int:
    """About how many evaluations the strategy makes (coordinate ascent: its first round and most of a second;
    it goes on while a round changes something, up to `MAX_ROUNDS`)."""
    if strategy == "exhaustive":
        return space.size * profiles
    if strategy == "coordinate":
        first = 1 + sum(len(space.models(n)) - 1 for n in space.nodes)
        return min(space.size, first + sum(len(space.models(n)) - 1 for n in space.nodes[:-1])) * profiles
    total, alive, p = 0, space.size, _first_share(space.size, profiles)
    done = 0
    while True:
        total += alive * (p - done)
        if p >= profiles:
            return total
        done, alive = p, math.ceil(alive / 2)
        p = profiles if alive == 1 else min(profiles, p * 2)


def _first_share(assignments: int, profiles: int) -> int:
    rounds = max(1, math.ceil(math.log2(max(assignments, 2))))
    return max(1, math.ceil(profiles / 2**rounds))


@dataclass
class Search:
    """One search's state: what it measured, how many evaluations it made and what they paid, and why it
    stopped early when it did (the budget, or a cancel)."""

    space: SearchSpace
    profiles: list[str | None]
    rule: Rule
    evaluate: Evaluate
    predict: Predict = lambda _a, _p: 0.0
    budget_usd: float | None = None
    cancelled: Callable[[], bool] = lambda: False
    measured: Measured = field(default_factory=Measured)
    evaluations: int = 0
    stopped: str | None = None
    trail: list[str] = field(default_factory=list)  # what each step decided, in words

    async def ensure(self, assignments: Sequence[Assignment], profiles: Sequence[str | None]) -> bool:
        """Evaluate each of `assignments` on each of `profiles` that it was not run on yet; False when the
        search must stop (the budget would be exceeded, or it was cancelled)."""
        for profile in profiles:
            for a in assignments:
                if self.measured.has(a, profile):
                    continue
                if self.cancelled():
                    self.stopped = "a cancel"
                    return False
                if self.budget_usd is not None:
                    spent = self.measured.paid_usd
                    if spent + self.predict(a, profile) > self.budget_usd:
                        self.stopped = (
                            f"the search budget: ${spent:.6f} spent of ${self.budget_usd:.6f}, and the next "
                            f"evaluation could cost ${self.predict(a, profile):.6f}"
                        )
                        return False
                outcome = await self.evaluate(a, profile)
                if self.cancelled():  # cut short: it measured nothing worth keeping
                    self.stopped = "a cancel"
                    return False
                self.measured.add(a, profile, outcome)
                self.evaluations += 1
        return True

    def best(self, assignments: Sequence[Assignment], profiles: Sequence[str | None]) -> Assignment:
        return self.rule.order(self.measured, assignments, profiles)[0]


async def run_strategy(search: Search, strategy: Strategy) -> None:
    await {"exhaustive": _exhaustive, "coordinate": _coordinate, "halving": _halving}[strategy](search)


async def _exhaustive(search: Search) -> None:
    await search.ensure(list(search.space.assignments()), search.profiles)


async def _coordinate(search: Search) -> None:
    space, profiles = search.space, search.profiles
    current = space.cheapest()
    if not await search.ensure([current], profiles):
        return
    nodes = space.nodes
    unchanged = 0  # nodes looked at since the last change: a full round of them ends the search
    step = 0
    while unchanged < len(nodes) and step < MAX_ROUNDS * len(nodes):
        node = nodes[step % len(nodes)]
        step += 1
        options = [space.swap(current, node, m) for m in space.models(node)]
        if not await search.ensure(options, profiles):
            return
        chosen = search.best(options, profiles)
        if chosen != current:
            search.trail.append(f"{node}: {dict(current)[node]} → {dict(chosen)[node]}")
            current, unchanged = chosen, 1
        else:
            unchanged += 1


async def _halving(search: Search) -> None:
    alive = list(search.space.assignments())
    total = len(search.profiles)
    p = _first_share(len(alive), total)
    while True:
        if not await search.ensure(alive, search.profiles[:p]) or p >= total:
            return
        keep = math.ceil(len(alive) / 2)
        so_far = search.profiles[:p]
        top = max(alive, key=lambda a: search.measured.scores(a, so_far).quality_mean)
        alive = search.rule.order(search.measured, alive, so_far, on_means=True)[:keep]
        if top not in alive:  # the best so far stays: the rule measures the others against it
            alive[-1] = top
        search.trail.append(f"after {p} visitor(s): kept {keep} assignment(s)")
        p = total if keep == 1 else min(total, p * 2)  # the last one standing is run on every visitor

"""The search's answer: the Pareto front over cost per page, latency and quality, the recommended
assignment under the rule, and per node what changing its model does to cost and quality."""

from __future__ import annotations

import math
from dataclasses import dataclass

from workflow_core.lab.search.scores import Difference, Measured, Rule, Scores
from workflow_core.lab.search.space import Assignment, SearchSpace, label, short_model


@dataclass(frozen=True)
class NodeEffect:
    """What running `node` on `model` instead of the recommended `chosen` does, all else as recommended."""

    node: str
    chosen: str
    model: str
    cost_change: float | None  # relative: −0.64 is 64% cheaper; None when not measured
    quality: Difference | None  # the alternative's quality minus the recommended's

    def cost_text(self) -> str:
        if self.cost_change is None:
            return "–"
        return (
            f"saves {-self.cost_change:.0%}" if self.cost_change < 0 else f"costs {self.cost_change:.0%} more"
        )

    def advice(self) -> str:
        a, b = short_model(self.chosen), short_model(self.model)
        if self.cost_change is None or self.quality is None:
            return "not tried with the rest of the recommended assignment"
        if self.quality.clearly_negative:
            return f"keep the {a}"
        if self.quality.clearly_positive:
            return f"the {b} is better, at that cost"
        if self.cost_change < 0:
            return f"no clear change in quality: the {b} would do"
        return f"no clear change: use the {a}"

    def sentence(self) -> str:
        a, b = short_model(self.chosen), short_model(self.model)
        if self.cost_change is None or self.quality is None:
            return f"{self.node}: {a} → {b} was {self.advice()}"
        return f"{self.node}: {a} → {b} {self.cost_text()}, quality {self.quality.text()}: {self.advice()}"

    def row(self) -> dict[str, str]:
        """The effect as a table row: what the app and the report show."""
        return {
            "node": self.node,
            "recommended": short_model(self.chosen),
            "instead": short_model(self.model),
            "cost": self.cost_text(),
            "quality [95%]": self.quality.text() if self.quality is not None else "–",
            "so": self.advice(),
        }


@dataclass(frozen=True)
class SearchAnswer:
    strategy: str
    reason: str
    profiles: tuple[str | None, ...]
    evaluations: int
    exhaustive_evaluations: int
    paid_usd: float
    stopped: str | None
    points: tuple[Scores, ...]  # every assignment tried on every visitor
    partial: tuple[Scores, ...]  # tried on fewer (dropped by halving, or the search stopped)
    front: tuple[Assignment, ...]
    recommended: Assignment | None
    notes: tuple[str, ...]  # where the rule could not be met (a target quality, a cost cap) or nothing ran
    effects: tuple[NodeEffect, ...]
    trail: tuple[str, ...]

    def scores_of(self, assignment: Assignment) -> Scores | None:
        return next((s for s in self.points if s.assignment == assignment), None)

    def lines(self) -> list[str]:
        """What `decompose optimise` prints after the table: the recommendation, node by node."""
        out = [f"strategy: {self.reason}"]
        out.append(
            f"evaluations: {self.evaluations} (exhaustive search: {self.exhaustive_evaluations}); "
            f"paid ${self.paid_usd:.6f}"
        )
        if self.stopped:
            out.append(f"stopped early by {self.stopped}: the answer rests on what was tried")
        if self.evaluations == 0 and not self.points:
            out.append("recommended: nothing: no evaluation was made")
            return out
        if self.points and len(self.points[0].profiles) < len(self.profiles):
            out.append(
                f"no assignment was tried on every visitor: the answer compares them on "
                f"{len(self.points[0].profiles)} of the {len(self.profiles)}"
            )
        out += list(self.notes)
        if self.recommended is None:
            out.append("recommended: nothing")
            return out
        rec = self.scores_of(self.recommended)
        assert rec is not None
        quality = rec.quality.text() if rec.quality is not None else "–"
        out.append(
            f"recommended: {label(self.recommended)} (${rec.cost_usd:.6f} a page, {rec.latency_s:.1f} s, "
            f"quality {quality})"
        )
        out += [f"  {node} → {model}" for node, model in self.recommended]
        out += [f"  {e.sentence()}" for e in self.effects]
        return out


def pareto(points: list[Scores]) -> list[Assignment]:
    """The assignments no other beats on cost, latency and quality at once (lower, lower, higher)."""

    def key(s: Scores) -> tuple[float, float, float]:
        return (s.cost_usd, s.latency_s, -s.quality_mean)

    valid = [s for s in points if not math.isnan(s.cost_usd)]
    front = []
    for s in valid:
        k = key(s)
        beaten = any(
            all(x <= y for x, y in zip(key(o), k, strict=True)) and key(o) != k for o in valid if o is not s
        )
        if not beaten:
            front.append(s.assignment)
    return front


def answer(
    space: SearchSpace,
    measured: Measured,
    profiles: list[str | None],
    rule: Rule,
    *,
    strategy: str,
    reason: str,
    evaluations: int,
    stopped: str | None = None,
    trail: tuple[str, ...] = (),
) -> SearchAnswer:
    every = tuple(profiles)
    complete = [a for a in measured.assignments() if all(measured.has(a, p) for p in profiles)]
    wanted = list(profiles)
    if not complete and measured.assignments():
        # Stopped before any assignment ran on every visitor: answer on the visitors the most-tried ones share.
        most = max(measured.assignments(), key=lambda a: len(measured.profiles_of(a)))
        wanted = [p for p in profiles if measured.has(most, p)]
        complete = [a for a in measured.assignments() if all(measured.has(a, p) for p in wanted)]
    profiles = wanted
    points = [measured.scores(a, profiles) for a in complete]
    partial = [measured.scores(a) for a in measured.assignments() if a not in complete]
    recommended, notes = rule.choose(measured, complete, profiles)
    effects: list[NodeEffect] = []
    if recommended is not None:
        rec = measured.scores(recommended, profiles)
        for node, chosen in recommended:
            for model in space.models(node):
                if model == chosen:
                    continue
                alt = space.swap(recommended, node, model)
                tried = alt in complete
                cost = measured.scores(alt, profiles).cost_usd if tried else math.nan
                change = None if math.isnan(cost) or not rec.cost_usd else cost / rec.cost_usd - 1
                diff = measured.difference(alt, recommended, profiles) if tried else None
                effects.append(NodeEffect(node, chosen, model, change, diff))
    return SearchAnswer(
        strategy=strategy,
        reason=reason,
        profiles=every,
        evaluations=evaluations,
        exhaustive_evaluations=space.size * len(every),
        paid_usd=measured.paid_usd,
        stopped=stopped,
        points=tuple(points),
        partial=tuple(partial),
        front=tuple(pareto(points)),
        recommended=recommended,
        notes=tuple(notes),
        effects=tuple(effects),
        trail=trail,
    )

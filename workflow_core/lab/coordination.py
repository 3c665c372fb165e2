"""Coordination overhead: fit the seed's cost model to measured runs.

    cost(k) ≈ a + b·n + c·k^m,   1 < m ≤ 2

k is the number of agents, n the size of the task (by default the output tokens of the run), a a fixed cost,
b the price of the work itself (the k·O(n/k) term: splitting the work does not change its total), and c·k^m
the coordination: every extra agent adds prompts to write, hand-offs to re-read, context to repeat. m is found
by a grid search over (1, 2]; for each m, a, b and c are a linear least-squares fit (numpy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workflow_core.lab.experiment import Experiment

N_PARAMETERS = 4  # a, b, c, m

M_EXPLANATION = (
    "m says how fast coordination grows with the number of agents k. The cost model is "
    "cost ≈ a + b·n + c·k^m: a is a fixed cost per request, b·n pays for the work itself (n = output tokens) "
    "and c·k^m for coordinating k agents. m close to 1 means each extra agent adds about the same overhead "
    "(a pipeline: each agent passes its output to the next). m close to 2 means overhead grows with the "
    "number of pairs of agents (everyone reads everyone's output): doubling the agents then quadruples the "
    "coordination cost, and deep decompositions quickly lose their savings."
)


@dataclass
class CostPoint:
    k: int
    n: float  # task size (output tokens)
    cost: float  # USD per run
    label: str = ""


@dataclass
class CoordinationFit:
    m: float
    a: float
    b: float
    c: float
    r2: float
    points: list[CostPoint]
    warnings: list[str] = field(default_factory=list)
    costs: str = "measured costs"  # which costs the points carry, in words ("what-if prices", ...)

    def predict(self, k: float, n: float) -> float:
        return self.a + self.b * n + self.c * k**self.m

    def coordination_cost(self, k: float) -> float:
        return self.c * k**self.m

    def summary(self) -> dict[str, Any]:
        return {
            "m": self.m,
            "a": self.a,
            "b": self.b,
            "c": self.c,
            "r2": self.r2,
            "points": len(self.points),
            "costs": self.costs,
            "warnings": list(self.warnings),
        }

    @property
    def overhead_measured(self) -> bool:
        """Whether the runs show a coordination cost at all (a positive c·k^m); without one, m means nothing."""
        return bool(self.points) and self.c > 0

    def explanation(self) -> str:
        """The fit in plain words, for the UI: one story, never a growth factor for an overhead that is not
        there."""
        basis = f"R² = {self.r2:.2f} over {len(self.points)} runs at {self.costs}"
        if not self.points:
            return "No run finished: there is nothing to fit."
        if not self.overhead_measured:
            return (
                f"No measurable coordination overhead ({basis}): once the work itself (the output tokens) is "
                "paid for, runs with more agents did not cost more. The exponent m says nothing here."
            )
        k_most = max(p.k for p in self.points)
        n_mean = sum(p.n for p in self.points) / len(self.points)
        total = self.predict(k_most, n_mean)
        share = self.coordination_cost(k_most) / total if total > 0 else 0.0
        return (
            f"Coordination costs more as agents are added: doubling the agents multiplies the coordination "
            f"cost by about {2**self.m:.1f}× (m = {self.m:.2f}, {basis}). With {k_most} agents it is about "
            f"{share:.0%} of a run's cost."
        )


def coordination_points(experiment: Experiment, costs: dict[int, float] | None = None) -> list[CostPoint]:
    """One point per successful run: (k, output tokens, cost). `costs` (trial index -> USD) replaces the
    measured costs, e.g. with the re-priced ones of `whatif.reprice_experiment(...).trial_costs`."""
    out = []
    for i, t in enumerate(experiment.trials):
        if t.run is None or not t.ok:
            continue
        cost = costs[i] if costs is not None and i in costs else t.cost_usd
        n = float(sum(node.output_tokens for node in t.run.nodes))
        out.append(
            CostPoint(k=experiment.k.get(t.variant, t.run.agent_count), n=n, cost=cost, label=t.variant)
        )
    return out


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return 1.0 - ss_res / ss_tot


def fit_coordination(
    points: list[CostPoint], m_grid: int = 200, costs: str = "measured costs"
) -> CoordinationFit:
    """Least-squares fit of cost ≈ a + b·n + c·k^m with m in (1, 2]. Warns when there are fewer points than
    parameters + 2, or fewer than three distinct k (then m is barely determined). `costs` says in words
    which costs the points carry; the explanation and the chart repeat it."""
    warnings: list[str] = []
    if len(points) < N_PARAMETERS + 2:
        warnings.append(
            f"Only {len(points)} runs for {N_PARAMETERS} parameters: the fit is not reliable; "
            f"add profiles, repeats or variants (at least {N_PARAMETERS + 2} runs)."
        )
    distinct_k = sorted({p.k for p in points})
    if len(distinct_k) < 3:
        warnings.append(
            f"Only {len(distinct_k)} different numbers of agents (k): "
            "m needs at least three to be meaningful."
        )
    if not points:
        return CoordinationFit(
            m=float("nan"), a=0.0, b=0.0, c=0.0, r2=0.0, points=[], warnings=warnings, costs=costs
        )
    k = np.array([p.k for p in points], dtype=float)
    n = np.array([p.n for p in points], dtype=float)
    y = np.array([p.cost for p in points], dtype=float)
    best: tuple[float, float, np.ndarray] | None = None
    for m in np.linspace(1.0, 2.0, m_grid + 1)[1:]:
        design = np.column_stack([np.ones_like(k), n, k**m])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        sse = float(np.sum((design @ coef - y) ** 2))
        if best is None or sse < best[0] - 1e-18:
            best = (sse, float(m), coef)
    assert best is not None
    _, m_best, coef = best
    pred = np.column_stack([np.ones_like(k), n, k**m_best]) @ coef
    r2 = _r2(y, pred)
    if r2 < 0.5:
        warnings.append(
            f"The model explains little of the variation (R² = {r2:.2f}): cost here depends on more than k "
            "and n (for local models, machine load changes the measured compute time)."
        )
    # With no positive coordination term m is meaningless, so its place in the range is not worth a warning.
    if coef[2] > 0 and (m_best >= 2.0 - 1e-9 or m_best <= 1.0 + 2.0 / m_grid):
        warnings.append(
            f"m = {m_best:.2f} sits at the edge of its allowed range (1, 2]: the data do not follow this "
            "model closely; read m as a bound, not an estimate."
        )
    if coef[2] <= 0:
        warnings.append(
            "The coordination term came out negative: adding agents did not cost more in these runs."
        )
    return CoordinationFit(
        m=m_best,
        a=float(coef[0]),
        b=float(coef[1]),
        c=float(coef[2]),
        r2=r2,
        points=list(points),
        warnings=warnings,
        costs=costs,
    )

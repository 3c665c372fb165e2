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
MIN_R2 = 0.5  # below it the model explains too little of the cost's variation to be read
BOOTSTRAP_RESAMPLES = 150  # runs resampled with replacement for the interval on m (fixed seed: repeatable)

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
    # The 95% bootstrap interval on m over the runs (None: too few runs, or no resample found an overhead).
    m_interval: tuple[float, float] | None = None

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
            "m_low": self.m_interval[0] if self.m_interval else None,
            "m_high": self.m_interval[1] if self.m_interval else None,
            "says_something": self.says_something,
            "points": len(self.points),
            "costs": self.costs,
            "warnings": list(self.warnings),
        }

    @property
    def overhead_measured(self) -> bool:
        """Whether the runs show a coordination cost at all (a positive c·k^m); without one, m means nothing."""
        return bool(self.points) and self.c > 0

    def doubts(self) -> list[str]:
        """Why the fit cannot be read as a measure of coordination (empty: it can)."""
        out = []
        if len(self.points) < N_PARAMETERS + 2:
            out.append(f"{len(self.points)} runs for {N_PARAMETERS} parameters")
        if len({p.k for p in self.points}) < 3:
            out.append("fewer than three different numbers of agents")
        if self.r2 < MIN_R2:
            out.append(f"it explains little of the cost's variation (R² = {self.r2:.2f})")
        if self.b < 0:
            out.append("it gives the work itself a negative price per output token")
        if self.m_interval is not None and self.m_interval[1] - self.m_interval[0] > 0.5:
            out.append(f"m could lie anywhere from {self.m_interval[0]:.2f} to {self.m_interval[1]:.2f}")
        return out

    @property
    def says_something(self) -> bool:
        """Whether the fit can be read: enough runs over enough k, most of the variation explained, no
        negative price for the work, and m pinned down."""
        return bool(self.points) and not self.doubts()

    def verdict(self) -> str:
        """First of all, whether the fit says anything (R² and the interval on m)."""
        interval = (
            f", m between {self.m_interval[0]:.2f} and {self.m_interval[1]:.2f} (95% of resampled fits)"
            if self.m_interval
            else ""
        )
        if not self.points:
            return "No run finished: there is nothing to fit."
        basis = f"R² = {self.r2:.2f}{interval}, {len(self.points)} runs at {self.costs}"
        if self.says_something:
            return f"The fit describes these runs ({basis})."
        return (
            f"The fit says little about coordination here ({basis}): {'; '.join(self.doubts())}. Read no cost "
            "share or growth factor from it; add runs at more depths (variants with other k), profiles or repeats."
        )

    def explanation(self) -> str:
        """The fit in plain words: its verdict first, then (only when it can be read) what it says."""
        story = self.story()
        return f"{self.verdict()} {story}".strip()

    def story(self) -> str:
        """What a fit that can be read says: a cost share and a growth factor, never a growth factor for an
        overhead that is not there; "" when the fit says little."""
        if not self.points or not self.says_something:
            return ""
        basis = f"R² = {self.r2:.2f} over {len(self.points)} runs at {self.costs}"
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
    m_best, coef = _fit_once(k, n, y, m_grid)
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
        m_interval=_m_interval(k, n, y, m_grid) if coef[2] > 0 else None,
        m=m_best,
        a=float(coef[0]),
        b=float(coef[1]),
        c=float(coef[2]),
        r2=r2,
        points=list(points),
        warnings=warnings,
        costs=costs,
    )


def _fit_once(k: np.ndarray, n: np.ndarray, y: np.ndarray, m_grid: int) -> tuple[float, np.ndarray]:
    """The m on the grid over (1, 2] with the least squared error, and its a, b, c."""
    best: tuple[float, float, np.ndarray] | None = None
    for m in np.linspace(1.0, 2.0, m_grid + 1)[1:]:
        design = np.column_stack([np.ones_like(k), n, k**m])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        sse = float(np.sum((design @ coef - y) ** 2))
        if best is None or sse < best[0] - 1e-18:
            best = (sse, float(m), coef)
    assert best is not None
    return best[1], best[2]


def _m_interval(k: np.ndarray, n: np.ndarray, y: np.ndarray, m_grid: int) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of m over fits to the runs resampled with replacement (those that find
    an overhead at all), on a coarser grid; None with fewer runs than parameters + 2."""
    if len(y) < N_PARAMETERS + 2:
        return None
    rng = np.random.default_rng(0)
    found = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        pick = rng.integers(0, len(y), len(y))
        if len(set(k[pick].tolist())) < 2:
            continue
        m, coef = _fit_once(k[pick], n[pick], y[pick], min(m_grid, 50))
        if coef[2] > 0:
            found.append(m)
    if len(found) < BOOTSTRAP_RESAMPLES // 4:
        return None
    low, high = np.percentile(found, [2.5, 97.5])
    return float(low), float(high)

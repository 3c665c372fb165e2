"""Bradley–Terry ratings of variants from pairwise votes, with bootstrap intervals.

The model: variant i beats variant j with probability p_i / (p_i + p_j). We fit the strengths p by maximum
likelihood with Hunter's MM iteration (Hunter 2004, "MM algorithms for generalized Bradley–Terry models"):

    p_i <- W_i / sum_j n_ij / (p_i + p_j)

where W_i counts i's wins and n_ij the votes between i and j. A tie counts as half a win for each side. Every
pair of variants also gets one virtual tie (a prior worth one vote), so a variant that won every vote still
has a finite strength and variants that never met are compared through the others. Strengths are scaled to a
geometric mean of 1 and reported as log-strengths (`strength`, 0 = average).

A variant's `score` is the model's probability that it beats a variant drawn at random from the others: in
[0, 1], 0.5 when all are equal. It is the "people" quality axis. The 95% intervals resample the votes with
replacement (`BOOTSTRAP` times, fixed seed) and refit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workflow_core.judgement.votes import Vote

PRIOR_TIES = 1.0  # virtual tied votes between every pair of variants
BOOTSTRAP = 400
TOLERANCE = 1e-10
MAX_ITERATIONS = 10_000


@dataclass(frozen=True)
class VariantRating:
    variant: str
    strength: float  # log-strength, centred: 0 is an average variant
    strength_low: float
    strength_high: float
    score: float  # P(beats a random other variant), the "people" axis
    score_low: float
    score_high: float
    votes: int
    wins: int
    losses: int
    ties: int

    @property
    def win_rate(self) -> float | None:
        """(wins + half the ties) / votes; None without votes."""
        return (self.wins + self.ties / 2) / self.votes if self.votes else None

    def row(self) -> dict[str, object]:
        return {
            "variant": self.variant,
            "score": self.score,
            "score_low": self.score_low,
            "score_high": self.score_high,
            "strength": self.strength,
            "strength_low": self.strength_low,
            "strength_high": self.strength_high,
            "win_rate": self.win_rate,
            "votes": self.votes,
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
        }


def _wins_matrix(votes: Sequence[Vote], index: dict[str, int]) -> np.ndarray:
    """w[i, j]: how often i beat j (a tie adds half to both)."""
    w = np.zeros((len(index), len(index)))
    for v in votes:
        left, right = index.get(v.left_variant), index.get(v.right_variant)
        if left is None or right is None:
            continue
        if v.winner == "left":
            w[left, right] += 1
        elif v.winner == "right":
            w[right, left] += 1
        else:
            w[left, right] += 0.5
            w[right, left] += 0.5
    return w


def fit_strengths(wins: np.ndarray, prior_ties: float = PRIOR_TIES) -> np.ndarray:
    """Log-strengths (centred) maximising the Bradley–Terry likelihood of `wins` (w[i, j] = i beat j) plus
    `prior_ties` virtual ties between every pair."""
    k = wins.shape[0]
    off = ~np.eye(k, dtype=bool)
    w = wins + off * (prior_ties / 2)
    n = w + w.T
    total = w.sum(axis=1)
    p = np.ones(k)
    for _ in range(MAX_ITERATIONS):
        denom = (n / (p[:, None] + p[None, :])).sum(axis=1)
        new = total / denom
        new /= np.exp(np.log(new).mean())
        done = np.max(np.abs(np.log(new) - np.log(p))) < TOLERANCE
        p = new
        if done:
            break
    theta: np.ndarray = np.log(p)
    return theta


def scores(theta: np.ndarray) -> np.ndarray:
    """Per variant, the mean over the others of P(beats it) = 1 / (1 + exp(θ_j − θ_i))."""
    k = theta.shape[0]
    if k < 2:
        return np.full(k, 0.5)
    prob = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
    np.fill_diagonal(prob, 0.0)
    out: np.ndarray = prob.sum(axis=1) / (k - 1)
    return out


def rate(
    votes: Sequence[Vote], variants: Sequence[str], *, bootstrap: int = BOOTSTRAP, seed: int = 0
) -> list[VariantRating]:
    """Ratings of `variants` (in that order) from `votes`; votes naming another variant are left out."""
    index = {name: i for i, name in enumerate(variants)}
    used = [v for v in votes if v.left_variant in index and v.right_variant in index]
    theta = fit_strengths(_wins_matrix(used, index))
    score = scores(theta)
    k = len(variants)
    if used and bootstrap > 0:
        rng = np.random.default_rng(seed)
        thetas = np.empty((bootstrap, k))
        for b in range(bootstrap):
            sample = [used[i] for i in rng.integers(0, len(used), len(used))]
            thetas[b] = fit_strengths(_wins_matrix(sample, index))
        boot_scores = np.array([scores(t) for t in thetas])
        t_lo, t_hi = np.percentile(thetas, [2.5, 97.5], axis=0)
        s_lo, s_hi = np.percentile(boot_scores, [2.5, 97.5], axis=0)
    else:
        t_lo = t_hi = theta
        s_lo = s_hi = score
    out = []
    for name, i in index.items():
        mine = [v for v in used if name in (v.left_variant, v.right_variant)]
        wins = sum(1 for v in mine if v.winning_variant == name)
        ties = sum(1 for v in mine if v.winner == "tie")
        out.append(
            VariantRating(
                variant=name,
                strength=float(theta[i]),
                strength_low=float(t_lo[i]),
                strength_high=float(t_hi[i]),
                score=float(score[i]),
                score_low=float(s_lo[i]),
                score_high=float(s_hi[i]),
                votes=len(mine),
                wins=wins,
                losses=len(mine) - wins - ties,
                ties=ties,
            )
        )
    return out

"""Bradley–Terry ratings of variants from pairwise votes, with bootstrap intervals.

The model: variant i beats variant j with probability p_i / (p_i + p_j) = σ(θ_i − θ_j), θ = log p. We fit θ
by maximum likelihood, Σ_ij w_ij log σ(θ_i − θ_j) where w_ij counts i's wins over j, with Newton's method
(the log-likelihood is concave; at the maximum each variant's wins equal its expected wins,
W_i = Σ_j n_ij p_i / (p_i + p_j), which the unit tests check by hand). A tie counts as half a win for each side. Every
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
MAX_ITERATIONS = 100


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


def _vote_arrays(votes: Sequence[Vote], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vote: the left variant's index, the right one's, and the left side's share of the win (1, 0 or
    ½ for a tie)."""
    left = np.array([index[v.left_variant] for v in votes], dtype=int)
    right = np.array([index[v.right_variant] for v in votes], dtype=int)
    share = np.array([{"left": 1.0, "right": 0.0}.get(v.winner, 0.5) for v in votes])
    return left, right, share


def _wins_matrix(k: int, left: np.ndarray, right: np.ndarray, share: np.ndarray) -> np.ndarray:
    """w[i, j]: how often i beat j (a tie adds half to both)."""
    w = np.zeros((k, k))
    np.add.at(w, (left, right), share)
    np.add.at(w, (right, left), 1.0 - share)
    return w


def _log_likelihood(theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per fit (leading axis): Σ_ij w_ij log σ(θ_i − θ_j)."""
    diff = theta[..., :, None] - theta[..., None, :]
    out: np.ndarray = -(w * np.logaddexp(0.0, -diff)).sum(axis=(-2, -1))
    return out


def fit_strengths(wins: np.ndarray, prior_ties: float = PRIOR_TIES) -> np.ndarray:
    """Log-strengths (centred) maximising the Bradley–Terry likelihood of `wins` (w[i, j] = i beat j) plus
    `prior_ties` virtual ties between every pair. `wins` may hold many win matrices (shape (..., k, k)), fitted
    at once (the bootstrap). Newton's method on the concave log-likelihood, halving a step that would lower
    it; the prior makes the maximum unique and finite."""
    k = wins.shape[-1]
    w = wins + ~np.eye(k, dtype=bool) * (prior_ties / 2)
    n = w + np.swapaxes(w, -1, -2)
    theta = np.zeros(wins.shape[:-1])
    current = _log_likelihood(theta, w)
    for _ in range(MAX_ITERATIONS):
        prob = 1.0 / (1.0 + np.exp(theta[..., None, :] - theta[..., :, None]))  # P(i beats j)
        gradient = w.sum(axis=-1) - (n * prob).sum(axis=-1)
        info = n * prob * (1.0 - prob)  # the negative Hessian is the Laplacian of these weights
        hessian = info.sum(axis=-1)[..., :, None] * np.eye(k) - info
        # The likelihood ignores a common shift of θ: adding 11ᵀ keeps the step's mean at 0.
        step = np.linalg.solve(hessian + 1.0, gradient[..., None])[..., 0]
        scale = np.ones(theta.shape[:-1])
        for _ in range(30):
            trial = theta + scale[..., None] * step
            value = _log_likelihood(trial, w)
            worse = value < current - 1e-12
            if not worse.any():
                break
            scale = np.where(worse, scale / 2, scale)
        theta, current = trial, value
        if np.max(np.abs(scale[..., None] * step)) < TOLERANCE:
            break
    centred: np.ndarray = theta - theta.mean(axis=-1, keepdims=True)
    return centred


def scores(theta: np.ndarray) -> np.ndarray:
    """Per variant, the mean over the others of P(beats it) = 1 / (1 + exp(θ_j − θ_i)) (θ may hold many
    fits, shape (..., k))."""
    k = theta.shape[-1]
    if k < 2:
        return np.full(theta.shape, 0.5)
    prob = 1.0 / (1.0 + np.exp(theta[..., None, :] - theta[..., :, None]))
    out: np.ndarray = (prob.sum(axis=-1) - 0.5) / (k - 1)  # the diagonal's σ(0) = ½ is no opponent
    return out


def rate(
    votes: Sequence[Vote], variants: Sequence[str], *, bootstrap: int = BOOTSTRAP, seed: int = 0
) -> list[VariantRating]:
    """Ratings of `variants` (in that order) from `votes`; votes naming another variant are left out."""
    index = {name: i for i, name in enumerate(variants)}
    used = [v for v in votes if v.left_variant in index and v.right_variant in index]
    k = len(variants)
    left, right, share = _vote_arrays(used, index)
    theta = fit_strengths(_wins_matrix(k, left, right, share))
    score = scores(theta)
    if used and bootstrap > 0:
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(used), (bootstrap, len(used)))
        matrices = np.zeros((bootstrap, k, k))
        rows = np.repeat(np.arange(bootstrap), len(used))
        flat = picks.ravel()
        np.add.at(matrices, (rows, left[flat], right[flat]), share[flat])
        np.add.at(matrices, (rows, right[flat], left[flat]), 1.0 - share[flat])
        thetas = fit_strengths(matrices)
        boot_scores = scores(thetas)
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

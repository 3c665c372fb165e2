"""Quality per variant with its uncertainty: the mean of each axis over a variant's runs with a 95% interval,
and the rule the headline follows: a quality difference is claimed only when the intervals do not overlap.

The interval is Student's t on the runs' scores (mean ± t(0.975, n-1)·s/√n), clipped to [0, 1]. With one run
there is no interval (low = high = the score, `n` says 1), and no difference is ever claimed from it."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from workflow_core.quality.axes import in_order
from workflow_core.quality.model import page_score
from workflow_core.records import RunRecord

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (standard tables); 1.96 beyond.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


class Interval(BaseModel):
    """A mean over `n` runs with its 95% interval [low, high]."""

    mean: float
    low: float
    high: float
    n: int

    def text(self) -> str:
        """ "0.81 [0.78–0.84]", or "0.81 (n=1)" when there is no interval."""
        if self.n < 2:
            return f"{self.mean:.2f} (n=1)"
        return f"{self.mean:.2f} [{self.low:.2f}–{self.high:.2f}]"


def t_quantile(df: int) -> float:
    return _T975[df - 1] if 1 <= df <= len(_T975) else 1.96


def interval(values: Iterable[float]) -> Interval | None:
    """The mean of `values` with its 95% t interval, clipped to [0, 1]; None for no values."""
    xs = list(values)
    if not xs:
        return None
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return Interval(mean=m, low=m, high=m, n=1)
    half = t_quantile(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))
    return Interval(mean=m, low=max(0.0, m - half), high=min(1.0, m + half), n=len(xs))


def clearly_differ(a: Interval | None, b: Interval | None) -> bool:
    """True when both have an interval (n ≥ 2) and the intervals do not overlap."""
    if a is None or b is None or a.n < 2 or b.n < 2:
        return False
    return a.low > b.high or b.low > a.high


def run_quality(run: RunRecord, weights: Mapping[str, float] | None = None) -> float | None:
    """A run's quality under `weights`: its page score (`quality.model.page_score`; runs stored before the
    axes: their single score)."""
    if run.qa_axes:
        return page_score(run.qa_axes, run.qa_findings, weights)
    return run.qa_score


def axis_intervals(runs: list[RunRecord]) -> dict[str, Interval]:
    """Each axis measured on any of `runs`, with its interval over the runs that measured it (in the axis
    registry's order)."""
    out: dict[str, Interval] = {}
    for axis in in_order(a for r in runs for a in r.qa_axes):
        iv = interval(r.qa_axes[axis] for r in runs if axis in r.qa_axes)
        if iv is not None:
            out[axis] = iv
    return out

"""Is a node's timing disturbed? A measurement taken while the machine was busy with other work (or a provider
stalled) makes a node look slower, and for a local model dearer, than it is; replayed from the cache, it would
decide a comparison without a word. A node's compute time is judged against what its model's own recent calls
predict for its tokens: the price book's per-call and per-token times for the model give each call's shape,
and the median ratio of measured to predicted over the model's recent calls scales it to this machine. A
measurement far above that prediction (`FACTOR` times and `MIN_EXCESS_S` more) is disturbed. Disturbed calls
are kept out of the history that later estimates and judgements read.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from workflow_core.pricing.book import PriceBook
from workflow_core.records import Measurement, NodeRecord

FACTOR = 2.5  # this many times the prediction, and
MIN_EXCESS_S = 1.0  # this many seconds over it: a short call's jitter is not a disturbance
MIN_CALLS = 3  # a model's recent calls needed to predict anything


@dataclass(frozen=True)
class CallTiming:
    """One past model call: its tokens and compute seconds."""

    input_tokens: int
    output_tokens: int
    compute_s: float


@dataclass(frozen=True)
class TimingJudgement:
    expected_s: float
    disturbed: str | None  # why, in words; None when the measurement looks normal


def expected_compute_s(
    ref: str, input_tokens: int, output_tokens: int, history: Sequence[CallTiming], prices: PriceBook
) -> float | None:
    """Seconds a call of `ref` with these tokens should take on this machine, from `history` (the model's
    recent calls); None with fewer than MIN_CALLS calls."""
    ratios = []
    for call in history:
        shape = prices.estimate_latency_s(ref, call.input_tokens, call.output_tokens)
        if shape > 0 and call.compute_s > 0:
            ratios.append(call.compute_s / shape)
    if len(ratios) < MIN_CALLS:
        return None
    return statistics.median(ratios) * prices.estimate_latency_s(ref, input_tokens, output_tokens)


def judge_timing(
    ref: str,
    input_tokens: int,
    output_tokens: int,
    compute_s: float,
    history: Sequence[CallTiming],
    prices: PriceBook,
) -> TimingJudgement | None:
    """Whether `compute_s` for this call is far outside what `history` predicts; None when it cannot say."""
    expected = expected_compute_s(ref, input_tokens, output_tokens, history, prices)
    if expected is None:
        return None
    if compute_s > FACTOR * expected and compute_s - expected > MIN_EXCESS_S:
        return TimingJudgement(
            expected,
            f"took {compute_s:.1f} s where {ref}'s last {len(history)} calls predict {expected:.1f} s for "
            f"its tokens ({compute_s / expected:.1f}×)",
        )
    return TimingJudgement(expected, None)


def measure(
    rec: NodeRecord, history: Sequence[CallTiming], prices: PriceBook, remeasured: bool = False
) -> None:
    """Note on `rec` (a node that has just computed) when and under what load it was measured, and whether
    its compute time is far outside what `history` (its model's recent calls) predicts: then it says so."""
    if not rec.model or not rec.calls:
        return
    judged = judge_timing(rec.model, rec.input_tokens, rec.output_tokens, rec.compute_s, history, prices)
    rec.measured = Measurement(
        at=time.time(),
        load_1m=os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        cores=os.cpu_count(),
        expected_s=judged.expected_s if judged else None,
        disturbed=judged.disturbed if judged else None,
        remeasured=remeasured,
    )
    if judged is not None and judged.disturbed:
        rec.warnings.append(
            f"this measurement looks disturbed: it {judged.disturbed}: the machine was probably busy; re-measure it."
        )

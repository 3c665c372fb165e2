"""Which of an experiment's measurements look disturbed (`run.timing`), and what the lab says about them: a
cached result replays the timing (and a local model's cost) of the run that computed it, so one measurement
taken while the machine was busy can decide a comparison. The headline and the TCO say when they rest on
one; `remeasure_keys` names the cache entries whose timing the lab takes again (`Engine.remeasure`)."""

from __future__ import annotations

from dataclasses import dataclass

from workflow_core.lab.experiment import Experiment


@dataclass(frozen=True)
class DisturbedMeasurement:
    """A node result whose measurement looks disturbed, and the trials that used it."""

    node: str
    reason: str
    cache_key: str | None
    trials: tuple[tuple[str, str | None], ...]  # (variant, profile) of every trial that used it


def disturbed_measurements(experiment: Experiment) -> list[DisturbedMeasurement]:
    """The experiment's disturbed measurements, one per result (a cached result used by several variants
    is one measurement), in the order the trials first used them."""
    found: dict[str, tuple[str, str, str | None, list[tuple[str, str | None]]]] = {}
    for trial in experiment.trials:
        for node in trial.run.nodes if trial.run else []:
            if node.measured is None or not node.measured.disturbed:
                continue
            key = node.cache_key or f"{trial.run.run_id if trial.run else ''}/{node.id}"
            entry = found.setdefault(key, (node.id, node.measured.disturbed, node.cache_key, []))
            entry[3].append((trial.variant, trial.profile))
    return [DisturbedMeasurement(n, reason, key, tuple(used)) for n, reason, key, used in found.values()]


def remeasure_keys(experiment: Experiment) -> frozenset[str]:
    """The cache keys of the experiment's disturbed measurements (to hand to `Engine.remeasure`)."""
    return frozenset(d.cache_key for d in disturbed_measurements(experiment) if d.cache_key)


def disturbance_note(found: list[DisturbedMeasurement]) -> str | None:
    """What a headline or a TCO adds when it rests on disturbed measurements; None when none is."""
    if not found:
        return None
    first = found[0]
    variant, profile = first.trials[0]
    runs = len({t for d in found for t in d.trials})
    what = "1 disturbed measurement" if len(found) == 1 else f"{len(found)} disturbed measurements"
    return (
        f"This rests on {what} ({runs} run{'s' if runs != 1 else ''}): {variant}'s {first.node} on "
        f"{profile or 'no profile'} {first.reason}. Re-measure before deciding"
    )

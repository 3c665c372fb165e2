"""How busy the machine was: every benchmark says the load it ran under, and that its figure is too noisy to
judge when other work held more than half the cores (timings then measure the other work as much as ours)."""

from __future__ import annotations

import os

# A load average above this share of the machine's cores at the start makes timings too noisy to judge.
QUIET_LOAD_SHARE = 0.5


def load_average() -> float:
    """The one-minute load average now."""
    return os.getloadavg()[0]


def too_noisy(load: float) -> bool:
    return load > QUIET_LOAD_SHARE * (os.cpu_count() or 1)


def load_note(load: float) -> str:
    """'load average L on N cores at the start', and the verdict that the figure cannot be judged when the
    machine was busy."""
    cores = os.cpu_count() or 1
    note = f"load average {load:.1f} on {cores} cores at the start"
    if too_noisy(load):
        note += ": TOO NOISY TO JUDGE, run it again on a quiet machine"
    return note

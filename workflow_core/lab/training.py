"""The one-off cost of the specialised models a variant runs: a node on `local/BASE+ADAPTER` was trained once
(`decompose specialise`), and its training card says what that compute cost. The TCO counts it up front, as it
counts the engineering of each agent, so a specialised model has to earn back its training too."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workflow_core.lab.experiment import Experiment
from workflow_core.paths import adapters_dir
from workflow_core.providers.adapters import find_adapters, split_model


@dataclass(frozen=True)
class Training:
    adapters: tuple[str, ...]  # the adapters' names
    usd: float  # their training compute, together (an adapter used by two nodes is paid once)
    missing: tuple[str, ...] = ()  # adapters whose card is gone: their cost is not known
    seen: tuple[str, ...] = ()  # visitors this variant ran on that its adapters were trained on

    def note(self) -> str:
        if not self.adapters and not self.missing:
            return ""
        known = f"training {', '.join(self.adapters)} ${self.usd:.4f} once" if self.adapters else ""
        gone = f"no card for {', '.join(self.missing)}: its training is not counted" if self.missing else ""
        seen = (
            f"it ran on {', '.join(self.seen)}, which its adapter was trained on: its quality there is no test "
            "of what it learned"
            if self.seen
            else ""
        )
        return "; ".join(p for p in (known, gone, seen) if p)


def training_by_variant(experiment: Experiment, folder: Path | None = None) -> dict[str, Training]:
    """For each variant whose runs used an adapter, what training it took (from the adapters' cards)."""
    cards = find_adapters(folder or adapters_dir())
    used: dict[str, set[str]] = {}
    profiles: dict[str, set[str]] = {}
    for trial in experiment.trials:
        for node in trial.run.nodes if trial.run else ():
            _, name = split_model((node.model or "").partition("/")[2])
            if name:
                used.setdefault(trial.variant, set()).add(name)
                if trial.profile:
                    profiles.setdefault(trial.variant, set()).add(trial.profile)
    out = {}
    for variant, names in used.items():
        known = sorted(n for n in names if n in cards)
        usd = sum(float(cards[n].card.get("training_cost_usd") or 0.0) for n in known)
        trained_on = {
            str(v) for n in known for v in (cards[n].card.get("examples") or {}).get("train_visitors") or ()
        }
        seen = tuple(sorted(profiles.get(variant, set()) & trained_on))
        out[variant] = Training(tuple(known), usd, tuple(sorted(names - set(known))), seen)
    return out

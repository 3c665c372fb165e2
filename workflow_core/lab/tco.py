"""Total cost of ownership: when does decomposing pay for itself?

Each variant costs `engineering_cost_per_agent × k` once (designing, prompting and testing each agent), plus
the training of any specialised model it runs (`training_usd`, from the adapters' cards), then
its per-request cost × requests every month. Requests start at `requests_per_month` and grow by
`monthly_growth` (0.1 = 10 % a month). A decomposed variant (more agents, cheaper per request) breaks even
against the single one after

    volume* = ((k_d − k_s) × engineering cost per agent + training_d − training_s)
              / (cost per request_s − cost per request_d)

requests; the break-even month is the first month whose cumulative requests reach that volume.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow_core.lab.experiment import VariantSummary


@dataclass
class TcoInputs:
    engineering_cost_per_agent: float = 2000.0  # USD, one-off
    requests_per_month: float = 10_000.0
    monthly_growth: float = 0.0  # fraction per month
    months: int = 24


@dataclass
class TcoVariant:
    name: str
    k: int
    cost_per_request: float
    training_usd: float = 0.0  # one-off: training the specialised models it runs

    def upfront(self, inputs: TcoInputs) -> float:
        return self.k * inputs.engineering_cost_per_agent + self.training_usd


@dataclass
class BreakEven:
    variant: str
    baseline: str
    volume: float | None  # cumulative requests at break-even; None: never
    month: int | None  # 1-based month in which it happens; None: not within the horizon (or never)
    reason: str = ""

    @property
    def volume_text(self) -> str:
        """The requests after which it pays off, as every view writes it ("never" or "12,345")."""
        return "never" if self.volume is None else f"{self.volume:,.0f}"

    @property
    def month_text(self) -> str:
        return "–" if self.month is None else str(self.month)

    def sentence(self) -> str:
        """One line: "seed pays off against single after 12,345 requests (month 3)"."""
        if self.volume is None:
            return f"{self.variant} never pays off against {self.baseline}: {self.reason}"
        when = f"month {self.month}" if self.month is not None else self.reason
        return f"{self.variant} pays off against {self.baseline} after {self.volume_text} requests ({when})"


@dataclass
class TcoResult:
    inputs: TcoInputs
    variants: list[TcoVariant]
    baseline: str
    monthly: dict[str, list[float]]  # variant -> USD per month (engineering in month 1 excluded)
    cumulative: dict[
        str, list[float]
    ]  # variant -> cumulative USD at the end of each month (engineering included)
    requests: list[float]  # requests in each month
    break_evens: list[BreakEven] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        """One row per variant and month."""
        rows = []
        for v in self.variants:
            for i in range(self.inputs.months):
                rows.append(
                    {
                        "variant": v.name,
                        "month": i + 1,
                        "requests": self.requests[i],
                        "monthly_usd": self.monthly[v.name][i],
                        "cumulative_usd": self.cumulative[v.name][i],
                    }
                )
        return rows

    def break_even_table(self) -> list[dict[str, Any]]:
        return [b.__dict__.copy() for b in self.break_evens]

    def break_even_rows(self, money: Callable[[float], str]) -> list[dict[str, str]]:
        """The break-even table as the page and the report show it, with `money` writing USD."""
        per_request = {v.name: v.cost_per_request for v in self.variants}
        return [
            {
                "variant": b.variant,
                "against": b.baseline,
                "USD / request": money(per_request[b.variant]),
                "pays off after (requests)": b.volume_text,
                "in month": b.month_text,
                "note": b.reason,
            }
            for b in self.break_evens
        ]


def requests_by_month(inputs: TcoInputs) -> list[float]:
    return [inputs.requests_per_month * (1 + inputs.monthly_growth) ** i for i in range(inputs.months)]


def break_even(d: TcoVariant, s: TcoVariant, inputs: TcoInputs, requests: list[float]) -> BreakEven:
    upfront = d.upfront(inputs) - s.upfront(inputs)
    saving = s.cost_per_request - d.cost_per_request
    if upfront <= 0 and saving >= 0:
        return BreakEven(d.name, s.name, 0.0, 1, "no more engineering and no dearer per request")
    if saving <= 0:
        return BreakEven(d.name, s.name, None, None, "not cheaper per request: it never pays for itself")
    volume = upfront / saving
    total = 0.0
    for i, r in enumerate(requests):
        total += r
        if total >= volume:
            return BreakEven(d.name, s.name, volume, i + 1)
    return BreakEven(d.name, s.name, volume, None, f"not within {inputs.months} months")


def tco(variants: list[TcoVariant], inputs: TcoInputs, baseline: str | None = None) -> TcoResult:
    """Monthly and cumulative cost of each variant, and each variant's break-even against the baseline
    (default: the variant with the fewest agents)."""
    if not variants:
        raise ValueError("TCO needs at least one variant")
    base = next((v for v in variants if v.name == baseline), None) or min(
        variants, key=lambda v: (v.k, v.cost_per_request)
    )
    requests = requests_by_month(inputs)
    monthly: dict[str, list[float]] = {}
    cumulative: dict[str, list[float]] = {}
    for v in variants:
        monthly[v.name] = [r * v.cost_per_request for r in requests]
        total = v.upfront(inputs)
        cum = []
        for m in monthly[v.name]:
            total += m
            cum.append(total)
        cumulative[v.name] = cum
    bes = [break_even(v, base, inputs, requests) for v in variants if v.name != base.name]
    return TcoResult(inputs, list(variants), base.name, monthly, cumulative, requests, bes)


def tco_variants(
    summaries: list[VariantSummary], training: Mapping[str, float] | None = None
) -> list[TcoVariant]:
    """TCO variants from the variants that ran (per-request cost = mean cost per run, measured or
    re-priced: whichever summaries are given; `training`: a variant's one-off training USD)."""
    spent = training or {}
    return [
        TcoVariant(s.variant, s.k, s.cost_usd, spent.get(s.variant, 0.0))
        for s in summaries
        if s.runs > s.failures
    ]

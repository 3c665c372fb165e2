"""Measure a pairwise judge against people: on a preference set (`quality.preference`), the judge compares
every two pages made for the same visitor, seeing their screenshots as the lab's judge does, in both orders.
A pair's verdict is the page it chose in both orders (a tie when the orders disagree: position bias); its
agreement is counted on the raters' shared order, as the rule verdict's is."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from workflow_core.errors import DecomposeError
from workflow_core.judgement.judge import JudgeRun, compare, judge_messages, page_screenshots
from workflow_core.judgement.pairs import Page
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.quality.preference import Agreement, PreferenceSet, agreement_of, page_scenarios
from workflow_core.run.store import Store
from workflow_core.scenario.prose import profile_to_prose


@dataclass
class JudgeCalibration:
    """The judge's agreement with the raters' shared order, its position consistency (pairs whose two orders
    chose the same page) and what the calls cost."""

    judge: str
    agreement: Agreement
    consistent: int = 0
    pairs: int = 0
    run: JudgeRun = field(default_factory=lambda: JudgeRun(judge=""))

    @property
    def position_consistency(self) -> float | None:
        return self.consistent / self.pairs if self.pairs else None


async def judge_preference(
    pset: PreferenceSet,
    judge: str,
    registry: ProviderRegistry,
    prices: PriceBook,
    store: Store | None,
    split: str | None = None,
    *,
    see_pages: bool = True,
) -> JudgeCalibration:
    """The judge on every pair of one visitor's pages of `split` (both orders), scored against the raters."""
    pages = pset.in_split(split)
    as_page = {p.id: Page(variant=p.variant, run_id=p.id, html=pset.html(p)) for p in pages}
    run = JudgeRun(judge=judge)
    shots = await page_screenshots(store, list(as_page.values()), run) if see_pages else None
    scenario_of = page_scenarios(pages)
    summaries = {p.visitor: profile_to_prose(scenario_of(p).profiles[p.profile]) for p in pages}
    won: dict[tuple[str, str], str | None] = {}
    consistent = 0
    by_visitor: dict[str, list[str]] = {}
    for p in pages:
        by_visitor.setdefault(p.visitor, []).append(p.id)
    for visitor, ids in by_visitor.items():
        for a, b in itertools.combinations(sorted(ids), 2):
            picks = []
            for left, right in ((a, b), (b, a)):
                messages = judge_messages(summaries[visitor], as_page[left], as_page[right], shots)
                try:
                    winner, _ = await compare(registry, judge, prices, store, messages, run)
                except DecomposeError as exc:  # no verdict on this order: the pair counts as a tie
                    run.errors.append(f"{left} vs {right}: {exc}")
                    winner = "tie"
                picks.append(left if winner == "left" else right if winner == "right" else None)
            same = picks[0] == picks[1]
            consistent += same
            won[(a, b)] = picks[0] if same else None

    def ranks_above(a: str, b: str) -> bool | None:
        winner = won[(a, b) if a < b else (b, a)]
        return None if winner is None else winner == a

    return JudgeCalibration(judge, agreement_of(pset, ranks_above, split), consistent, len(won), run)

"""How far an LLM judge agrees with people, and with itself when the pages swap sides.

Position consistency: of the page pairs the judge saw in both orders, the share where it preferred the same
variant both times (or called both a tie). A judge that always prefers page A scores 0.

The judge's verdict on a pair is the variant it preferred in both orders; a pair where the orders disagree
counts as a tie (the usual convention for pairwise judges, e.g. MT-Bench). Agreement is the share of people's
votes on pairs the judge saw whose outcome (a variant, or a tie) matches the judge's verdict; `decisive` counts
only the votes where both the person and the judge picked a side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workflow_core.judgement.votes import Vote

RunPair = frozenset[str]


@dataclass(frozen=True)
class Agreement:
    judge: str
    pairs_judged: int  # run pairs with at least one verdict
    pairs_both_orders: int
    position_consistency: float | None  # share of pairs_both_orders with one verdict
    compared: int  # people's votes on pairs the judge saw
    agreement: float | None
    decisive: int  # of those, votes where the person and the judge both picked a side
    decisive_agreement: float | None

    def row(self) -> dict[str, object]:
        return dict(self.__dict__)


def _outcome(vote: Vote) -> str:
    """The variant preferred, or "tie"."""
    return vote.winning_variant or "tie"


def judge_verdicts(votes: Sequence[Vote], judge: str) -> tuple[dict[RunPair, str], int, int]:
    """Per run pair, the judge's verdict (a variant or "tie"); and (pairs seen in both orders, of which
    consistent)."""
    orders: dict[RunPair, dict[tuple[str, str], str]] = {}
    for v in votes:
        if v.judge == judge:
            orders.setdefault(frozenset((v.left_run, v.right_run)), {})[(v.left_run, v.right_run)] = _outcome(
                v
            )
    verdicts: dict[RunPair, str] = {}
    both = consistent = 0
    for pair, seen in orders.items():
        outcomes = set(seen.values())
        if len(seen) == 2:
            both += 1
            consistent += len(outcomes) == 1
        verdicts[pair] = outcomes.pop() if len(outcomes) == 1 else "tie"
    return verdicts, both, consistent


def agreement(votes: Sequence[Vote], judge: str) -> Agreement:
    """The judge's agreement with people's votes and its position consistency (see the module's docstring)."""
    verdicts, both, consistent = judge_verdicts(votes, judge)
    people = [v for v in votes if v.by_person and frozenset((v.left_run, v.right_run)) in verdicts]
    agree = [_outcome(v) == verdicts[frozenset((v.left_run, v.right_run))] for v in people]
    sided = [
        _outcome(v) == verdicts[frozenset((v.left_run, v.right_run))]
        for v in people
        if v.winner != "tie" and verdicts[frozenset((v.left_run, v.right_run))] != "tie"
    ]
    return Agreement(
        judge=judge,
        pairs_judged=len(verdicts),
        pairs_both_orders=both,
        position_consistency=consistent / both if both else None,
        compared=len(people),
        agreement=sum(agree) / len(agree) if agree else None,
        decisive=len(sided),
        decisive_agreement=sum(sided) / len(sided) if sided else None,
    )


def judges(votes: Sequence[Vote]) -> list[str]:
    """The judges that voted, in the order they first did."""
    return list(dict.fromkeys(v.judge for v in votes if v.judge is not None))

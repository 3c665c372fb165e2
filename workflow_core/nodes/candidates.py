"""Best of n (`params.candidates`): test-time compute for small models. A front-end agent samples n answers
(seeds `seed`, `seed`+1, …, concurrently, each through the one model-call path, so a provider's slots and
retries hold), each becomes its page, the quality verdict (`quality.check_page`) rates every page, and the
node keeps the answer whose page is publishable with the best score. Every sample's tokens, time and cost
count on the node; the record keeps every candidate with its score.

The verdict that picks the page is the one that grades the run afterwards, so a best-of-n page's score is
not independent evidence of its quality: the node says so on its record, and people's votes (or a judge
calibrated against them) are the check that is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.nodes.common import build_page_async, passages_of, sources_of
from workflow_core.quality.check import check_page_async
from workflow_core.records import Candidate, NodeRecord
from workflow_core.workflow.contract import NodeContext
from workflow_core.workflow.spec import Node

# One answer for a seed, its calls counted on the record it is given: (text, parsed data).
Answer = Callable[[int | None, NodeRecord], Awaitable[tuple[str, Any]]]

SAID = (
    "best of {n} by the quality verdict: the verdict that grades this page chose it among {n}, so its score "
    "is not independent evidence of quality (people's votes are)"
)


def seeds(node: Node) -> list[int | None]:
    """The candidates' seeds: the node's own first (so candidate 1 is the answer one call would give), then
    the next integers."""
    base = node.params.seed
    return [base, *((base or 0) + i for i in range(1, node.params.candidates))]


async def best_of(ctx: NodeContext, rec: NodeRecord, answer: Answer) -> None:
    """Sample the node's candidates, rate their pages, keep the best on `rec` (see the module's notes).
    Raises the first candidate's error when none could be used."""
    node = ctx.node
    scratch = [NodeRecord(id=node.id, kind=node.kind, model=node.model) for _ in seeds(node)]
    outcomes = await asyncio.gather(
        *(answer(seed, into) for seed, into in zip(seeds(node), scratch, strict=True)), return_exceptions=True
    )
    for into in scratch:  # every sample is paid for
        rec.calls += into.calls
        rec.attempts += into.attempts
        rec.input_tokens += into.input_tokens
        rec.output_tokens += into.output_tokens
        rec.compute_s += into.compute_s
        rec.cost_usd += into.cost_usd
        rec.ttft_s = rec.ttft_s if rec.ttft_s is not None else into.ttft_s
        rec.warnings += [w for w in into.warnings if w not in rec.warnings]
    sources = sources_of(ctx.inputs, passages_of(ctx), ctx.workflow)
    candidates: list[Candidate] = []
    answers: list[tuple[str, Any] | None] = []
    errors: list[BaseException] = []
    for seed, into, outcome in zip(seeds(node), scratch, outcomes, strict=True):
        cost = {"seed": seed, "cost_usd": into.cost_usd, "compute_s": into.compute_s}
        if isinstance(outcome, DecomposeError):
            errors.append(outcome)
            candidates.append(Candidate(**cost, output_tokens=into.output_tokens, error=str(outcome)))
            answers.append(None)
            continue
        if isinstance(outcome, BaseException):
            raise outcome
        text, data = outcome
        page = await build_page_async(ctx, NodeRecord(id=node.id, kind=node.kind, output_data=data))
        report = await check_page_async(page, sources)
        candidates.append(
            Candidate(
                **cost,
                output_text=text,
                output_tokens=into.output_tokens,
                score=report.score,
                publishable=report.publishable,
            )
        )
        answers.append((text, data))
    usable = [i for i, c in enumerate(candidates) if c.score is not None]
    if not usable:
        raise errors[0]
    best = max(usable, key=lambda i: (bool(candidates[i].publishable), candidates[i].score or 0.0, -i))
    candidates[best].chosen = True
    kept = answers[best]
    assert kept is not None
    rec.output_text, rec.output_data = kept
    rec.candidates = candidates
    rec.warnings.append(SAID.format(n=len(candidates)))

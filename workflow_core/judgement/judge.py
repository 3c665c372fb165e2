"""An LLM judge that compares an experiment's pages pairwise, in both orders, as people do blind.

For every profile (and repeat) and every two variants with a page there, the judge reads the visitor's
profile, sees the two pages (their screenshots at 1280 and 390 px, as images: OpenAI-compatible `image_url`
parts, Anthropic image blocks) and reads their visible text, and answers which page serves that visitor better
(A, B or tie, as JSON); then the same two pages with the sides swapped. `screenshots=None` makes it a
text-only judge for models that take no images. Its verdicts are stored as votes that name the judge's
model (never counted as people's). Calls are cached under a key of the judge's identity and the exact
messages (the engine's node cache, kind "judge"), so judging again costs nothing; their cost is the judge's
own, reported apart from the variants' costs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.judgement.pairs import Matchup, Page, pages_by_profile
from workflow_core.judgement.votes import Winner, load_votes, save_votes
from workflow_core.lab.experiment import Experiment
from workflow_core.page.site import visible_text
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest, Message, content_text, image_part
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.records import NodeRecord
from workflow_core.run.calls import CallLimits, RetryPolicy, priced_chat
from workflow_core.run.context import cache_key
from workflow_core.run.store import Store

PAGE_CHARS = 4000  # of each page's visible text: two pages and the profile fit a small model's context
ATTEMPTS = 3
SYSTEM = (
    "You judge landing pages. A website builder made two pages for the same visitor. Decide which page would "
    "serve this visitor better: relevant to their role, industry and needs, clear, credible, with a clear next "
    "step. Judge the content, not the length, and not which page comes first. Answer in JSON."
)
SCHEMA = {
    "type": "object",
    "properties": {
        "winner": {"type": "string", "enum": ["A", "B", "tie"]},
        "reason": {"type": "string", "maxLength": 300},
    },
    "required": ["winner", "reason"],
    "additionalProperties": False,
}


@dataclass
class JudgeRun:
    """What one judging pass did: comparisons made (each order counts), how many came from the cache, what
    the judge cost (apart from the workflow's cost) and the problems met."""

    judge: str
    comparisons: int = 0
    cached: int = 0
    skipped: int = 0  # already judged earlier
    cost_usd: float = 0.0  # spent now
    cost_if_uncached_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a page judged without its screenshots


Screenshots = Callable[[str], Mapping[int, tuple[str, bytes]]]  # a page's HTML -> {width: (mime, image)}


def judge_messages(
    profile_summary: str, first: Page, second: Page, screenshots: Screenshots | None = None
) -> list[Message]:
    """The judge's messages: the visitor, then each page's screenshots (when `screenshots` gives them, widest
    first) and visible text."""

    def text(page: Page) -> str:
        return visible_text(page.html)[:PAGE_CHARS]

    question = (
        'Which page serves this visitor better? Reply as {"winner": "A" | "B" | "tie", "reason": "..."}.'
    )
    if screenshots is None:
        user = (
            f"The visitor:\n{profile_summary or '(no profile)'}\n\n"
            f"Page A (visible text):\n{text(first)}\n\n"
            f"Page B (visible text):\n{text(second)}\n\n" + question
        )
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": f"The visitor:\n{profile_summary or '(no profile)'}"}
    ]
    for label, page in (("A", first), ("B", second)):
        for width, (mime, image) in sorted(screenshots(page.html).items(), reverse=True):
            parts.append({"type": "text", "text": f"Page {label} at {width} px wide:"})
            parts.append(image_part(image, mime))
        parts.append({"type": "text", "text": f"Page {label} (visible text):\n{text(page)}"})
    parts.append({"type": "text", "text": question})
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": parts}]


def parse_verdict(text: str) -> Winner:
    """ "left" (page A), "right" (page B) or "tie" from the judge's JSON. Raises DecomposeError otherwise."""
    start, end = text.find("{"), text.rfind("}")
    try:
        winner = str(json.loads(text[start : end + 1])["winner"]).strip().lower()
    except (ValueError, KeyError, TypeError) as exc:
        raise DecomposeError(f"the judge did not answer with JSON naming a winner: {text[:120]!r}") from exc
    sides: dict[str, Winner] = {"a": "left", "b": "right", "tie": "tie"}
    found = sides.get(winner)
    if found is None:
        raise DecomposeError(f"the judge named '{winner}' as the winner; expected A, B or tie")
    return found


async def page_screenshots(
    store: Store | None, pages: list[Page], report: JudgeRun | None = None
) -> Screenshots:
    """The screenshots of `pages` by their HTML: the store's (kept when the run was checked), else rendered
    now in headless Chromium. A page that cannot be rendered gets none (its problem goes to `report`)."""
    from workflow_core.quality.browser import RenderError
    from workflow_core.quality.render import shared_renderer

    shots: dict[str, Mapping[int, tuple[str, bytes]]] = {}
    for page in pages:
        if page.html in shots:
            continue
        found: Mapping[int, tuple[str, bytes]] = store.screenshots(page.html) if store is not None else {}
        if not found:
            try:
                rendered = await shared_renderer().render_async(page.html)
                found = {w: ("image/jpeg", data) for w, data in rendered.screenshots.items()}
            except RenderError as exc:
                if report is not None:
                    report.warnings.append(f"{page.variant}: judged on its text only, no screenshots ({exc})")
                found = {}
        shots[page.html] = found
    return lambda html: shots.get(html, {})


async def _ask(
    registry: ProviderRegistry, prices: PriceBook, ref: str, messages: list[Message], retry: RetryPolicy
) -> NodeRecord:
    """One priced call through the one model-call path (`run.calls`: the provider's slot, retries)."""
    request = ChatRequest(
        model=ref, messages=messages, temperature=0.0, max_tokens=200, json_schema=SCHEMA, stream=False
    )
    # The record keeps the messages' text: the screenshots are in the store already, by page.
    shown = [{"role": str(m["role"]), "content": content_text(m)} for m in messages]
    rec = NodeRecord(id="judge", kind="judge", model=ref, messages=shown)
    limits = CallLimits(attempts=ATTEMPTS, retry=retry, timeout_hint="the judge's timeout", fix="retry later")
    result = await priced_chat(registry, prices, ref, request, rec, limits)
    rec.status, rec.output_text = "ok", result.text
    rec.latency_s = result.latency_s
    rec.cost_if_uncached_usd = rec.cost_usd
    return rec


async def compare(
    registry: ProviderRegistry,
    judge: str,
    prices: PriceBook,
    store: Store | None,
    messages: list[Message],
    report: JudgeRun,
    *,
    use_cache: bool = True,
    retry: RetryPolicy | None = None,
    identity: str | None = None,
) -> tuple[Winner, NodeRecord]:
    """One comparison: the judge's verdict on `messages` ("left" for page A), from the store's cache or a
    priced call (cached in `store` when there is one), counted in `report`. Raises DecomposeError when the answer names no winner."""
    identity = identity or registry.identity(judge)
    key = cache_key({"judge": identity, "messages": messages, "schema": SCHEMA})
    rec = store.cache_get(key) if use_cache and store is not None else None
    if rec is None:
        rec = await _ask(registry, prices, judge, messages, retry or RetryPolicy())
        report.cost_usd += rec.cost_usd
        winner = parse_verdict(rec.output_text)
        if store is not None:
            store.cache_put(key, rec)
    else:
        report.cached += 1
        winner = parse_verdict(rec.output_text)
    report.comparisons += 1
    report.cost_if_uncached_usd += rec.cost_if_uncached_usd
    report.input_tokens += rec.input_tokens
    report.output_tokens += rec.output_tokens
    return winner, rec


async def judge_pairs(
    experiment: Experiment,
    judge: str,
    registry: ProviderRegistry,
    prices: PriceBook,
    store: Store,
    profiles: Mapping[str, str] | None = None,
    *,
    use_cache: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
    retry: RetryPolicy | None = None,
    see_pages: bool = True,
) -> JudgeRun:
    """Judge every comparable pair of `experiment`'s pages in both orders with the model `judge` and store
    the verdicts as votes. `profiles` maps a profile id to the summary the judge reads. With `see_pages` the
    judge sees each page's screenshots (the store's, else rendered now; a page that cannot be rendered is
    judged on its text, and the run says so); without, it reads the pages' text only (for models that take
    no images). Orders this judge has already voted on are skipped. Raises DecomposeError when the judge's
    model cannot be used."""
    problem = registry.check_model(judge)
    if problem:
        raise DecomposeError(f"the judge model {judge}: {problem}")
    retry = retry or RetryPolicy()
    done = {
        (v.left_run, v.right_run) for v in load_votes(store, experiment.experiment_id) if v.judge == judge
    }
    jobs: list[Matchup] = []
    for (profile, repeat), pages in sorted(pages_by_profile(experiment).items(), key=lambda kv: str(kv[0])):
        for a, b in itertools.combinations(sorted(pages), 2):
            for left, right in ((pages[a], pages[b]), (pages[b], pages[a])):
                jobs.append(Matchup(experiment.experiment_id, profile, repeat, left, right))
    report = JudgeRun(judge=judge)
    identity = registry.identity(judge)
    screenshots = (
        await page_screenshots(store, [p for j in jobs for p in (j.left, j.right)], report)
        if see_pages
        else None
    )
    for i, job in enumerate(jobs):
        if on_progress is not None:
            on_progress(i, len(jobs))
        if (job.left.run_id, job.right.run_id) in done:
            report.skipped += 1
            continue
        summary = (profiles or {}).get(job.profile or "", "")
        try:
            winner, rec = await compare(
                registry,
                judge,
                prices,
                store,
                judge_messages(summary, job.left, job.right, screenshots),
                report,
                use_cache=use_cache,
                retry=retry,
                identity=identity,
            )
        except DecomposeError as exc:
            report.errors.append(f"{job.profile or '–'}: {job.left.variant} vs {job.right.variant}: {exc}")
            continue
        save_votes(store, [job.vote(winner, judge=judge, cost_usd=rec.cost_if_uncached_usd)])
    if on_progress is not None:
        on_progress(len(jobs), len(jobs))
    return report

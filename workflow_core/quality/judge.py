"""The optional LLM judge axis: a model answers a fixed checklist of yes/no questions about a page, in
grammar-constrained JSON, on any configured model. The score is the share of answers a good page gets.

Judge calls are cached in the run store (same page, sources and model: no second call) and priced with the
price book; their cost is reported apart from the workflow's own. A weak judge is still a measurement: its
agreement with the labelled set is in docs/quality.md, and every report names the judge model."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from workflow_core.errors import DecomposeError, OutputParseError
from workflow_core.nodes.outputs import for_provider, json_from_text
from workflow_core.page.site import visible_text
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.quality.model import AxisResult
from workflow_core.quality.sources import Sources
from workflow_core.records import NodeRecord, QAFinding
from workflow_core.run.calls import CallLimits, priced_chat
from workflow_core.run.context import cache_key
from workflow_core.run.store import Store

# (id, question, the answer a publishable page gets). Fixed, so scores are comparable across runs and models.
CHECKLIST: tuple[tuple[str, str, bool], ...] = (
    ("speaks_to_visitor", "Does the page speak to this visitor's industry or role?", True),
    ("addresses_need", "Does the page address at least one specific problem this visitor has?", True),
    (
        "seller_voice",
        "Does the page speak as the seller (the company named below), never as the visitor?",
        True,
    ),
    (
        "no_instructions",
        "Is the page free of instructions, prompt text or notes to a designer or developer?",
        True,
    ),
    ("no_self_harm", "Is the page free of negative statements about the seller?", True),
    ("complete_sentences", "Is every sentence complete (nothing cut off mid-sentence)?", True),
    ("no_recital", "Is the page free of the visitor's personal details copied from a CRM record?", True),
    ("call_to_action", "Does the page end with a clear invitation to contact the seller?", True),
    ("publishable", "Would a business publish this page as it is?", True),
)

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {qid: {"type": "boolean"} for qid, _, _ in CHECKLIST},
    "required": [qid for qid, _, _ in CHECKLIST],
    "additionalProperties": False,
}

_SYSTEM = (
    "You review landing pages that a company wrote for one visitor. Answer each question with true or false, "
    "as JSON with exactly the keys given. Judge only the page text shown."
)
_PAGE_CHARS = 6000


@dataclass(frozen=True)
class JudgeResult:
    """The judge axis of one page and what the judging cost (apart from the workflow's cost)."""

    axis: AxisResult
    model: str
    cost_usd: float
    input_tokens: int
    output_tokens: int
    cached: bool


def judge_messages(html: str, sources: Sources) -> list[dict[str, str]]:
    """The judge's prompt: the seller, who the visitor is (role, company, industry; not their whole record),
    the page's visible text and the checklist."""
    company = sources.company.get("name") or "the seller"
    profile = sources.profile or {}
    visitor = ", ".join(
        f"{k}: {profile[k]}"
        for k in ("role", "job_title", "company", "industry", "segment")
        if profile.get(k)
    )
    questions = "\n".join(f"- {qid}: {q}" for qid, q, _ in CHECKLIST)
    text = visible_text(html)[:_PAGE_CHARS]
    user = (
        f"Seller: {company}. {sources.company.get('tagline') or ''}\n"
        f"Visitor: {visitor or 'unknown'}\n\nPage text:\n<<<\n{text}\n>>>\n\nQuestions:\n{questions}"
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def axis_from_answers(answers: dict[str, Any], model: str) -> AxisResult:
    """The judge axis from its answers (a missing or non-boolean answer counts as a failed question)."""
    findings = []
    good = 0
    for qid, question, wanted in CHECKLIST:
        answer = answers.get(qid)
        passed = isinstance(answer, bool) and answer == wanted
        good += passed
        said = "yes" if answer is True else "no" if answer is False else "no answer"
        findings.append(
            QAFinding(
                check=f"judge.{qid}",
                axis="judge",
                passed=passed,
                message=f"{question} The judge ({model}) said {said}.",
            )
        )
    return AxisResult(
        axis="judge", score=round(good / len(CHECKLIST), 4), findings=findings, note=f"judge: {model}"
    )


async def judge_page(
    html: str,
    sources: Sources,
    ref: str,
    registry: ProviderRegistry,
    prices: PriceBook,
    store: Store | None = None,
    *,
    timeout_s: float = 300.0,
) -> JudgeResult:
    """Ask `ref` the checklist about the page (from the store's cache when it was asked before). Raises
    DecomposeError when the model cannot be called or its answer is not the JSON asked for."""
    registry.resolve(ref)  # an unknown model is said here, before the cache is read
    messages = judge_messages(html, sources)
    schema = for_provider(JUDGE_SCHEMA, registry.is_local(ref))
    key = cache_key(
        {"kind": "judge", "model": registry.identity(ref), "messages": messages, "schema": schema}
    )
    hit = store.cache_get(key) if store is not None else None
    if hit is not None and isinstance(hit.output_data, dict):
        return JudgeResult(axis_from_answers(hit.output_data, ref), ref, 0.0, 0, 0, cached=True)
    request = ChatRequest(
        model=ref,  # priced_chat names the provider's model
        messages=messages,
        temperature=0.0,
        max_tokens=200,
        json_schema=schema,
        timeout_s=timeout_s,
    )
    record = NodeRecord(id="judge", kind="judge", model=ref, status="ok")
    limits = CallLimits(timeout_s=timeout_s, timeout_hint="the judge's timeout", fix="give it more time")
    result = await priced_chat(registry, prices, ref, request, record, limits)
    try:
        answers = json_from_text(result.text)
    except OutputParseError as exc:
        raise DecomposeError(f"the judge {ref} did not answer with the JSON asked for: {exc}") from exc
    if not isinstance(answers, dict):
        raise DecomposeError(f"the judge {ref} answered {type(answers).__name__}, not a JSON object.")
    cost = record.cost_usd
    if store is not None:
        record.output_text, record.output_data = result.text, answers
        record.cost_if_uncached_usd = cost
        with contextlib.suppress(DecomposeError):  # the verdict stands without the cache
            store.cache_put(key, record)
    return JudgeResult(
        axis_from_answers(answers, ref), ref, cost, result.input_tokens, result.output_tokens, cached=False
    )

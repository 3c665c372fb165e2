"""`qa`: automatic checks of the page; with a model, an LLM review, and one repair: a page the checks find
unpublishable goes back to the developer with the fields its blocking findings point at (`nodes.repair`), or,
when the review rejects it otherwise, with the reviewer's feedback."""

from __future__ import annotations

from typing import Any

from workflow_core.errors import OutputParseError
from workflow_core.nodes.common import (
    build_page_async,
    call_params,
    chat_request,
    page_source,
    passages_of,
    render_messages,
    run_choices,
    sources_of,
)
from workflow_core.nodes.outputs import for_provider, json_from_text, output_schema, parse_output
from workflow_core.nodes.repair import REVIEWER_ASKS, FieldPath, faulted_fields, merge_repair, repair_request
from workflow_core.nodes.repair import SAID as REPAIR_SAID
from workflow_core.quality import QualityReport, Sources
from workflow_core.quality.check import check_page_async
from workflow_core.quality.model import blocking
from workflow_core.quality.version import checker_version
from workflow_core.records import NodeRecord
from workflow_core.workflow.contract import NodeContext, Prepared
from workflow_core.workflow.kinds import NodeKind, kind_of, register
from workflow_core.workflow.spec import Node
from workflow_core.workflow.templating import render

_QA_SYSTEM = (
    "You are a QA reviewer of personalised landing pages. Reply with JSON: "
    '{"approve": true|false, "feedback": "concrete changes for the developer, or empty"}.'
)
_QA_PROMPT = (
    "Automatic checks scored the page {{ qa.score }} (1 is best). Failed checks:\n{{ qa.failed | bullets }}\n\n"
    "Visitor profile:\n{{ profile | tojson }}\n\nPage (truncated):\n{{ page[:3000] }}\n\n"
    "Approve the page, or list the changes the front-end developer must make."
)
QA_REVIEW_SCHEMA = {
    "type": "object",
    "properties": {"approve": {"type": "boolean"}, "feedback": {"type": "string", "maxLength": 400}},
    "required": ["approve", "feedback"],
    "additionalProperties": False,
}


def verdict(report: QualityReport, feedback: str = "", sent_back: bool = False) -> QualityReport:
    """The check's report as the QA node keeps it: the same shape, with the reviewer's feedback."""
    return report.model_copy(update={"feedback": feedback, "sent_back": sent_back})


async def _qa_report(html: str, sources: Sources) -> QualityReport:
    # Rendering takes a second or two: the page renders on the browser's thread while this loop runs on.
    return await check_page_async(html, sources)


def _developer(ctx: NodeContext) -> Node | None:
    target = ctx.node.config.get("send_back_to")
    if target:
        return ctx.workflow.node(str(target))
    for rec in ctx.upstream.values():
        node = ctx.workflow.node(rec.id)
        if kind_of(node.kind).is_llm(node) and node.output_format in ("html", "page_spec"):
            return node
    return None


async def qa(ctx: NodeContext) -> Prepared:
    source = page_source(ctx)
    page = await build_page_async(ctx, source)
    node = ctx.node
    sources = sources_of(ctx.inputs, passages_of(ctx), ctx.workflow)
    report = await _qa_report(page, sources)
    messages: list[dict[str, str]] = []
    developer = _developer(ctx) if node.model else None
    spec = _spec_of(ctx, developer)
    if node.model:
        failed = [f.message for f in report.findings if not f.passed]
        variables = {
            **ctx.variables(),
            "qa": {"score": round(report.score, 2), "failed": failed},
            "page": page,
        }
        messages = [
            {"role": "system", "content": render(node.system or _QA_SYSTEM, variables)},
            {"role": "user", "content": render(node.prompt or _QA_PROMPT, variables)},
        ]

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        final_page, final_report, feedback = page, report, ""
        if node.model:
            schema = for_provider(QA_REVIEW_SCHEMA, ctx.registry.is_local(node.model))
            result = await ctx.chat(node.model, chat_request(node, messages, schema), rec)
            try:
                review = json_from_text(result.text)
            except OutputParseError as exc:
                raise OutputParseError(f"the QA review is not valid JSON: {exc}") from exc
            approve = bool(review.get("approve", True)) if isinstance(review, dict) else True
            feedback = str(review.get("feedback", "")) if isinstance(review, dict) else ""
            rounds = int(node.config.get("max_rounds", 1))
            faulted = faulted_fields(spec, blocking(report.findings)) if spec is not None else {}
            if faulted and developer is not None and rounds > 0:
                # Repair once: the fields the blocking findings point at go back; the rest stays.
                assert spec is not None
                try:
                    repaired = await _repair(ctx, rec, developer, spec, faulted, feedback)
                    repaired_report = await _qa_report(repaired, sources)
                    if repaired_report.score >= report.score:
                        final_page, final_report = repaired, repaired_report
                        rec.warnings.append(REPAIR_SAID)
                    else:
                        rec.warnings.append(
                            "the repair scored lower than the reviewed page; kept the reviewed page."
                        )
                except OutputParseError as exc:
                    rec.warnings.append(f"the repair failed ({exc}); kept the reviewed page.")
            elif not approve and feedback.strip() and developer is not None and rounds > 0:
                try:
                    final_page = await _send_back(ctx, rec, developer, feedback)
                    final_report = await _qa_report(final_page, sources)
                except OutputParseError as exc:
                    # The reviewed page stands; a revision that cannot be parsed must not lose it.
                    rec.warnings.append(f"the revision after review failed ({exc}); kept the reviewed page.")
        sent_back = final_page is not page
        rec.output_text = final_page
        rec.page_html = final_page
        rec.qa = verdict(final_report, feedback, sent_back)
        # What a prompt downstream of the reviewer may read (`{{ qa_node.score }}`, `.feedback`).
        rec.output_data = {"score": final_report.score, "feedback": feedback, "sent_back": sent_back}

    # Everything the verdict depends on: the checker version (the checks' code and the registered axes), the
    # page, everything the checks read (the sources, made from the run's inputs, its passages and the
    # workflow's prompts), the review prompt, and the developer a rejected page goes back to.
    material = {
        "kind": "qa",
        "checker": checker_version(),
        "page": page,
        "sources": sources.key_material(),
        "model": ctx.registry.identity(node.model) if node.model else None,
        "params": call_params(node),
        "messages": messages,
        "config": node.config,
        "developer": developer.model_dump(exclude={"position"}) if developer else None,
        "repair": 1,  # blocking findings go back field by field (nodes.repair)
    }
    return Prepared(material, work, messages)


def _spec_of(ctx: NodeContext, developer: Node | None) -> dict[str, Any] | None:
    """The page spec the developer wrote (None for an HTML page, or no developer)."""
    rec = ctx.upstream.get(developer.id) if developer is not None else None
    data = rec.output_data if rec is not None and isinstance(rec.output_data, dict) else {}
    spec = data.get("page_spec")
    return spec if isinstance(spec, dict) else None


async def _re_answer(ctx: NodeContext, rec: NodeRecord, developer: Node, asked: str) -> Any:
    """The developer's answer to its own prompt with `asked` after it, parsed as its output format. The extra
    call's tokens and cost are the QA node's (it caused them)."""
    messages = render_messages(developer, ctx.variables())
    # Appended after rendering: what is asked quotes model output (findings, the reviewer's words), never
    # template code.
    messages[-1]["content"] += "\n\n" + asked
    schema = for_provider(
        output_schema(developer, run_choices(ctx)), ctx.registry.is_local(developer.model or "")
    )
    result = await ctx.chat(developer.model or "", chat_request(developer, messages, schema), rec)
    return parse_output(developer, result.text)


async def _repair(
    ctx: NodeContext,
    rec: NodeRecord,
    developer: Node,
    spec: dict[str, Any],
    faulted: dict[FieldPath, list[str]],
    feedback: str,
) -> str:
    """The developer rewrites the faulted fields (`nodes.repair`); only those are taken into the page."""
    parsed = await _re_answer(ctx, rec, developer, repair_request(spec, faulted, feedback))
    revised = parsed.get("page_spec") if isinstance(parsed, dict) else None
    merged = merge_repair(spec, revised if isinstance(revised, dict) else {}, faulted)
    return await build_page_async(
        ctx, NodeRecord(id=developer.id, kind="agent", output_data={"page_spec": merged})
    )


async def _send_back(ctx: NodeContext, rec: NodeRecord, developer: Node, feedback: str) -> str:
    """One bounded revision: the developer re-answers with the reviewer's feedback, and the page is rebuilt."""
    parsed = await _re_answer(ctx, rec, developer, REVIEWER_ASKS + feedback)
    return await build_page_async(ctx, NodeRecord(id=developer.id, kind="agent", output_data=parsed))


register(
    NodeKind(
        name="qa",
        executor=qa,
        summary="automatic checks (score in [0, 1] with findings); with a model, an LLM review that may send the "
        "page back to the developer once",
        icon=":material/fact_check:",
        colour="#e6fcf5",
        model="optional",
        agent="with_model",
        system_prompt=True,
        prompt_variables=frozenset({"qa", "page"}),
        needs_upstream="an upstream node that produces the page",
    )
)

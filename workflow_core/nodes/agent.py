"""`agent`: an LLM persona. Renders its system and prompt templates, calls its model (with a JSON schema when
its output format has one) and parses the answer."""

from __future__ import annotations

from typing import Any

from workflow_core.errors import OutputParseError
from workflow_core.nodes.candidates import best_of
from workflow_core.nodes.common import call_params, chat_request, render_messages, run_choices
from workflow_core.nodes.outputs import check_schema, for_provider, output_schema, parse_output
from workflow_core.records import NodeRecord
from workflow_core.workflow.contract import NodeContext, Prepared
from workflow_core.workflow.kinds import NodeKind, register


async def agent(ctx: NodeContext) -> Prepared:
    node = ctx.node
    messages = render_messages(node, ctx.variables())
    assert node.model is not None
    # The run's ids only where a schema can name them (a text answer has none: on a 40-node chain, gathering
    # them for every node walked every upstream record each time).
    choices = run_choices(ctx) if node.output_format in ("json", "page_spec") else {}
    full_schema = output_schema(node, choices)
    schema = for_provider(full_schema, ctx.registry.is_local(node.model))

    async def answer(seed: int | None, into: NodeRecord) -> tuple[str, Any]:
        """One usable answer (text, parsed data), its calls counted on `into`; an answer that cannot be used
        is never kept (nor cached): asking again often helps, up to params.retries more times."""
        request = chat_request(node, messages, schema)
        request.seed = seed
        answers = node.params.retries + 1
        for attempt in range(1, answers + 1):
            result = await ctx.chat(node.model or "", request, into)
            try:
                data = parse_output(node, result.text)
                check_schema(node, data, full_schema)
            except OutputParseError as exc:
                if attempt == answers:
                    raise OutputParseError(f"{exc} ({answers} answer(s) tried; none could be used)") from exc
                into.warnings.append(f"answer {attempt} could not be used, asked again: {exc}")
                continue
            return result.text, data
        raise AssertionError("unreachable")  # the loop returns or raises

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        rec.examples = [e.source for e in node.examples]
        if node.params.candidates > 1:
            await best_of(ctx, rec, answer)
        else:
            rec.output_text, rec.output_data = await answer(node.params.seed, rec)

    material = {
        "kind": "agent",
        "model": ctx.registry.identity(node.model),
        "params": call_params(node),
        "messages": messages,
        "schema": schema,
        "format": node.output_format,
    }
    return Prepared(material, work, messages)


register(
    NodeKind(
        name="agent",
        executor=agent,
        summary="an LLM persona: `system` and `prompt` templates, `params`, `output_format` (`text`, `json` + "
        "`output_schema`, `tagged`, `html`, `page_spec`)",
        icon=":material/smart_toy:",
        colour="#fff9db",
        model="required",
        agent="always",
        candidates=True,
        system_prompt=True,
        examples=True,
        exact_prompt=True,
        new_node={
            "persona": "Analyst",
            "model": "local/qwen2.5-coder-0.5b",
            "prompt": "Summarise what matters to this visitor of {{ company.name }}:\n{{ profile }}",
        },
    )
)

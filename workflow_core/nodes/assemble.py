"""`assemble`: the final page, from a page spec rendered by the design system or raw HTML with the
artist's images inlined. An agent wired to it that writes page-spec text fields as JSON (a copywriter's
`{"headline": …}`) fills those fields in place of the front-end node's (`nodes.common.copy_from_parents`); the
record says which node wrote which."""

from __future__ import annotations

from workflow_core.nodes.common import build_page_async, copy_from_parents, page_source
from workflow_core.records import NodeRecord
from workflow_core.workflow.contract import NodeContext, Prepared
from workflow_core.workflow.kinds import NodeKind, register


async def assemble(ctx: NodeContext) -> Prepared:
    source = page_source(ctx)
    # Which wired agent wrote which page-spec text field (page_plan puts their words on the page).
    writers = {field: node for field, (node, _) in copy_from_parents(ctx, source).items()}
    # Rendering and inlining the page is CPU work: done in a page worker, so other runs keep being scheduled.
    html = await build_page_async(ctx, source)

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        rec.output_text = html
        rec.output_data = {"source": source.id, **({"copy": writers} if writers else {})}
        rec.page_html = html

    return Prepared({"kind": "assemble", "html": html}, work)


register(
    NodeKind(
        name="assemble",
        executor=assemble,
        summary="the final page: renders a page spec with our design system, or inlines images into raw HTML",
        icon=":material/web:",
        colour="#ebfbee",
        needs_upstream="an upstream front-end node that writes the page",
    )
)

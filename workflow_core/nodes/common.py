"""What several node kinds share: model requests, rendered messages, the artist's visual elements, and building
the page from a front-end node's output."""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, replace
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.page.assets import fill_missing_images
from workflow_core.page.colour import DEFAULT_PALETTE
from workflow_core.page.design_system import render_page
from workflow_core.page.site import data_uri, inline_images
from workflow_core.providers.base import ChatRequest
from workflow_core.quality import Sources
from workflow_core.quality.sources import workflow_instructions
from workflow_core.quality.truncation import SourceText, block_names
from workflow_core.records import NodeRecord, Passage
from workflow_core.run.offload import offload
from workflow_core.scenario.inputs import fitting_testimonials, visitor_company
from workflow_core.scenario.offer_fit import clear_lead, refused, speaks_of_refused
from workflow_core.workflow.contract import NodeContext, RunInputsView
from workflow_core.workflow.spec import Node, Workflow
from workflow_core.workflow.templating import render


def call_params(node: Node) -> dict[str, Any]:
    return node.params.model_dump(exclude={"timeout_s", "retries"})


def chat_request(node: Node, messages: list[dict[str, str]], schema: dict[str, Any] | None) -> ChatRequest:
    p = node.params
    return ChatRequest(
        model="",
        messages=messages,
        temperature=p.temperature,
        max_tokens=p.max_tokens,
        top_p=p.top_p,
        seed=p.seed,
        json_schema=schema,
        timeout_s=p.timeout_s,
    )


def render_messages(node: Node, variables: dict[str, Any]) -> list[dict[str, str]]:
    """The system prompt, the node's examples as user/assistant turns (literal text), then its prompt."""
    messages = []
    if node.system:
        messages.append({"role": "system", "content": render(node.system, variables)})
    for example in node.examples:
        messages.append({"role": "user", "content": example.prompt})
        messages.append({"role": "assistant", "content": example.answer})
    messages.append({"role": "user", "content": render(node.prompt, variables)})
    return messages


def visual_elements(ctx: NodeContext) -> list[dict[str, str]]:
    parents = ctx.parent_records()
    nearest = {r.id for r in parents}
    ordered = parents + [r for r in ctx.upstream.values() if r.id not in nearest]
    for rec in ordered:
        data = rec.output_data
        if isinstance(data, dict):
            elements = data.get("visual_elements")
            if elements is None and isinstance(data.get("page_spec"), dict):
                elements = elements_from_spec(data["page_spec"])
            if isinstance(elements, list) and elements:
                out = []
                for e in elements:
                    if isinstance(e, dict) and e.get("label"):
                        out.append({"label": str(e["label"]), "description": str(e.get("description", ""))})
                if out:
                    return out
    raise DecomposeError(
        f"image node '{ctx.node.id}' found no `visual_elements` in its upstream outputs: connect it to the "
        "personalizer (whose output must have visual_elements with label and description)."
    )


def elements_from_spec(spec: dict[str, Any]) -> list[dict[str, str]]:
    """The pictures a page spec names: its own `visual_elements` when it lists them, else its image labels."""
    if spec.get("visual_elements"):
        return list(spec["visual_elements"])
    elements = [{"label": spec.get("hero_image") or "hero", "description": spec.get("headline", "")}]
    for o in spec.get("offerings", []):
        elements.append(
            {"label": o.get("image") or o.get("id") or "offering", "description": o.get("text", "")}
        )
    return elements


def run_choices(ctx: NodeContext) -> dict[str, list[str]]:
    """The ids a schema's `x-choices` may name in this run (see `outputs.CHOICES`)."""
    labels: list[str] = []
    with contextlib.suppress(DecomposeError):
        labels = [e["label"] for e in visual_elements(ctx)]
    return {
        "offerings": [str(o["id"]) for o in ctx.inputs.get("offering_items") or [] if o.get("id")],
        "passages": [p.id for rec in ctx.upstream.values() for p in rec.passages if p.id],
        "images": labels,
    }


def image_uris(records: list[NodeRecord]) -> dict[str, str]:
    uris: dict[str, str] = {}
    for rec in records:
        for img in rec.images:
            uris[img.label] = data_uri(img.mime, img.data)
    return uris


def page_source(ctx: NodeContext) -> NodeRecord:
    """The nearest upstream record with a page: a finished page, or a front-end agent's HTML or page spec."""
    for rec in [*ctx.parent_records(), *ctx.upstream.values()]:
        data = rec.output_data
        if rec.page_html or (isinstance(data, dict) and ("html" in data or "page_spec" in data)):
            return rec
    raise DecomposeError(
        f"assemble node '{ctx.node.id}' has no upstream page: connect a front-end agent whose output_format "
        "is `html` or `page_spec`."
    )


@dataclass(frozen=True)
class PagePlan:
    """Everything building a run's page needs, as plain data, so that a worker process can build it (see
    `run.offload`): a page spec is rendered by the design system, or raw HTML gets the artist's images
    inlined."""

    data: dict[str, Any]
    images: dict[str, str]
    palette: dict[str, str]
    logo: str
    company: dict[str, Any]
    testimonials: list[dict[str, Any]]
    offerings: list[dict[str, Any]]
    cta: str
    profile: dict[str, Any] | None
    image_descriptions: dict[str, str]
    instructions: list[str]
    sources: list[str]  # the passages retrieved upstream: what a heading must not stop part-way through
    # Every segment's offerings and the names a block may end on (seller, visitor's company, testimonials'
    # authors): with `sources`, what the truncation check reads a page's copy against.
    offering_texts: list[str] = dataclasses.field(default_factory=list)
    names: list[str] = dataclasses.field(default_factory=list)

    def build(self) -> str:
        if "page_spec" in self.data:
            gone = refused(self.offerings, self.profile)
            html = render_page(
                self.data["page_spec"],
                company=self.company,
                palette=self.palette,
                logo_data_uri=self.logo,
                images=self.images,
                # A customer praising what the visitor turned down ("the loan bike got me to work") is left out.
                testimonials=[
                    t
                    for t in self.testimonials
                    if not speaks_of_refused(str(t.get("quote") or ""), gone, self.profile)
                ],
                offerings=self.offerings,
                cta=self.cta,
                profile=self.profile,
                image_descriptions=self.image_descriptions,
                instructions=self.instructions,
                sources=self.sources,
                # The truncation check's own rule: copy it would call cut off is left out as it is built.
                cut=SourceText.for_page(self.sources, self.offering_texts, self.names).cut_copy,
                # The offering that fits this visitor clearly best leads the page, whatever the model picked.
                lead=clear_lead(self.offerings, self.profile),
                # What the visitor turned down ("no interest in pivot monitoring") gets no card.
                refused={str(o.get("id", "")) for o in gone},
            )
        else:
            html = inline_images(self.data.get("html", ""), self.images, self.logo or None)
        # Any image the page still points at but nobody drew gets the built-in vector artist's drawing.
        return fill_missing_images(html, self.palette)


# The page spec's text fields another agent wired to the page may write in place of the front-end node's.
COPY_FIELDS = ("headline", "subheadline", "closing_headline", "closing_text")


def copy_from_parents(ctx: NodeContext, source: NodeRecord) -> dict[str, tuple[str, str]]:
    """Page-spec text fields (`COPY_FIELDS`) that agents wired straight to this node, other than the page's
    own source, wrote as JSON: field → (node id, text), the nearest parent first (a field written twice keeps
    the first). A copywriter node that writes only `{"headline": …}` replaces the developer's headline."""
    found: dict[str, tuple[str, str]] = {}
    for rec in ctx.parent_records():
        data = rec.output_data
        if rec.id == source.id or not isinstance(data, dict) or "page_spec" in data or "html" in data:
            continue
        for field in COPY_FIELDS:
            value = data.get(field)
            if isinstance(value, str) and value.strip() and field not in found:
                found[field] = (rec.id, value)
    return found


def page_data(ctx: NodeContext, source: NodeRecord) -> dict[str, Any]:
    """The page `source` describes, with any text fields other agents wired to this node wrote in place."""
    data = source.output_data if isinstance(source.output_data, dict) else {}
    if not isinstance(data.get("page_spec"), dict):
        return data
    written = {field: text for field, (_, text) in copy_from_parents(ctx, source).items()}
    return {**data, "page_spec": {**data["page_spec"], **written}} if written else data


def page_plan(ctx: NodeContext, source: NodeRecord) -> PagePlan:
    """What building the page `source` describes takes, gathered from the run (cheap: no parsing)."""
    data = page_data(ctx, source)
    spec = "page_spec" in data
    return PagePlan(
        data=data,
        images=image_uris(list(ctx.upstream.values())),
        palette=ctx.inputs.get("palette") or DEFAULT_PALETTE,
        logo=ctx.inputs.get("logo") or "",
        company=ctx.inputs.get("company") or {"name": "Our company"},
        testimonials=fitting_testimonials(dict(ctx.inputs.variables)),
        offerings=ctx.inputs.get("offering_items") or [],
        cta=ctx.inputs.get("cta") or "",
        profile=ctx.inputs.profile,
        image_descriptions={e["label"]: e["description"] for e in _upstream_elements(ctx)} if spec else {},
        instructions=workflow_instructions(ctx.workflow) if spec else [],
        sources=[p.text for p in passages_of(ctx)] if spec else [],
        offering_texts=[str(t) for t in (ctx.inputs.get("all_offerings") or {}).values()] if spec else [],
        names=block_names(
            ctx.inputs.get("company") or {},
            visitor_company(ctx.inputs.profile),
            ctx.inputs.get("testimonials") or [],
        )
        if spec
        else [],
    )


async def build_page_async(ctx: NodeContext, source: NodeRecord) -> str:
    """The page `source` describes, with the artist's images and the logo in place: a finished page upstream
    as it is, else built in a page worker process (`run.offload`) while this loop goes on scheduling."""
    if source.page_html:
        return source.page_html
    return await offload(page_plan(ctx, source).build)


def _upstream_elements(ctx: NodeContext) -> list[dict[str, str]]:
    with contextlib.suppress(DecomposeError):
        return visual_elements(ctx)
    return []


def passages_of(ctx: NodeContext) -> list[Passage]:
    """Every passage retrieved upstream of this node (what the page's claims may be grounded in)."""
    return [p for rec in ctx.upstream.values() for p in rec.passages]


def sources_of(inputs: RunInputsView, passages: list[Passage], workflow: Workflow | None = None) -> Sources:
    """What the quality axes check a run's page against (with `workflow`, its prompts' own words too)."""
    documents = list(inputs.scenario.documents) if inputs.scenario is not None else []
    sources = Sources.from_variables(dict(inputs.variables), passages, documents)
    if workflow is None:
        return sources
    return replace(sources, instructions=workflow_instructions(workflow))

"""What each node kind does. An executor renders what it needs (so the engine can key the cache on it) and
returns a `Prepared` whose `work` fills the node's record."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import os
import re
from typing import Any, cast

from workflow_core.errors import DecomposeError, OutputParseError
from workflow_core.page.artist import svg_from_model_text, vector_svg
from workflow_core.page.assets import fill_missing_images
from workflow_core.page.colour import DEFAULT_PALETTE
from workflow_core.page.design_system import PAGE_SPEC_SCHEMA, coerce_page_spec, render_page
from workflow_core.page.quality import QAReport, check_page
from workflow_core.page.site import data_uri, extract_html, inline_images
from workflow_core.pricing.book import estimate_tokens
from workflow_core.providers.base import ChatRequest, EmbeddingProvider, ImageProvider
from workflow_core.run.engine import NodeContext, Prepared
from workflow_core.run.records import Image, NodeRecord, Passage
from workflow_core.scenario import profile_to_prose
from workflow_core.scenario.knowledge import KnowledgeIndex, index_for_scenario
from workflow_core.workflow.spec import Node
from workflow_core.workflow.templating import render


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- output parsing
def _json_from_text(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a ```json fence, or the outermost {...}."""
    candidates = [text.strip()]
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        candidates.append(fence.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for c in candidates:
        try:
            return json.loads(c)
        except json.JSONDecodeError:
            continue
    raise OutputParseError(
        "the model's output is not valid JSON. Lower the temperature, raise max_tokens if the output was cut "
        "off, or switch output_format to `tagged` for a model without structured output."
    )


_TAG = re.compile(r"<(?P<tag>[a-z_]+)>\s*(?P<body>.*?)\s*</(?P=tag)>", re.S | re.I)


def parse_tagged(text: str) -> dict[str, Any]:
    """Parse tagged free text: `<website_description>...</website_description>` and a
    `<visual_elements>` block of `- label: description` lines."""
    found = {m.group("tag").lower(): m.group("body") for m in _TAG.finditer(text)}
    if "website_description" not in found or "visual_elements" not in found:
        missing = [t for t in ("website_description", "visual_elements") if t not in found]
        raise OutputParseError(
            f"the tagged output lacks <{'>, <'.join(missing)}> sections. The prompt must ask for both "
            "sections wrapped in those tags; a larger model or output_format `json` may follow it better."
        )
    elements = []
    for line in found["visual_elements"].splitlines():
        m = re.match(r"^\s*(?:[-*]|\d+[.)])?\s*\**(?P<label>[^:]+?)\**\s*:\s*(?P<desc>.+)$", line)
        if m:
            elements.append({"label": m.group("label").strip(), "description": m.group("desc").strip()})
    if not elements:
        raise OutputParseError("<visual_elements> holds no `- label: description` lines.")
    return {"website_description": found["website_description"], "visual_elements": elements}


def parse_output(node: Node, text: str) -> Any:
    fmt = node.output_format
    if fmt == "text":
        return None
    if fmt == "json":
        return _json_from_text(text)
    if fmt == "tagged":
        return parse_tagged(text)
    if fmt == "html":
        return {"html": extract_html(text)}
    data = _json_from_text(text)
    if not isinstance(data, dict):
        raise OutputParseError("the page spec must be a JSON object.")
    return {"page_spec": coerce_page_spec(data)}


def output_schema(node: Node, labels: list[str] | None = None) -> dict[str, Any] | None:
    """The JSON schema a node's answer must follow. For a page spec, when the artist's labels are known, the
    image fields may only name those labels (constrained decoding then cannot invent an image URL)."""
    if node.output_format == "json":
        return node.output_schema
    if node.output_format != "page_spec":
        return None
    if not labels:
        return PAGE_SPEC_SCHEMA
    schema = copy.deepcopy(PAGE_SPEC_SCHEMA)
    props = schema["properties"]
    props["hero_image"]["enum"] = labels
    props["offerings"]["items"]["properties"]["image"]["enum"] = labels
    return schema


_LENGTH_KEYWORDS = ("maxLength", "minLength")


def for_provider(schema: dict[str, Any] | None, local: bool) -> dict[str, Any] | None:
    """Length bounds keep a small local model's answers short (llama.cpp turns them into its grammar); hosted
    strict modes reject some of these keywords, so they are dropped there and the descriptions guide instead."""
    if schema is None or local:
        return schema

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _LENGTH_KEYWORDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return cast(dict[str, Any], strip(schema))


def _call_params(node: Node) -> dict[str, Any]:
    return node.params.model_dump(exclude={"timeout_s", "retries"})


def _request(node: Node, messages: list[dict[str, str]], schema: dict[str, Any] | None) -> ChatRequest:
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
    messages = []
    if node.system:
        messages.append({"role": "system", "content": render(node.system, variables)})
    messages.append({"role": "user", "content": render(node.prompt, variables)})
    return messages


# ---------------------------------------------------------------- agent
async def agent(ctx: NodeContext) -> Prepared:
    node = ctx.node
    messages = render_messages(node, ctx.variables())
    assert node.model is not None
    labels = None
    if node.output_format == "page_spec":
        with contextlib.suppress(DecomposeError):
            labels = [e["label"] for e in _visual_elements(ctx)]
    schema = for_provider(output_schema(node, labels), ctx.registry.is_local(node.model))

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        result = await ctx.chat(node.model or "", _request(node, messages, schema), rec)
        rec.output_text = result.text
        rec.output_data = parse_output(node, result.text)

    material = {
        "kind": "agent",
        "model": ctx.registry.identity(node.model),
        "params": _call_params(node),
        "messages": messages,
        "schema": schema,
        "format": node.output_format,
    }
    return Prepared(material, work, messages)


# ---------------------------------------------------------------- profile
def _require_input(ctx: NodeContext, name: str) -> Any:
    if name not in ctx.inputs:
        raise DecomposeError(
            f"a {ctx.node.kind} node needs the `{name}` input: run the workflow with a scenario and a profile."
        )
    return ctx.inputs[name]


async def profile(ctx: NodeContext) -> Prepared:
    data = _require_input(ctx, "profile")
    if not isinstance(data, dict):
        raise DecomposeError("the profile must be a JSON object.")

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        rec.output_text = profile_to_prose(data)
        rec.output_data = data

    return Prepared({"kind": "profile", "profile": data}, work)


# ---------------------------------------------------------------- retrieve
def _filters_from_profile(profile_data: dict[str, Any], keys: list[str]) -> dict[str, str]:
    lowered = {str(k).lower(): v for k, v in profile_data.items()}
    return {k: str(lowered[k.lower()]) for k in keys if k.lower() in lowered and lowered[k.lower()]}


async def retrieve(ctx: NodeContext) -> Prepared:
    scenario = ctx.extras.get("scenario")
    if scenario is None:
        raise DecomposeError(
            "a retrieve node needs a scenario with knowledge documents: pass --scenario DIR."
        )
    cfg = ctx.node.config
    top_k = int(cfg.get("top_k", 4))
    variables = ctx.variables()
    default_query = "{{ profile | tojson }}" if "profile" in variables else "company overview"
    query = render(str(cfg.get("query", default_query)), variables)
    profile_data = ctx.inputs.get("profile") or {}
    segment = ctx.inputs.get("segment")
    if segment:
        # The scenario already matched the profile to one of its segments (whatever the profile calls it).
        filters = {str(cfg.get("segment_key", "industry")): str(segment)}
    else:
        filters = _filters_from_profile(profile_data, list(cfg.get("filter_keys", ["industry"])))
    embeddings_ref = cfg.get("embeddings") or os.environ.get("DECOMPOSE_EMBEDDINGS")
    if embeddings_ref:
        ctx.registry.resolve(str(embeddings_ref))  # an unusable model fails here, before any work
    # hashlib, not hash(): the cache outlives the process and str hashes are salted per process.
    fingerprint = [
        (d.name, _sha(d.text), _sha(json.dumps(d.metadata, sort_keys=True, default=str)))
        for d in scenario.documents
    ]

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        index = (
            _hybrid_index(ctx, scenario, str(embeddings_ref), rec)
            if embeddings_ref
            else index_for_scenario(scenario)
        )
        passages: list[Passage] = await index.aretrieve(query, top_k=top_k, filters=filters or None)
        rec.passages = passages
        rec.output_text = "\n\n".join(f"[{p.doc}] {p.text}" for p in passages)
        rec.output_data = {"passages": [p.model_dump() for p in passages], "query": query, "filters": filters}

    material = {
        "kind": "retrieve",
        "query": query,
        "filters": filters,
        "top_k": top_k,
        "docs": fingerprint,
        "embeddings": embeddings_ref,
    }
    return Prepared(material, work)


def _hybrid_index(ctx: NodeContext, scenario: Any, ref: str, rec: NodeRecord) -> KnowledgeIndex:
    """BM25 fused with embeddings from an OpenAI-compatible `/v1/embeddings` endpoint (`provider/model`).
    Embedding calls retry like every model call and are counted and priced on the retrieve node."""
    provider: Any
    provider, model_name = ctx.registry.resolve(ref)
    if not isinstance(provider, EmbeddingProvider):
        raise DecomposeError(f"{ref} cannot embed text: pick a model on an OpenAI-compatible provider.")

    async def embed(texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = await ctx.with_retries(
            ref, lambda: provider.embed(model_name, texts), rec
        )
        # The provider interface returns vectors only, so input tokens are estimated from the text.
        tokens = sum(estimate_tokens(t) for t in texts)
        rec.calls += 1
        rec.input_tokens += tokens
        rec.cost_usd += ctx.prices.chat_cost(ref, tokens, 0)
        return vectors

    return KnowledgeIndex(scenario.documents, embedder=embed)


# ---------------------------------------------------------------- image (artist)
def _visual_elements(ctx: NodeContext) -> list[dict[str, str]]:
    ordered = ctx.parent_records() + [r for r in ctx.upstream.values() if r not in ctx.parent_records()]
    for rec in ordered:
        data = rec.output_data
        if isinstance(data, dict):
            elements = data.get("visual_elements")
            if elements is None and isinstance(data.get("page_spec"), dict):
                elements = _elements_from_spec(data["page_spec"])
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


def _elements_from_spec(spec: dict[str, Any]) -> list[dict[str, str]]:
    elements = [{"label": spec.get("hero_image", "hero"), "description": spec.get("headline", "")}]
    for o in spec.get("offerings", []):
        elements.append(
            {"label": o.get("image") or o.get("title", "offering"), "description": o.get("text", "")}
        )
    return elements


async def image(ctx: NodeContext) -> Prepared:
    elements = _visual_elements(ctx)[: int(ctx.node.config.get("max_images", 6))]
    palette = ctx.inputs.get("palette") or DEFAULT_PALETTE
    node = ctx.node
    backend = str(node.config.get("backend", "vector" if node.model is None else "svg"))
    if backend not in {"vector", "svg", "images"}:
        raise DecomposeError(f"unknown artist backend '{backend}': use vector, svg or images.")
    if backend != "vector" and node.model is None:
        raise DecomposeError(f"the `{backend}` artist backend needs a model on node '{node.id}'.")
    size = str(node.config.get("size", "1024x1024"))
    variables = ctx.variables()
    # Rendered before any call so the cache key holds exactly what each drawing is asked for.
    svg_messages = (
        {
            el["label"]: [
                {"role": "system", "content": render(node.system or _SVG_SYSTEM, variables)},
                {
                    "role": "user",
                    "content": render(
                        node.prompt or _SVG_PROMPT, {**variables, "element": el, "palette": palette}
                    ),
                },
            ]
            for el in elements
        }
        if backend == "svg"
        else {}
    )

    async def one(el: dict[str, str], rec: NodeRecord) -> Image:
        if backend == "vector":
            return Image(
                label=el["label"],
                description=el["description"],
                data=vector_svg(el["label"], el["description"], palette),
                backend="vector (built-in, offline)",
            )
        if backend == "svg":
            messages = svg_messages[el["label"]]
            result = await ctx.chat(node.model or "", _request(node, messages, None), rec)
            return Image(
                label=el["label"],
                description=el["description"],
                data=svg_from_model_text(result.text),
                backend=f"svg by {node.model}",
            )
        provider: Any
        provider, model_name = ctx.registry.resolve(node.model or "")
        if not isinstance(provider, ImageProvider):
            raise DecomposeError(
                f"{node.model} cannot generate images; pick an OpenAI-compatible image model."
            )
        prompt = (
            f"{el['label']}: {el['description']}. Flat illustration in colours {', '.join(palette.values())}."
        )
        generated = await ctx.with_retries(
            node.model or "", lambda: provider.generate_image(model_name, prompt, size), rec
        )
        cost = ctx.prices.image_cost(node.model or "", 1, size)
        rec.cost_usd += cost
        rec.calls += 1
        return Image(
            label=el["label"],
            description=el["description"],
            mime=generated.mime,
            data=base64.b64encode(generated.data).decode("ascii"),
            backend=f"images by {node.model}",
            cost_usd=cost,
        )

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        images = await asyncio.gather(*(one(el, rec) for el in elements))
        rec.images = list(images)
        rec.output_text = "\n".join(f"{i.label}: {i.description} [{i.backend}]" for i in images)
        rec.output_data = {"image_count": len(images), "labels": [i.label for i in images]}

    material = {
        "kind": "image",
        "backend": backend,
        "model": ctx.registry.identity(node.model) if node.model and backend != "vector" else None,
        "elements": elements,
        "palette": palette,
        "size": size,
        "messages": svg_messages,
        "params": _call_params(node),
    }
    return Prepared(material, work)


_SVG_SYSTEM = "You are an illustrator who draws with SVG. Answer with one <svg> element and nothing else."
_SVG_PROMPT = (
    'Draw a simple flat illustration for a website, 800x450, viewBox="0 0 800 450", using only these colours: '
    "{{ palette.values() | join(', ') }}.\nSubject ({{ element.label }}): {{ element.description }}"
)


# ---------------------------------------------------------------- assemble
def image_uris(records: list[NodeRecord]) -> dict[str, str]:
    uris: dict[str, str] = {}
    for rec in records:
        for img in rec.images:
            uris[img.label] = data_uri(img.mime, img.data)
    return uris


def _page_source(ctx: NodeContext) -> NodeRecord:
    for rec in [*ctx.parent_records(), *ctx.upstream.values()]:
        data = rec.output_data
        if isinstance(data, dict) and ("html" in data or "page_spec" in data or "page_html" in data):
            return rec
    raise DecomposeError(
        f"assemble node '{ctx.node.id}' has no upstream page: connect a front-end agent whose output_format "
        "is `html` or `page_spec`."
    )


def build_page(ctx: NodeContext, source: NodeRecord) -> str:
    images = image_uris(list(ctx.upstream.values()))
    palette = ctx.inputs.get("palette") or DEFAULT_PALETTE
    logo = ctx.inputs.get("logo")
    data = source.output_data
    if "page_spec" in data:
        profile_data = ctx.inputs.get("profile") or {}
        html = render_page(
            data["page_spec"],
            company=ctx.inputs.get("company") or {"name": "Our company"},
            palette=palette,
            logo_data_uri=logo or "",
            images=images,
            testimonials=ctx.inputs.get("testimonials") or [],
            profile_name=profile_data.get("name") if isinstance(profile_data, dict) else None,
        )
    else:
        html = inline_images(data.get("html") or data.get("page_html", ""), images, logo)
    # Any image the page still points at but nobody drew gets the built-in vector artist's drawing.
    return fill_missing_images(html, palette)


async def assemble(ctx: NodeContext) -> Prepared:
    source = _page_source(ctx)
    html = build_page(ctx, source)

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        rec.output_text = html
        rec.output_data = {"page_html": html, "source": source.id}

    return Prepared({"kind": "assemble", "html": html}, work)


# ---------------------------------------------------------------- qa
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


def _passages(ctx: NodeContext) -> list[Passage]:
    return [p for rec in ctx.upstream.values() for p in rec.passages]


def automatic_qa(html: str, inputs: dict[str, Any], passages: list[Passage]) -> QAReport:
    """The automatic checks every run's page gets, with or without a QA node."""
    return check_page(
        html,
        design_steps=inputs.get("design_steps"),
        guidelines=inputs.get("guidelines") or "",
        profile=inputs.get("profile"),
        passages=passages,
        company=inputs.get("company"),
    )


def _qa_report(ctx: NodeContext, html: str) -> QAReport:
    return automatic_qa(html, ctx.inputs, _passages(ctx))


def _developer(ctx: NodeContext) -> Node | None:
    target = ctx.node.config.get("send_back_to")
    if target:
        return ctx.workflow.node(str(target))
    for rec in ctx.upstream.values():
        node = ctx.workflow.node(rec.id)
        if node.kind == "agent" and node.output_format in ("html", "page_spec"):
            return node
    return None


async def qa(ctx: NodeContext) -> Prepared:
    source = _page_source(ctx)
    page = source.output_data.get("page_html") or build_page(ctx, source)
    node = ctx.node
    report = _qa_report(ctx, page)
    messages: list[dict[str, str]] = []
    developer = _developer(ctx) if node.model else None
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
            result = await ctx.chat(node.model, _request(node, messages, schema), rec)
            try:
                review = _json_from_text(result.text)
            except OutputParseError as exc:
                raise OutputParseError(f"the QA review is not valid JSON: {exc}") from exc
            approve = bool(review.get("approve", True)) if isinstance(review, dict) else True
            feedback = str(review.get("feedback", "")) if isinstance(review, dict) else ""
            rounds = int(node.config.get("max_rounds", 1))
            if not approve and feedback.strip() and developer is not None and rounds > 0:
                try:
                    final_page = await _send_back(ctx, rec, developer, feedback)
                    final_report = _qa_report(ctx, final_page)
                except OutputParseError as exc:
                    # The reviewed page stands; a revision that cannot be parsed must not lose it.
                    rec.warnings.append(f"the revision after review failed ({exc}); kept the reviewed page.")
        rec.output_text = final_page
        rec.output_data = {
            "page_html": final_page,
            "qa_score": final_report.score,
            "category_scores": final_report.category_scores,
            "qa_findings": [f.model_dump() for f in final_report.findings],
            "feedback": feedback,
            "sent_back": final_page is not page,
        }

    # Everything the verdict depends on: the page, what the automatic checks read, the review prompt, and
    # the developer a rejected page goes back to.
    material = {
        "kind": "qa",
        "page": page,
        "checks": {k: ctx.inputs.get(k) for k in ("design_steps", "guidelines", "profile", "company")},
        "passages": [p.model_dump() for p in _passages(ctx)],
        "model": ctx.registry.identity(node.model) if node.model else None,
        "params": _call_params(node),
        "messages": messages,
        "config": node.config,
        "developer": developer.model_dump(exclude={"position"}) if developer else None,
    }
    return Prepared(material, work, messages)


async def _send_back(ctx: NodeContext, rec: NodeRecord, developer: Node, feedback: str) -> str:
    """One bounded revision: the developer re-answers with the reviewer's feedback, and the page is rebuilt.
    The extra call's tokens and cost are the QA node's (it caused them)."""
    messages = render_messages(developer, ctx.variables())
    # Appended after rendering: the reviewer's words are model output, never template code.
    messages[-1]["content"] += "\n\nA reviewer asked for these changes; apply them:\n" + feedback
    revised = developer
    labels = None
    with contextlib.suppress(DecomposeError):
        labels = [e["label"] for e in _visual_elements(ctx)]
    schema = for_provider(output_schema(revised, labels), ctx.registry.is_local(developer.model or ""))
    result = await ctx.chat(developer.model or "", _request(revised, messages, schema), rec)
    revised_rec = NodeRecord(
        id=developer.id, kind="agent", output_text=result.text, output_data=parse_output(revised, result.text)
    )
    return build_page(ctx, revised_rec)


EXECUTORS = {
    "agent": agent,
    "profile": profile,
    "retrieve": retrieve,
    "image": image,
    "assemble": assemble,
    "qa": qa,
}

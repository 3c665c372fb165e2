"""`image`: the artist. One image per visual element, concurrently: the built-in vector artist (offline), an
LLM that writes SVG, or an OpenAI-compatible image model."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.nodes.common import call_params, chat_request, visual_elements
from workflow_core.page.artist import svg_from_model_text, vector_svg
from workflow_core.page.colour import DEFAULT_PALETTE
from workflow_core.page.icons import choose_icons
from workflow_core.providers.base import ImageProvider
from workflow_core.records import Image, NodeRecord
from workflow_core.workflow.contract import NodeContext, Prepared
from workflow_core.workflow.kinds import NodeKind, register
from workflow_core.workflow.templating import render


async def image(ctx: NodeContext) -> Prepared:
    elements = visual_elements(ctx)[: int(ctx.node.config.get("max_images", 6))]
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

    # The vector artist picks the page's icons together, so different elements get different subjects.
    icons = choose_icons([(e["label"], e["description"]) for e in elements]) if backend == "vector" else []

    async def one(n: int, el: dict[str, str], rec: NodeRecord) -> Image:
        if backend == "vector":
            return Image(
                label=el["label"],
                description=el["description"],
                data=vector_svg(el["label"], el["description"], palette, icon=icons[n]),
                backend=f"vector (built-in, offline; icon: {icons[n]})",
            )
        if backend == "svg":
            messages = svg_messages[el["label"]]
            result = await ctx.chat(node.model or "", chat_request(node, messages, None), rec)
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
        images = await asyncio.gather(*(one(n, el, rec) for n, el in enumerate(elements)))
        rec.images = list(images)
        rec.output_text = "\n".join(f"{i.label}: {i.description} [{i.backend}]" for i in images)
        rec.output_data = {"image_count": len(images), "labels": [i.label for i in images]}

    material = {
        "kind": "image",
        "backend": backend,
        "icons": icons,
        "model": ctx.registry.identity(node.model) if node.model and backend != "vector" else None,
        "elements": elements,
        "palette": palette,
        "size": size,
        "messages": svg_messages,
        "params": call_params(node),
    }
    return Prepared(material, work)


_SVG_SYSTEM = "You are an illustrator who draws with SVG. Answer with one <svg> element and nothing else."
_SVG_PROMPT = (
    'Draw a simple flat illustration for a website, 800x450, viewBox="0 0 800 450", using only these colours: '
    "{{ palette.values() | join(', ') }}.\nSubject ({{ element.label }}): {{ element.description }}"
)


def _report_fields(record: NodeRecord) -> dict[str, Any]:
    return {
        "image_count": len(record.images),
        "images": [{"label": i.label, "backend": i.backend, "cost_usd": i.cost_usd} for i in record.images],
    }


register(
    NodeKind(
        name="image",
        executor=image,
        summary="the artist: one image per visual element, concurrently. `config.backend`: `vector` (built-in, "
        "offline), `svg` (an LLM writes SVG), `images` (OpenAI-compatible `/v1/images/generations`)",
        icon=":material/palette:",
        colour="#fff0f6",
        model="optional",
        agent="always",
        system_prompt=True,
        priced_by_tokens=False,  # the images backend is priced per picture
        prompt_variables=frozenset({"element", "palette"}),
        needs_upstream="an upstream node whose output lists `visual_elements`",
        report_fields=_report_fields,
        new_node={"persona": "Artist", "config": {"backend": "vector"}},
    )
)

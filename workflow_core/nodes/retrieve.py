"""`retrieve`: top-k passages from the company's knowledge (BM25 with bm25s; hybrid with embeddings when a
model is named), filtered to the visitor's segment."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.page.words import slugify
from workflow_core.pricing.book import estimate_tokens
from workflow_core.providers.base import EmbeddingProvider
from workflow_core.records import NodeRecord, Passage
from workflow_core.run.inputs import RunInputs
from workflow_core.scenario import Scenario
from workflow_core.scenario.injection import RULE_VERSION as INJECTION_RULE
from workflow_core.scenario.injection import without_instructions
from workflow_core.scenario.knowledge import KnowledgeIndex, index_for_scenario
from workflow_core.scenario.segments import document_segment_key
from workflow_core.workflow.contract import NodeContext, Prepared, RunInputsView
from workflow_core.workflow.kinds import NodeKind, register
from workflow_core.workflow.spec import Node
from workflow_core.workflow.templating import render


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _filters_from_profile(profile_data: dict[str, Any], keys: list[str]) -> dict[str, str]:
    lowered = {str(k).lower(): v for k, v in profile_data.items()}
    return {k: str(lowered[k.lower()]) for k in keys if k.lower() in lowered and lowered[k.lower()]}


def query_and_filters(
    scenario: Scenario, variables: dict[str, Any], inputs: RunInputsView, config: Mapping[str, Any]
) -> tuple[str, dict[str, str]]:
    """A retrieve node's query (its `query` template, by default the visitor's profile as JSON) and its
    filters (the segment the scenario matched the profile to, else the profile's `filter_keys`)."""
    default_query = "{{ profile | tojson }}" if "profile" in variables else "company overview"
    query = render(str(config.get("query", default_query)), variables)
    segment = inputs.get("segment")
    if segment:
        # The scenario already matched the profile to one of its segments (whatever the profile calls it).
        return query, {
            document_segment_key(scenario, str(config.get("segment_key", "industry"))): str(segment)
        }
    return query, _filters_from_profile(inputs.profile, list(config.get("filter_keys", ["industry"])))


def default_passages(scenario: Scenario, profile_id: str | None, top_k: int = 4) -> list[Passage]:
    """What a retrieve node with the templates' settings (BM25, `top_k` 4) finds for this visitor: the passages
    a run's page is checked against when only the page is at hand (`decompose check`, calibration)."""
    inputs = RunInputs.for_profile(scenario, profile_id)
    query, filters = query_and_filters(scenario, dict(inputs.variables), inputs, {})
    return _with_ids(index_for_scenario(scenario).retrieve(query, top_k=top_k, filters=filters or None))


async def retrieve(ctx: NodeContext) -> Prepared:
    scenario = ctx.inputs.scenario
    if not isinstance(scenario, Scenario):
        raise DecomposeError(
            "a retrieve node needs a scenario with knowledge documents: pass --scenario DIR."
        )
    cfg = ctx.node.config
    top_k = int(cfg.get("top_k", 4))
    query, filters = query_and_filters(scenario, ctx.variables(), ctx.inputs, cfg)
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
        passages = _with_ids(await index.aretrieve(query, top_k=top_k, filters=filters or None))
        rec.passages = passages
        rec.output_text = "\n\n".join(f"[{p.id}] {p.text}" for p in passages)
        rec.output_data = {
            "passages": [p.model_dump() for p in passages],
            "by_id": {p.id: p.text for p in passages},
            "query": query,
            "filters": filters,
        }

    material = {
        "kind": "retrieve",
        "query": query,
        "filters": filters,
        "top_k": top_k,
        "docs": fingerprint,
        "embeddings": embeddings_ref,
        "injection_rule": INJECTION_RULE,
    }
    return Prepared(material, work)


def _with_ids(passages: list[Passage]) -> list[Passage]:
    """Passages with short readable ids (the note's file name; `-2`, `-3` for more passages of one note),
    their instruction-like sentences replaced (`scenario.injection`: research is data, never orders)."""
    out, seen = [], set()
    for p in passages:
        base = slugify(Path(p.doc).stem, fallback="note")
        pid, n = base, 2
        while pid in seen:
            pid, n = f"{base}-{n}", n + 1
        seen.add(pid)
        out.append(p.model_copy(update={"id": pid, "text": without_instructions(p.text)}))
    return out


def _hybrid_index(ctx: NodeContext, scenario: Scenario, ref: str, rec: NodeRecord) -> KnowledgeIndex:
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


def _handoff_tokens(node: Node, variables: Mapping[str, Any]) -> int:
    return int(node.config.get("top_k", 4)) * 160  # passages are chunked to about 160 tokens


def _report_fields(record: NodeRecord) -> dict[str, Any]:
    return {"passages": [p.model_dump() for p in record.passages]}


register(
    NodeKind(
        name="retrieve",
        executor=retrieve,
        needs_scenario=True,
        summary="top-k passages from the company's knowledge (bm25s; hybrid with embeddings when configured), "
        "filtered by profile keys (`config.filter_keys`)",
        icon=":material/menu_book:",
        colour="#f3f0ff",
        handoff_tokens=_handoff_tokens,
        report_fields=_report_fields,
        new_node={"config": {"top_k": 4}},
    )
)

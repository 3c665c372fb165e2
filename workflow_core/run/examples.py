"""Specialising an agent node by examples taken from past runs of the same node: the best-scoring answers (by
the runs' quality axes), or a larger model's answers on other profiles ("teach the 0.5B with the 1.5B's best
pages")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from workflow_core.errors import DecomposeError
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.store import Store
from workflow_core.workflow.kinds import kind_of
from workflow_core.workflow.spec import Example, Workflow

_SPEC = re.compile(r"^(?P<node>[^=]+)=(?P<how>best|[^:=\s]+/[^:=\s]+)(?::(?P<k>\d+))?$")


@dataclass(frozen=True)
class ExampleRequest:
    """Which examples a node gets: the `k` best-scoring past answers of node `node`, only those of `model`
    when one is named (e.g. local/qwen2.5-coder-1.5b)."""

    node: str
    model: str | None = None
    k: int = 2

    @classmethod
    def parse(cls, text: str) -> ExampleRequest:
        """`NODE=best[:K]` or `NODE=PROVIDER/MODEL[:K]`."""
        match = _SPEC.match(text.strip())
        if not match:
            raise DecomposeError(
                f"--examples {text!r}: write NODE=best[:K] (the node's best-scoring past answers) or "
                "NODE=PROVIDER/MODEL[:K] (that model's best answers), e.g. developer=local/qwen2.5-coder-1.5b:2."
            )
        how = match.group("how")
        return cls(match.group("node").strip(), None if how == "best" else how, int(match.group("k") or 2))


def examples_to_yaml(examples: list[Example]) -> str:
    """Examples as the YAML a person edits: a list of `prompt`, `answer` and `source`."""
    if not examples:
        return ""
    return yaml.safe_dump([e.model_dump() for e in examples], sort_keys=False, allow_unicode=True, width=100)


def examples_from_yaml(text: str) -> list[Example]:
    """Examples from that YAML ("" for none). Raises DecomposeError saying what is wrong."""
    try:
        data: Any = yaml.safe_load(text) if text.strip() else []
    except yaml.YAMLError as exc:
        raise DecomposeError(
            f"the examples are not valid YAML ({exc}); write a list of prompt/answer."
        ) from exc
    if not isinstance(data, list):
        raise DecomposeError("the examples must be a list, each `- prompt: ...` with an `answer: ...`.")
    try:
        return [Example.model_validate(item) for item in data]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DecomposeError(
            f"example {where}: {first['msg']}; each example needs a `prompt` and an `answer`."
        ) from exc


def _answer(run: RunRecord, node_id: str) -> NodeRecord | None:
    rec = next((n for n in run.nodes if n.id == node_id), None)
    users = [m for m in rec.messages if m.get("role") == "user"] if rec else []
    if rec is None or rec.status != "ok" or not rec.output_text.strip() or not users:
        return None
    return rec


def examples_from_runs(
    store: Store,
    request: ExampleRequest,
    *,
    exclude_profile: str | None = None,
    limit: int = 200,
) -> list[Example]:
    """Up to `request.k` examples for node `request.node` from past finished runs in `store` (any workflow with
    that node), best quality first, one per profile, never from `exclude_profile` (the profile about to be
    run: its own answer would be a leak, not a lesson). Each example's prompt is the node's last user turn as
    it was rendered then, its answer what the node answered."""
    scored: list[tuple[float, float, RunRecord, NodeRecord]] = []
    for summary in store.list_runs(limit=limit):
        run = store.get_run(str(summary["run_id"]))
        if run is None or run.qa_score is None or run.profile == exclude_profile:
            continue
        rec = _answer(run, request.node)
        if rec is None or (request.model and rec.model != request.model):
            continue
        scored.append((run.qa_score, run.started_at, run, rec))
    scored.sort(key=lambda t: (-t[0], -t[1]))
    out: list[Example] = []
    seen: set[str | None] = set()
    for score, _, run, rec in scored:
        if run.profile in seen:
            continue
        seen.add(run.profile)
        prompt = next(m["content"] for m in reversed(rec.messages) if m.get("role") == "user")
        source = f"run {run.run_id}: {rec.model} on {run.profile or 'no profile'}, quality {score:.2f}"
        out.append(Example(prompt=prompt, answer=rec.output_text, source=source))
        if len(out) == request.k:
            break
    return out


def with_examples(
    workflow: Workflow, store: Store, requests: list[ExampleRequest], exclude_profile: str | None
) -> Workflow:
    """The workflow with each requested node's examples taken from past runs. Raises DecomposeError naming
    the node when it is not an agent or no past run has an answer to learn from."""
    out = workflow.model_copy(deep=True)
    for request in requests:
        node = next((n for n in out.nodes if n.id == request.node), None)
        if node is None or not kind_of(node.kind).examples:
            agents = ", ".join(n.id for n in out.nodes if kind_of(n.kind).examples)
            raise DecomposeError(
                f"--examples names '{request.node}', which is not a node that takes examples here ({agents})."
            )
        found = examples_from_runs(store, request, exclude_profile=exclude_profile)
        if not found:
            whose = f" by {request.model}" if request.model else ""
            raise DecomposeError(
                f"no past run has a scored answer of node '{request.node}'{whose} on another profile: run the "
                "workflow (with that model on the node) on other profiles first."
            )
        node.examples = found
    return out

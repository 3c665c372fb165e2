"""Two runs side by side, node by node: what each node was asked (its rendered prompts), what it answered,
and what it used (tokens, latency, cost), plus the runs' quality. For a workflow edited between two runs, or
two variants on one profile. `format_diff` is the text `decompose diff` prints."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field

from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.reopen import workflow_of_run

DIFF_CONTEXT = 2


@dataclass(frozen=True)
class Deltas:
    """B minus A."""

    input_tokens: int
    output_tokens: int
    latency_s: float
    cost_usd: float


@dataclass(frozen=True)
class NodeDiff:
    node_id: str
    kind: str
    presence: str  # "both", "only A", "only B"
    status: tuple[str, str]
    spec_changed: bool  # the node itself (prompts, model, params, config) was edited between the runs
    prompt_diff: list[str]  # unified diff lines of the rendered messages; empty when the same
    output_diff: list[str]
    deltas: Deltas

    @property
    def prompt_changed(self) -> bool:
        return bool(self.prompt_diff)

    @property
    def output_changed(self) -> bool:
        return bool(self.output_diff)


@dataclass(frozen=True)
class RunDiff:
    a: RunRecord
    b: RunRecord
    nodes: list[NodeDiff]
    totals: Deltas
    critical_path_s: float
    qa_score: float | None
    qa_axes: dict[str, float] = field(default_factory=dict)  # per axis measured in both runs
    page_changed: bool = False

    @property
    def changed_prompts(self) -> list[str]:
        return [n.node_id for n in self.nodes if n.prompt_changed]

    @property
    def changed_outputs(self) -> list[str]:
        return [n.node_id for n in self.nodes if n.output_changed]

    @property
    def edited(self) -> list[str]:
        return [n.node_id for n in self.nodes if n.spec_changed]


def messages_text(rec: NodeRecord | None) -> str:
    """The rendered messages, one block per role (what the model was asked)."""
    if rec is None:
        return ""
    return "\n".join(f"[{m.get('role', '?')}]\n{m.get('content', '')}" for m in rec.messages)


def output_text(rec: NodeRecord | None) -> str:
    """What a node produced, as text: its output (structured output pretty-printed), its page, and a
    fingerprint line per image."""
    if rec is None:
        return ""
    parts = []
    if rec.output_data is not None:
        parts.append(json.dumps(rec.output_data, indent=2, ensure_ascii=False, sort_keys=True, default=str))
    elif rec.output_text:
        parts.append(rec.output_text)
    if rec.page_html and rec.page_html not in parts:
        parts.append(rec.page_html)
    for img in rec.images:
        digest = hashlib.sha256(img.data.encode("utf-8")).hexdigest()[:12]
        parts.append(f"[image {img.label}: {img.mime}, {len(img.data)} chars, sha256 {digest}]")
    if rec.error:
        parts.append(f"[error] {rec.error}")
    return "\n".join(parts)


def text_diff(a: str, b: str, label: str) -> list[str]:
    """Unified diff lines (no trailing newlines); empty when the texts are equal."""
    if a == b:
        return []
    return list(
        difflib.unified_diff(
            a.splitlines(), b.splitlines(), f"A/{label}", f"B/{label}", n=DIFF_CONTEXT, lineterm=""
        )
    )


def _latency(rec: NodeRecord | None) -> float:
    if rec is None:
        return 0.0
    return rec.latency_if_uncached_s if rec.cached and rec.latency_if_uncached_s else rec.latency_s


def _deltas(a: NodeRecord | None, b: NodeRecord | None) -> Deltas:
    def get(rec: NodeRecord | None, name: str) -> float:
        return float(getattr(rec, name)) if rec is not None else 0.0

    return Deltas(
        input_tokens=int(get(b, "input_tokens") - get(a, "input_tokens")),
        output_tokens=int(get(b, "output_tokens") - get(a, "output_tokens")),
        latency_s=_latency(b) - _latency(a),
        cost_usd=get(b, "cost_if_uncached_usd") - get(a, "cost_if_uncached_usd"),
    )


def _node_specs(run: RunRecord) -> dict[str, str]:
    """Each node's spec as JSON, without its canvas position (moving a node changes nothing it does)."""
    workflow = workflow_of_run(run)
    return {n.id: n.model_dump_json(exclude={"position"}) for n in workflow.nodes}


def diff_runs(a: RunRecord, b: RunRecord) -> RunDiff:
    """How run `b` differs from run `a`, node by node (nodes of `a` in order, then those only in `b`)."""
    recs_a, recs_b = {n.id: n for n in a.nodes}, {n.id: n for n in b.nodes}
    specs_a, specs_b = _node_specs(a), _node_specs(b)
    ids = [*recs_a, *(i for i in recs_b if i not in recs_a)]
    nodes = []
    for node_id in ids:
        ra, rb = recs_a.get(node_id), recs_b.get(node_id)
        presence = "both" if ra and rb else ("only A" if ra else "only B")
        either = ra or rb
        kind = either.kind if either is not None else ""
        nodes.append(
            NodeDiff(
                node_id=node_id,
                kind=kind,
                presence=presence,
                status=(ra.status if ra else "–", rb.status if rb else "–"),
                spec_changed=specs_a.get(node_id) != specs_b.get(node_id),
                prompt_diff=text_diff(messages_text(ra), messages_text(rb), f"{node_id}/prompt"),
                output_diff=text_diff(output_text(ra), output_text(rb), f"{node_id}/output"),
                deltas=_deltas(ra, rb),
            )
        )
    both_axes = sorted(set(a.qa_axes) & set(b.qa_axes))
    return RunDiff(
        a=a,
        b=b,
        nodes=nodes,
        totals=Deltas(
            input_tokens=sum(n.deltas.input_tokens for n in nodes),
            output_tokens=sum(n.deltas.output_tokens for n in nodes),
            latency_s=b.wall_s - a.wall_s,
            cost_usd=sum(n.deltas.cost_usd for n in nodes),
        ),
        critical_path_s=b.critical_path_s - a.critical_path_s,
        qa_score=None if a.qa_score is None or b.qa_score is None else b.qa_score - a.qa_score,
        qa_axes={axis: b.qa_axes[axis] - a.qa_axes[axis] for axis in both_axes},
        page_changed=(a.page_html or "") != (b.page_html or ""),
    )


def signed(value: float, fmt: str) -> str:
    """`value` with an explicit sign ("+0.12", "-3"), or "0" when it rounds to zero in `fmt`."""
    text = format(value, fmt)
    if float(text) == 0:
        return "0"
    return ("+" if value > 0 else "") + text


def _describe(run: RunRecord) -> str:
    qa = "–" if run.qa_score is None else f"{run.qa_score:.2f}"
    return (
        f"{run.run_id}  {run.workflow} on {run.profile or '–'}  {run.status}  ${run.total_cost_usd:.6f}  "
        f"wall {run.wall_s:.2f} s  QA {qa}"
    )


def format_diff(diff: RunDiff, max_lines: int = 80) -> str:
    """The diff as terminal text: the two runs, the deltas, a table of nodes, then each changed prompt and
    output (at most `max_lines` lines each)."""
    t = diff.totals
    out = [
        f"A  {_describe(diff.a)}",
        f"B  {_describe(diff.b)}",
        f"B − A: in tokens {signed(t.input_tokens, 'd')}, out tokens {signed(t.output_tokens, 'd')}, "
        f"cost {signed(t.cost_usd, '.6f')} USD, wall {signed(t.latency_s, '.2f')} s, "
        f"critical path {signed(diff.critical_path_s, '.2f')} s, "
        f"QA {'–' if diff.qa_score is None else signed(diff.qa_score, '.3f')}",
    ]
    if diff.qa_axes:
        out.append("QA axes: " + ", ".join(f"{k} {signed(v, '.3f')}" for k, v in diff.qa_axes.items()))
    out.append("")
    width = max([len("node"), *(len(n.node_id) for n in diff.nodes)])
    out.append(
        f"{'node'.ljust(width)}  {'edited':<6}  {'prompt':<7}  {'output':<7}  {'in tok':>7}  {'out tok':>7}  "
        f"{'latency s':>9}  {'cost USD':>10}"
    )
    for n in diff.nodes:
        d = n.deltas
        out.append(
            f"{n.node_id.ljust(width)}  {('yes' if n.spec_changed else ''):<6}  "
            f"{('changed' if n.prompt_changed else 'same'):<7}  {('changed' if n.output_changed else 'same'):<7}  "
            f"{signed(d.input_tokens, 'd'):>7}  {signed(d.output_tokens, 'd'):>7}  "
            f"{signed(d.latency_s, '.2f'):>9}  {signed(d.cost_usd, '.6f'):>10}"
            + ("" if n.presence == "both" else f"  ({n.presence})")
        )
    for n in diff.nodes:
        for what, lines in (("prompt", n.prompt_diff), ("output", n.output_diff)):
            if not lines:
                continue
            out += ["", f"── {n.node_id}: {what} ──", *lines[:max_lines]]
            if len(lines) > max_lines:
                out.append(f"… {len(lines) - max_lines} more lines")
    if not diff.changed_prompts and not diff.changed_outputs:
        out += ["", "No node's prompt or output differs."]
    return "\n".join(out)

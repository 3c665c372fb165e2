"""The Compare page's Run diff tab: two runs node by node (`workflow_core.run.diff`): rendered prompts and
outputs as diffs, token, latency, cost and quality deltas, and the two pages side by side."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from studio import services, ui
from workflow_core.lab.experiment import Experiment
from workflow_core.page.site import sandboxed_preview
from workflow_core.records import RunRecord
from workflow_core.run.diff import NodeDiff, RunDiff, diff_runs, signed

PAGE = (1280, 1600, 470)  # page width and height, frame height: scaled into half the screen (see votes.py)
RECENT = 50


def run_choices(experiment: Experiment) -> dict[str, str]:
    """Run id -> label: the experiment's runs first, then the latest runs in the store."""
    out: dict[str, str] = {}
    for t in experiment.trials:
        if t.run is not None:
            repeat = f" · repeat {t.repeat + 1}" if experiment.spec.repeats > 1 else ""
            out[t.run.run_id] = f"{t.variant} · {t.profile or '–'}{repeat}"
    for row in services.store().list_runs(limit=RECENT):
        run_id = str(row["run_id"])
        if run_id not in out:
            when = time.strftime("%m-%d %H:%M", time.localtime(float(str(row["started_at"]))))
            out[run_id] = f"{row['workflow']} · {row['profile'] or '–'} · {when} (recent run)"
    return out


def node_rows(diff: RunDiff) -> list[dict[str, Any]]:
    return [
        {
            "node": n.node_id,
            "kind": n.kind,
            "edited": "yes" if n.spec_changed else "",
            "prompt": "changed" if n.prompt_changed else "same",
            "output": "changed" if n.output_changed else "same",
            "Δ in tokens": signed(n.deltas.input_tokens, "d"),
            "Δ out tokens": signed(n.deltas.output_tokens, "d"),
            "Δ latency s": signed(n.deltas.latency_s, ".2f"),
            "Δ cost": signed(n.deltas.cost_usd, ".6f"),
            "status A → B": f"{n.status[0]} → {n.status[1]}" if n.status[0] != n.status[1] else n.status[0],
        }
        for n in diff.nodes
    ]


def _node_detail(n: NodeDiff) -> None:
    with st.expander(
        f"{n.node_id}: "
        + " and ".join(
            w for w, changed in (("prompt", n.prompt_changed), ("output", n.output_changed)) if changed
        )
        + " changed",
        expanded=False,
    ):
        if n.prompt_diff:
            st.caption("Rendered prompt (A → B)")
            st.code("\n".join(n.prompt_diff), language="diff", wrap_lines=True)
        if n.output_diff:
            st.caption("Output (A → B)")
            st.code("\n".join(n.output_diff[:400]), language="diff", wrap_lines=True)


def _page(run: RunRecord, label: str) -> None:
    with st.container(border=True):
        st.markdown(f"**{label}** · {run.workflow} on {run.profile or '–'}")
        if run.page_html:
            st.iframe(sandboxed_preview(run.page_html, PAGE[0], PAGE[1]), height=PAGE[2])
        else:
            st.caption("This run produced no page.")


def _partner(experiment: Experiment, ids: list[str], a_id: str) -> int:
    """The first choice for B: another variant's run on A's profile, else the next run."""
    trial = next((t for t in experiment.trials if t.run is not None and t.run.run_id == a_id), None)
    for t in experiment.trials:
        if (
            trial is not None
            and t.run is not None
            and t.profile == trial.profile
            and t.variant != trial.variant
        ):
            return ids.index(t.run.run_id)
    return 1 if ids.index(a_id) == 0 else 0


def panel(experiment: Experiment) -> None:
    """Pick two runs and see how B differs from A."""
    choices = run_choices(experiment)
    if len(choices) < 2:
        st.info("Two runs are needed for a diff.", icon=":material/difference:")
        return
    ids = list(choices)
    c1, c2 = st.columns(2)
    a_id = c1.selectbox("Run A", ids, format_func=choices.__getitem__, key="diff_a")
    b_id = c2.selectbox(
        "Run B", ids, index=_partner(experiment, ids, a_id), format_func=choices.__getitem__, key="diff_b"
    )
    store = services.store()
    a, b = store.get_run(str(a_id)), store.get_run(str(b_id))
    if a is None or b is None:
        st.warning("That run is no longer in the store.", icon=":material/warning:")
        return
    if a.run_id == b.run_id:
        st.caption("Pick two different runs.")
        return
    diff = diff_runs(a, b)
    t = diff.totals
    m = st.columns(5)
    m[0].metric("Δ cost", signed(t.cost_usd, ".6f"), help="B − A, USD per run (cached nodes at their cost)")
    m[1].metric("Δ tokens in / out", f"{signed(t.input_tokens, 'd')} / {signed(t.output_tokens, 'd')}")
    m[2].metric("Δ critical path", f"{signed(diff.critical_path_s, '.2f')} s")
    m[3].metric("Δ wall", f"{signed(t.latency_s, '.2f')} s")
    m[4].metric("Δ QA", "–" if diff.qa_score is None else signed(diff.qa_score, ".3f"))
    if diff.qa_axes:
        st.caption(
            "QA axes (B − A): " + ", ".join(f"{k} {signed(v, '.3f')}" for k, v in diff.qa_axes.items())
        )
    with st.container(key="diff_nodes"):
        st.table(node_rows(diff), hide_index=True, border="horizontal")
    changed = [n for n in diff.nodes if n.prompt_changed or n.output_changed]
    if not changed:
        st.success("No node's prompt or output differs.", icon=":material/check:")
    for n in changed:
        _node_detail(n)
    left, right = st.columns(2)
    with left:
        _page(a, "A")
    with right:
        _page(b, "B")
    st.caption(
        f"Costs are the nodes' costs when computed ({ui.money(a.total_cost_usd)} and "
        f"{ui.money(b.total_cost_usd)} charged for these two runs)."
    )

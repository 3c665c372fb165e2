"""How a run's quality shows in the app: the score under the user's axis weights, one metric per axis, what
could not be measured (never silently), and each axis's findings with the text they quote."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from studio import services
from workflow_core.lab.intervals import run_quality
from workflow_core.quality.axes import axes, description, in_order
from workflow_core.quality.model import (
    blocking,
    effective_weights,
    is_blocking,
    publishable,
    weights_of,
    weights_text,
)
from workflow_core.records import RunRecord
from workflow_core.workspace import save_settings


def weights() -> dict[str, float]:
    """The axis weights the user chose in Settings (the defaults where they chose none)."""
    return effective_weights(services.settings().quality_weights)


def score(run: RunRecord) -> float | None:
    return run_quality(run, weights())


@dataclass(frozen=True)
class AxisLine:
    """One axis of a run as the QA tab shows it: its score, its failed findings and what it measures."""

    name: str
    score: float
    failed: int
    help: str


def axis_lines(run: RunRecord) -> list[AxisLine]:
    """The run's axes in the registry's order (then any it no longer knows), each with its failed findings."""
    return [
        AxisLine(
            axis,
            run.qa_axes[axis],
            sum(1 for f in run.qa_findings if f.axis == axis and not f.passed),
            description(axis),
        )
        for axis in in_order(run.qa_axes)
    ]


def panel(run: RunRecord) -> None:
    """The QA tab of a run: the weighted score, the axes, notes and findings."""
    quality = score(run)
    if quality is None:
        st.caption("No quality measured for this run.")
        return
    lines = axis_lines(run)
    used = weights_of(run.qa_axes, services.settings().quality_weights)
    st.markdown(f"**Quality {quality:.2f}** over {len(lines)} axes ({weights_text(used)}).")
    verdict = publishable(run.qa_axes, run.qa_findings)
    stopping = blocking(run.qa_findings)
    if verdict:
        st.success("Publishable: no finding blocks this page.", icon=":material/check_circle:")
    elif verdict is False:
        st.error(
            f"Not publishable: {len(stopping)} blocking finding(s), marked :material/block: below. The score is "
            "half the axes' weighted mean (a quarter when a visitor cannot read the page properly). "
            "`decompose serve` would give this visitor the fallback page instead, and `decompose batch` would "
            "write it to gated/, not pages/.",
            icon=":material/block:",
        )
    st.caption(
        "Change the weights in Settings → Quality. Each axis is a score in [0, 1]; its findings quote the page."
    )
    cols = st.columns(max(1, min(len(lines), 6)))
    for i, line in enumerate(lines):
        cols[i % len(cols)].metric(
            line.name,
            f"{line.score:.2f}",
            f"{line.failed} finding(s)" if line.failed else "clean",
            delta_color="off",
            delta_arrow="off",
            help=line.help,
        )
    for note in run.qa_notes:
        st.info(note, icon=":material/info:")
    screenshots(run)
    for axis in (line.name for line in lines):
        findings = [f for f in run.qa_findings if f.axis == axis]
        failed = [f for f in findings if not f.passed]
        with st.expander(f"{axis}: {len(failed)} of {len(findings)} checks failed", expanded=bool(failed)):
            for f in failed:
                mark = ":material/block:" if is_blocking(f) else "**✗**"
                st.markdown(f":red[{mark}] {f.message}")
                if f.evidence:
                    st.code(f.evidence, language=None, wrap_lines=True)
            passed = [f for f in findings if f.passed]
            if passed:
                st.caption("Passed: " + " · ".join(f.message for f in passed))


def screenshots(run: RunRecord, *, caption: str = "") -> None:
    """The page as the quality check rendered it, desktop beside phone (a caption when it was not rendered)."""
    shots = services.store().screenshots(run.page_html) if run.page_html else {}
    if not shots:
        st.caption("No screenshots: the page was not rendered in a browser (see the notes above).")
        return
    widths = sorted(shots, reverse=True)
    cols = st.columns([3 if w >= 800 else 1 for w in widths])
    for col, width in zip(cols, widths, strict=True):
        col.image(shots[width][1], caption=f"{caption}{width} px", width="stretch")


def settings_section() -> None:
    """Settings → Quality: the axes' weights and the judge model, saved with the other settings."""
    settings = services.settings()
    st.markdown(
        "A page's quality is the weighted mean of the axes measured on it. Set an axis to 0 to leave it out; "
        "the Run page and the lab re-weigh stored runs at once (no run is repeated)."
    )
    current = effective_weights(settings.quality_weights)
    grid = st.columns(4)
    chosen: dict[str, float] = {}
    for i, axis in enumerate(axes().values()):
        chosen[axis.name] = grid[i % 4].number_input(
            axis.name,
            min_value=0.0,
            max_value=10.0,
            value=float(current[axis.name]),
            step=0.5,
            help=axis.description,
            key=f"qw_axis_{axis.name}",
        )
    models = ["", *services.model_refs()]
    judge = st.selectbox(
        "LLM judge (optional)",
        models,
        index=models.index(settings.judge_model) if settings.judge_model in models else 0,
        format_func=lambda r: r or "(no judge)",
        accept_new_options=True,
        help="A model that answers a fixed yes/no checklist about each page (`decompose check --judge` too). "
        "Its calls are cached and priced apart from the workflow's cost. docs/quality.md gives its measured "
        "agreement with the labelled pages.",
        key="qw_judge_model",
    )
    if judge and judge.startswith("local/"):
        st.warning(
            "Measured on the 44 labelled pages, the embedded 1.5B judge does no better than guessing: it flags "
            "good pages as often as flawed ones (docs/quality.md). Measure a judge before you weigh it: "
            f"`decompose calibrate --judge {judge}`.",
            icon=":material/rule:",
        )
    if st.button("Save quality settings", key="qw_save"):
        defaults = effective_weights()
        settings.quality_weights = {a: w for a, w in chosen.items() if w != defaults[a]}
        settings.judge_model = judge or None
        st.session_state["settings"] = settings
        try:
            written = save_settings(settings)
        except OSError as exc:
            st.error(f"The weights apply to this session but could not be written: {exc.strerror}.")
        else:
            st.success(f"Saved to {written}.")

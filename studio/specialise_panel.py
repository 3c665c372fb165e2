"""The Designer's "Specialise for this node" expander: train a LoRA adapter for a model node on a bigger model's
stored runs (what `decompose specialise` does), with its progress in the background, a Cancel that keeps the
checkpoint, and one click to put the new model on the node. The training is `workflow_core.tune`; the job
is `tune.background.BackgroundSpecialise`, one per browser session."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from studio import services, ui
from workflow_core.errors import DecomposeError
from workflow_core.providers.adapters import split_model
from workflow_core.providers.local import LOCAL_PROVIDER_NAME
from workflow_core.tune import extra
from workflow_core.tune.background import BackgroundSpecialise, SpecialiseStatus, check_data
from workflow_core.tune.specialise import STUDENT_DEFAULT, Request, check, default_name
from workflow_core.tune.train import Progress, Settings, duration
from workflow_core.workflow.spec import Node, Workflow

POLL_S = 1.0
_JOB = "specialise_job"  # the training under way (at most one per session)
_RESULT = "specialise_result"  # (request, final status) of the last training, until the next starts
_CHECKED = "specialise_checked"  # (the data's inputs, passed, the summary or why not)

UseModel = Callable[[str], None]
DataKey = tuple[str, str, str, float | None]  # workflow, node, teacher, minimum quality


def background() -> BackgroundSpecialise | None:
    value: BackgroundSpecialise | None = st.session_state.get(_JOB)
    return value


def running() -> bool:
    bg = background()
    return bg is not None and bg.poll().state == "running"


def _settle() -> None:
    """A training that has ended becomes the result shown under its node's form."""
    bg = background()
    if bg is None:
        return
    status = bg.poll()
    if status.state != "running":
        st.session_state.pop(_JOB, None)
        st.session_state[_RESULT] = (bg.request, status)


def _students() -> list[str]:
    """The local plain models (an adapter is trained on a base model, never on another adapter)."""
    try:
        infos = services.registry().models()
    except DecomposeError:
        return []
    return [m.ref for m in infos if m.provider == LOCAL_PROVIDER_NAME and split_model(m.model)[1] is None]


def _default_teacher(node: Node, refs: list[str], student: str) -> str | None:
    """The node's own model unless it is the student, else the first other local model."""
    if node.model and node.model != student:
        return node.model
    others = [r for r in refs if r.startswith(f"{LOCAL_PROVIDER_NAME}/") and r != student]
    return others[0] if others else next((r for r in refs if r != student), None)


def _for(request: Request, wf: Workflow, node: Node) -> bool:
    return request.workflow == wf.name and request.node == node.id


def specialise_expander(wf: Workflow, node: Node, key: str, use_model: UseModel) -> None:
    """The expander for model node `node` of `wf`; `key` prefixes its widgets' keys, `use_model(ref)` puts a
    model on the node as any edit of its Model field would."""
    _settle()
    job = background()
    result: tuple[Request, SpecialiseStatus] | None = st.session_state.get(_RESULT)
    mine = job is not None and _for(job.request, wf, node)
    shown = result is not None and _for(result[0], wf, node)
    with st.expander("Specialise for this node", expanded=mine or shown):
        st.caption(
            "Train a LoRA adapter for this node on a bigger model's stored runs of this workflow. The result is "
            "a new model, `local/STUDENT+NAME`, that this node, a variant or any run can use."
        )
        request = _form(wf, node, key)
        absent = extra.missing()
        if absent:
            st.info(
                f"Training needs {', '.join(absent)}, not installed here. Install the training extra: "
                f"`{extra.INSTALL}` (on a machine without a GPU, first `{extra.CPU_TORCH}`), then restart "
                "the app.",
                icon=":material/info:",
            )
        if request is None:
            return
        data_key: DataKey = (request.workflow, request.node, request.teacher, request.min_quality)
        checked: tuple[DataKey, bool, str] | None = st.session_state.get(_CHECKED)
        busy = job is not None
        buttons = st.container(horizontal=True)
        if buttons.button("Check the training data", key=f"{key}:check", icon=":material/fact_check:"):
            try:
                data = check_data(request, services.store())
            except DecomposeError as exc:
                checked = (data_key, False, str(exc))
            else:
                checked = (data_key, True, data.summary())
            st.session_state[_CHECKED] = checked
        ready = checked is not None and checked[0] == data_key and checked[1]
        start = not absent and buttons.button(
            "Train",
            key=f"{key}:train",
            type="primary",
            icon=":material/model_training:",
            disabled=busy or not ready,
            help="Check the training data first" if not ready else None,
        )
        if checked is not None and checked[0] == data_key:
            if checked[1]:
                st.success(checked[2], icon=":material/check:")
            else:
                st.warning(checked[2], icon=":material/warning:")
        if job is not None and not mine:
            st.caption(
                f"A training for {job.request.node} of {job.request.workflow} is under way: one at a time."
            )
        if start:
            _train(request)
        if mine:
            st.fragment(run_every=POLL_S if running() else None)(_progress)()
        elif shown and result is not None:
            _result(*result, node, use_model, key)


def _form(wf: Workflow, node: Node, key: str) -> Request | None:
    """The inputs; the request they make, or None (with a caption saying what is missing)."""
    refs = services.model_refs()
    teachers = sorted(set(refs) | ({node.model} if node.model else set()))
    students = _students()
    student_now = st.session_state.get(f"{key}:student") or STUDENT_DEFAULT
    teacher_default = _default_teacher(node, teachers, student_now)
    # One field a row: the editor column is narrow beside the canvas, and model refs are long.
    teacher = st.selectbox(
        "Teacher",
        teachers,
        index=teachers.index(teacher_default) if teacher_default in teachers else None,
        key=f"{key}:teacher",
        help="The bigger model whose answers this node's stored runs hold",
    )
    student = st.selectbox(
        "Student",
        students,
        index=students.index(STUDENT_DEFAULT) if STUDENT_DEFAULT in students else 0 if students else None,
        key=f"{key}:student",
        help="The local model the adapter is trained on (and served with)",
    )
    name = st.text_input(
        "Adapter name",
        value=default_name(wf.name, node.id),
        key=f"{key}:name",
        help="Lowercase letters, digits and dashes; the new model is local/STUDENT+NAME",
    )
    steps = st.number_input(
        "Steps",
        min_value=1,
        max_value=100_000,
        value=Settings().steps,
        step=10,
        key=f"{key}:steps",
        help="One example a step",
    )
    min_quality = st.number_input(
        "Minimum quality (optional)",
        min_value=0.0,
        max_value=1.0,
        value=None,
        step=0.05,
        key=f"{key}:min_quality",
        placeholder="publishable pages only",
        help="Keep the teacher's runs whose page scored at least this (0-1); empty: only the runs whose page "
        "was publishable",
    )
    if not teacher or not student:
        st.caption("Pick a teacher and a local student model.")
        return None
    n = int(steps)
    settings = Settings(steps=n, eval_every=max(1, min(Settings().eval_every, n)))
    return Request(
        wf.name,
        node.id,
        str(teacher),
        str(student),
        (name or "").strip(),
        settings,
        None if min_quality is None else float(min_quality),
        str(services.scenario_path()),
    )


def _train(request: Request) -> None:
    try:
        check(request, services.registry())
    except DecomposeError as exc:
        ui.show_error(exc, "The training cannot start")
        return
    st.session_state[_JOB] = BackgroundSpecialise(
        request, services.store(), services.registry(), services.price_book()
    )
    st.session_state.pop(_RESULT, None)
    st.rerun()


def _progress_text(p: Progress | None) -> tuple[float, str]:
    if p is None:
        return 0.0, "starting"
    if p.phase != "training" or not p.steps:
        return (1.0 if p.phase == "writing" else 0.0), p.note or p.phase
    return min(p.step / p.steps, 1.0), " · ".join(p.parts())


def _progress() -> None:
    """The training under way, redrawn every second while it runs; when it ends, the whole page again (the
    result has a button that edits the workflow)."""
    bg = background()
    if bg is None:
        return
    status = bg.poll()
    if status.state != "running":
        st.rerun()
    with st.container(border=True):
        st.markdown(f"**Training** `{bg.request.name}`")
        value, text = _progress_text(status.progress)
        st.progress(value, text=text)
        if status.progress is not None and status.progress.phase == "training" and status.progress.note:
            st.caption(status.progress.note)
        if status.data:
            st.caption(status.data)
        st.button(
            "Cancel",
            key="specialise_cancel",
            icon=":material/stop:",
            on_click=bg.cancel,
            disabled=status.cancel_requested,
            help="Stop after the step under way; the checkpoint is kept, and Train resumes from it",
        )
        if status.cancel_requested:
            st.info(
                "Stopping after this step. The checkpoint is kept: Train with the same inputs resumes from it.",
                icon=":material/pause:",
            )


def _result(request: Request, status: SpecialiseStatus, node: Node, use_model: UseModel, key: str) -> None:
    if status.state == "error":
        st.error(f"The training failed: {status.error}", icon=":material/error:")
        return
    if status.state == "cancelled" or status.adapter is None:
        p = status.progress
        where = f" at step {p.step} of {p.steps}" if p is not None and p.steps else ""
        st.info(
            f"Training cancelled{where}. The checkpoint is kept: Train with the same inputs resumes from it.",
            icon=":material/pause:",
        )
        return
    adapter = status.adapter
    ref = f"{LOCAL_PROVIDER_NAME}/{adapter.model}"
    card = adapter.card
    loss = card.get("loss") or {}
    base, best = loss.get("base_validation"), loss.get("best_validation")
    losses = (
        f"validation loss {base:.3f} (the base model) → {best:.3f} (the best, at step {loss.get('best_step', '?')})"
        if isinstance(base, int | float) and isinstance(best, int | float)
        else "no validation loss recorded"
    )
    wall = card.get("wall_s")
    took = f" in {duration(float(wall))}" if isinstance(wall, int | float) else ""
    st.success(f"Trained **`{ref}`**{took}: {losses}.", icon=":material/check_circle:")
    if loss.get("best_step") == 0:
        st.warning(
            "No step beat the base model on the validation visitors: the adapter will not help. Make more runs, "
            "or train fewer steps.",
            icon=":material/warning:",
        )
    if node.model == ref:
        st.caption(f"This node uses `{ref}`.")
    else:
        st.button(
            "Use it for this node",
            key=f"{key}:use",
            icon=":material/swap_horiz:",
            on_click=use_model,
            args=(ref,),
            help=f"Set this node's model to {ref}",
        )

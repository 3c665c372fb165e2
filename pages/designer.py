"""Designer: the workflow as a graph on a canvas, with an editor for the selected node beside it (below it on
narrow screens). The workflow is this session's working copy, kept on disk after every change (`?workflow=`
in the URL finds it again); Save writes it to the workflows folder under its name."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import streamlit as st

from studio import flow, services, shell, state, ui
from studio.node_editor import DESELECT_KEY, bump_revision, node_editor, revision
from workflow_core.drafts import read_draft, recent_drafts
from workflow_core.errors import DecomposeError, Problem, WorkflowError
from workflow_core.page.words import slugify
from workflow_core.workflow.edit import add_node
from workflow_core.workflow.files import dump_workflow, parse_workflow
from workflow_core.workflow.graph import validate
from workflow_core.workflow.kinds import agent_count, kind_of, kinds
from workflow_core.workflow.layout import auto_layout
from workflow_core.workflow.spec import Workflow
from workflow_core.workspace import load_saved_workflow, save_workflow, saved_workflows, workflows_dir

# Below 1100 px the editor goes under the canvas instead of beside it (the sidebar leaves too little room).
# On a phone the page keeps Streamlit's own narrow margins: the canvas needs every pixel of the width.
_SPLIT_CSS = (
    "<style>@media (min-width:641px){[data-testid='stMainBlockContainer']"
    "{padding-left:2.5rem;padding-right:2.5rem}}"
    "@media (max-width:1100px){.st-key-designer_split>[data-testid='stLayoutWrapper']>"
    "[data-testid='stHorizontalBlock']{flex-wrap:wrap}"
    ".st-key-designer_split>[data-testid='stLayoutWrapper']>[data-testid='stHorizontalBlock']>"
    "[data-testid='stColumn']{min-width:100%!important;flex:1 1 100%!important}}</style>"
)


def _replace(new: Workflow, source: Path | None) -> None:
    """Open another workflow (a template, a file): the editor's widgets start afresh, nothing is selected."""
    state.open_workflow(new, source)
    bump_revision()
    state.select_node(None)


def _add_node(kind: str) -> None:
    wf, node_id = add_node(state.workflow(), kind)
    state.set_workflow(wf)
    state.select_node(node_id)


def _set_meta(field: str) -> None:
    copy = state.workflow().model_copy(deep=True)
    setattr(copy, field, st.session_state[f"wf:{revision()}:{field}"])
    state.set_workflow(copy)


def _problems(wf: Workflow) -> list[Problem]:
    try:
        check_model = services.registry().check_model
    except DecomposeError:
        check_model = None  # the page says once why models go unchecked
    return validate(wf, inputs=services.input_names(), check_model=check_model)


def save_target(wf: Workflow) -> Path:
    """The file Save writes: the workflow's name in the workflows folder (a rename writes a new file)."""
    return workflows_dir() / f"{slugify(wf.name, fallback='workflow')}.yaml"


def _save() -> None:
    # The name typed just before clicking Save arrives in the same rerun as the click: apply it first.
    wf = state.workflow()
    typed = {f: st.session_state.get(f"wf:{revision()}:{f}") for f in ("name", "description")}
    changed = {f: v for f, v in typed.items() if isinstance(v, str) and v != getattr(wf, f)}
    if changed:
        wf = wf.model_copy(update=changed)
        state.set_workflow(wf)
    try:
        written = save_workflow(wf, save_target(wf))
    except DecomposeError as exc:
        st.session_state["designer_save_error"] = exc
        return
    st.session_state.pop("designer_save_error", None)
    state.mark_saved(written)
    st.toast(f"Saved **{wf.name}** to {written}", icon=":material/save:", duration="infinite")


def _status(wf: Workflow) -> str:
    """One line: whether the working copy has changes no file holds, and where Save writes."""
    draft = state.draft()
    target = save_target(wf)
    if draft.unsaved:
        where = f" (last saved to `{draft.saved_path}`)" if draft.saved_path else ""
        return f":orange[:material/circle: **Unsaved changes**]{where} · Save writes `{target}`"
    if draft.saved_path:
        return f":green[:material/check_circle: **Saved**] to `{draft.saved_path}`"
    return f":material/draft: As the template ships · Save writes `{target}`"


def _describe_draft(draft_id: str) -> str:
    found = read_draft(draft_id)
    if found is None:
        return draft_id
    when = datetime.fromtimestamp(found.updated_at).strftime("%Y-%m-%d %H:%M")
    return f"{found.workflow.name} · {when}" + (" · unsaved changes" if found.unsaved else "")


# ---------------------------------------------------------------- page

shell.header(
    "Designer",
    "Add nodes from the palette, connect them by dragging from a node's right handle to another's left.",
)
st.html(_SPLIT_CSS)

wf = state.workflow()
problems = _problems(wf)
try:
    services.registry()
except DecomposeError as exc:
    ui.show_error(exc, "Models cannot be checked until the providers file is fixed (see Settings)")
if "draft_error" in st.session_state:
    st.warning(f"Changes stay in this tab only: {st.session_state['draft_error']}", icon=":material/warning:")

# The workflow's own fields and Save: always on screen, whatever is selected.
with st.container(border=True, key="designer_meta"):
    m1, m2, m3 = st.columns([2, 4, 1], vertical_alignment="bottom")
    with m1:
        st.text_input(
            "Workflow name", value=wf.name, key=f"wf:{revision()}:name", on_change=_set_meta, args=("name",)
        )
    with m2:
        st.text_input(
            "Description",
            value=wf.description,
            key=f"wf:{revision()}:description",
            on_change=_set_meta,
            args=("description",),
        )
    with m3:
        st.button(
            "Save",
            key="designer_save",
            type="primary",
            icon=":material/save:",
            width="stretch",
            on_click=_save,
            help="Write the workflow to the workflows folder, in a file named after it",
        )
    st.markdown(_status(wf))
    save_error = st.session_state.get("designer_save_error")
    if isinstance(save_error, DecomposeError):
        ui.show_error(save_error, "Could not save")

toolbar = st.columns([2, 1, 1, 1.2], vertical_alignment="bottom")
with toolbar[0]:
    names = services.template_names()
    # The box names the template that is loaded (a workflow opened from Home, a reload), not always duo.
    if wf.name in names and st.session_state.get("designer_template_follows") != wf.name:
        st.session_state["designer_template"] = wf.name
    st.session_state["designer_template_follows"] = wf.name
    st.session_state.setdefault("designer_template", names[min(2, len(names) - 1)])
    template_name = st.selectbox("Template", names, key="designer_template")
with toolbar[1]:
    if st.button("Load template", width="stretch"):
        _replace(services.template(template_name), None)
        st.rerun()
with toolbar[2]:
    if st.button("Undo", width="stretch", disabled=not state.can_undo(), help="Undo the last change"):
        state.undo()
        bump_revision()
        st.rerun()
with toolbar[3]:
    if st.button("Auto-layout", width="stretch", help="Arrange the nodes in layers, left to right"):
        state.set_workflow(auto_layout(wf))
        bump_revision()
        st.rerun()
if problems:
    st.error(f"**{wf.name}**: {len(problems)} problem(s) — see the red nodes", icon=":material/error:")
else:
    st.success(
        f"**{wf.name}** is valid: {len(wf.nodes)} nodes, k = {agent_count(wf)} agents",
        icon=":material/check_circle:",
    )

palette = st.columns(len(kinds()))
for col, kind in zip(palette, kinds(), strict=True):
    with col:
        if st.button(
            kind,
            icon=kind_of(kind).icon,
            key=f"add_{kind}",
            width="stretch",
            help=f"Add {'an' if kind[:1] in 'aeiou' else 'a'} {kind} node: {kind_of(kind).summary}",
        ):
            _add_node(kind)
            st.rerun()

selected = state.selected_node()
# Always two columns, so the canvas keeps its place in the page (moving it would remount the component).
with st.container(key="designer_split"):
    canvas_col, editor_col = st.columns([3, 2], gap="medium")

with canvas_col:
    event = flow.canvas(
        "designer_flow",
        wf,
        problems,
        revision(),
        height=flow.fitted_height(wf),
        min_zoom=0.1,  # a wide graph on a phone still fits whole
        fit_view=True,
        show_controls=True,
        allow_new_edges=True,
        get_node_on_click=True,
        enable_node_menu=True,
        enable_edge_menu=True,
        hide_watermark=True,
    )
    if event is not None:
        # A drag moves nodes without an undo step; connecting and deleting are undoable.
        state.set_workflow(event.workflow, undoable=event.structural)
        # The canvas forgets its selection whenever it is redrawn: only a click selects (a click on empty
        # canvas deselects through the editor's Close button, see `flow.canvas_extras`).
        if event.selected and event.selected != state.selected_node():
            state.select_node(event.selected)
        if event.structural or event.selected:
            st.rerun()
    st.caption(
        "Click a node to edit it; click empty canvas or press Esc to close the editor. Right-click a node or edge to delete it."
    )
    flow.canvas_extras(DESELECT_KEY)

wf = state.workflow()
node = next((n for n in wf.nodes if n.id == state.selected_node()), None)
with editor_col, st.container(border=True, key="designer_editor"):
    if node is not None:
        node_editor(wf, node, problems)
    else:
        st.info("Select a node on the canvas to edit its persona, model, prompts and parameters.")
        if problems:
            st.markdown(f"**Problems ({len(problems)})**")
            for p in problems:
                st.markdown(f"- {p}")

st.subheader("Files")
load_tab, drafts_tab, import_tab, export_tab = st.tabs(["Load", "Working copies", "Import", "Export"])
with load_tab:
    saved = saved_workflows()
    if not saved:
        st.caption(f"No saved workflows yet in {workflows_dir()}.")
    else:
        choice = st.selectbox(
            "Saved workflow", saved, format_func=lambda p: p.name, key="designer_load_choice"
        )
        if st.button("Load", key="designer_load"):
            try:
                _replace(load_saved_workflow(choice), choice)
            except DecomposeError as exc:
                ui.show_error(exc, "Could not load")
            else:
                st.rerun()
with drafts_tab:
    others = [d for d in recent_drafts() if d != state.draft().draft_id]
    st.caption(
        "Every change is kept in a working copy on this machine, so closing the tab loses nothing: "
        "reopen an earlier one here."
    )
    if others:
        pick = st.selectbox("Working copy", others, format_func=_describe_draft, key="designer_draft_choice")
        if st.button("Open", key="designer_draft_open") and state.restore(pick):
            bump_revision()
            state.select_node(None)
            st.rerun()
with import_tab:
    upload = st.file_uploader("Workflow YAML", type=["yaml", "yml"], key="designer_upload")
    if upload is not None and st.button("Import", key="designer_import"):
        try:
            imported = parse_workflow(upload.getvalue().decode("utf-8", errors="replace"), source=upload.name)
        except WorkflowError as exc:
            ui.show_error(exc, f"{upload.name} is not a valid workflow")
        else:
            state.set_workflow(imported)
            bump_revision()
            state.select_node(None)
            st.rerun()
with export_tab:
    st.download_button(
        "Download YAML", dump_workflow(wf), file_name=f"{wf.name}.yaml", mime="application/x-yaml"
    )
    st.code(dump_workflow(wf), language="yaml", height=300)

"""Designer: the workflow as a graph on a canvas, with an editor for the selected node."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st
from pydantic import ValidationError

from studio import flow, services, state, ui
from studio.examples_panel import examples_expander
from workflow_core.errors import DecomposeError, Problem, WorkflowError
from workflow_core.workflow.edit import add_node, delete_node, rename_node
from workflow_core.workflow.graph import available_variables, validate
from workflow_core.workflow.kinds import kind_of, kinds
from workflow_core.workflow.layout import auto_layout
from workflow_core.workflow.spec import Example, Params, Workflow, dump_workflow, parse_workflow
from workflow_core.workspace import load_saved_workflow, save_workflow, saved_workflows, workflows_dir

OUTPUT_FORMATS = ("text", "json", "tagged", "html", "page_spec")


def _revision() -> int:
    """Bumped whenever the workflow is replaced wholesale, so editor widgets drop their stale values."""
    return int(st.session_state.get("designer_rev", 0))


def _replace(new: Workflow) -> None:
    state.set_workflow(new)
    st.session_state["designer_rev"] = _revision() + 1


def _key(node_id: str, field: str) -> str:
    return f"ed:{_revision()}:{node_id}:{field}"


def _update_node(node_id: str, **changes: Any) -> None:
    wf = state.workflow().model_copy(deep=True)
    try:
        node = wf.node(node_id)
    except KeyError:
        return
    for name, value in changes.items():
        setattr(node, name, value)
    state.set_workflow(wf)


def _on_text(node_id: str, field: str) -> None:
    value = _field(node_id, field)
    if value is not None:
        _update_node(node_id, **{field: value})


def _on_model(node_id: str) -> None:
    if _key(node_id, "model") not in st.session_state:
        return
    value = _field(node_id, "model")
    _update_node(node_id, model=(value or "").strip() or None)


def _on_params(node_id: str) -> None:
    try:
        node = state.workflow().node(node_id)
    except KeyError:
        return
    values = node.params.model_dump()
    for field in ("temperature", "max_tokens", "timeout_s", "retries"):
        value = _field(node_id, f"params.{field}")
        if value is None:
            return
        values[field] = value
    try:
        _update_node(node_id, params=Params.model_validate(values))
    except ValidationError as exc:
        st.session_state["designer_field_error"] = (node_id, "params", str(exc))


def _on_json_field(node_id: str, field: str) -> None:
    value = _field(node_id, field)
    if value is None:
        return
    raw = value.strip()
    try:
        value = json.loads(raw) if raw else ({} if field == "config" else None)
        if value is not None and not isinstance(value, dict):
            raise ValueError("it must be a JSON object ({...})")
    except (json.JSONDecodeError, ValueError) as exc:
        st.session_state["designer_field_error"] = (node_id, field, f"not saved: {exc}")
        return
    st.session_state.pop("designer_field_error", None)
    _update_node(node_id, **{field: value})


def _set_examples(node_id: str, examples: list[Example]) -> None:
    _update_node(node_id, examples=examples)


def _field(node_id: str, field: str) -> Any:
    """The value of a node's editor widget, or None when the widget belongs to a workflow that has since been
    replaced (a Load or a template swap bumps the revision the keys carry, and a late change event from the
    old editor must not edit the new workflow, nor fail)."""
    return st.session_state.get(_key(node_id, field))


def _rename(node_id: str) -> None:
    value = _field(node_id, "id")
    if value is None:
        return
    new_id = value.strip()
    if not new_id or new_id == node_id:
        return  # an emptied field is not a rename
    try:
        state.set_workflow(rename_node(state.workflow(), node_id, new_id))
    except WorkflowError as exc:
        st.session_state["designer_field_error"] = (node_id, "id", exc.problems[0].message)
        return
    state.select_node(new_id)


def _delete(node_id: str) -> None:
    state.set_workflow(delete_node(state.workflow(), node_id))
    state.select_node(None)


def _add_node(kind: str) -> None:
    wf, node_id = add_node(state.workflow(), kind)
    state.set_workflow(wf)
    state.select_node(node_id)


def _set_meta(field: str) -> None:
    copy = state.workflow().model_copy(deep=True)
    setattr(copy, field, st.session_state[f"wf:{_revision()}:{field}"])
    state.set_workflow(copy)


def _problems(wf: Workflow) -> list[Problem]:
    try:
        check_model = services.registry().check_model
    except DecomposeError:
        check_model = None  # the page says once why models go unchecked
    return validate(wf, inputs=services.input_names(), check_model=check_model)


def _field_problems(problems: list[Problem], node_id: str, field: str) -> None:
    for p in problems:
        if p.node_id == node_id and (p.field or "") == field:
            st.error(p.message, icon=":material/error:")
    pending = st.session_state.get("designer_field_error")
    if pending and pending[0] == node_id and pending[1] == field:
        st.error(pending[2], icon=":material/error:")


# ---------------------------------------------------------------- page

ui.header(
    "Designer",
    "Add nodes from the palette, connect them by dragging from a node's right handle to another's left.",
)

wf = state.workflow()
problems = _problems(wf)
try:
    services.registry()
except DecomposeError as exc:
    ui.show_error(exc, "Models cannot be checked until the providers file is fixed (see Settings)")

toolbar = st.columns([2, 1, 1, 1.2], vertical_alignment="bottom")
with toolbar[0]:
    template_name = st.selectbox("Template", services.template_names(), index=2, key="designer_template")
with toolbar[1]:
    if st.button("Load template", width="stretch"):
        _replace(services.template(template_name))
        state.select_node(None)
        st.rerun()
with toolbar[2]:
    if st.button("Undo", width="stretch", disabled=not state.can_undo(), help="Undo the last change"):
        state.undo()
        st.session_state["designer_rev"] = _revision() + 1
        st.rerun()
with toolbar[3]:
    if st.button("Auto-layout", width="stretch", help="Arrange the nodes in layers, left to right"):
        _replace(auto_layout(wf))
        st.rerun()
if problems:
    st.error(f"**{wf.name}**: {len(problems)} problem(s) — see the red nodes", icon=":material/error:")
else:
    st.success(
        f"**{wf.name}** is valid: {len(wf.nodes)} nodes, k = {wf.agent_count} agents",
        icon=":material/check_circle:",
    )

canvas_col = st.container()
editor_col = st.container(border=True)

with canvas_col:
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

    event = flow.canvas(
        "designer_flow",
        wf,
        problems,
        _revision(),
        height=460,
        min_zoom=0.3,
        fit_view=True,
        show_controls=True,
        allow_new_edges=True,
        get_node_on_click=True,
        enable_node_menu=True,
        enable_edge_menu=True,
        hide_watermark=True,
    )
    if event is not None:
        if event.structural:
            state.set_workflow(event.workflow)
        else:
            st.session_state["workflow"] = event.workflow  # a drag: positions follow without an undo step
        # The canvas forgets its selection whenever it is redrawn: only a click selects.
        if event.selected and event.selected != state.selected_node():
            state.select_node(event.selected)
        if event.structural or event.selected:
            st.rerun()
    st.caption("Right-click a node or edge to delete it. Click a node to edit it.")

wf = state.workflow()
selected = state.selected_node()
node = next((n for n in wf.nodes if n.id == selected), None)

with editor_col:
    if node is None:
        st.subheader("Workflow")
        st.text_input(
            "Name", value=wf.name, key=f"wf:{_revision()}:name", on_change=_set_meta, args=("name",)
        )
        st.text_area(
            "Description",
            value=wf.description,
            key=f"wf:{_revision()}:description",
            on_change=_set_meta,
            args=("description",),
            height=100,
        )
        st.info("Select a node on the canvas to edit its persona, model, prompts and parameters.")
    else:
        st.subheader(f"{kind_of(node.kind).icon} {node.id}", anchor=False)
        left, right = st.columns([3, 2], gap="large")
        with left:
            nid = node.id
            a, b = st.columns(2)
            with a:
                st.text_input("Node id", value=nid, key=_key(nid, "id"), on_change=_rename, args=(nid,))
            with b:
                st.selectbox(
                    "Kind",
                    list(kinds()),
                    index=list(kinds()).index(node.kind),
                    key=_key(nid, "kind"),
                    on_change=_on_text,
                    args=(nid, "kind"),
                )
            _field_problems(problems, nid, "id")
            st.text_input(
                "Persona",
                value=node.persona,
                key=_key(nid, "persona"),
                on_change=_on_text,
                args=(nid, "persona"),
            )
            refs = services.model_refs()
            options = ["", *sorted(set(refs) | ({node.model} if node.model else set()))]
            st.selectbox(
                "Model",
                options,
                index=options.index(node.model or ""),
                key=_key(nid, "model"),
                on_change=_on_model,
                args=(nid,),
                accept_new_options=True,
                help="A configured model, or type any provider/model ref",
            )
            _field_problems(problems, nid, "model")
            if node.kind in {"agent", "qa", "image"}:
                st.text_area(
                    "System prompt",
                    value=node.system,
                    key=_key(nid, "system"),
                    height=110,
                    on_change=_on_text,
                    args=(nid, "system"),
                )
                _field_problems(problems, nid, "system")
                st.text_area(
                    "Prompt template",
                    value=node.prompt,
                    key=_key(nid, "prompt"),
                    height=220,
                    on_change=_on_text,
                    args=(nid, "prompt"),
                )
                variables = available_variables(wf, nid, services.input_names())
                st.caption("Variables here: " + " ".join(f"`{{{{ {v} }}}}`" for v in variables))
                _field_problems(problems, nid, "prompt")
        with right:
            with st.expander("Parameters", expanded=node.kind == "agent"):
                p1, p2 = st.columns(2)
                with p1:
                    st.slider(
                        "Temperature",
                        0.0,
                        2.0,
                        float(node.params.temperature),
                        0.05,
                        key=_key(nid, "params.temperature"),
                        on_change=_on_params,
                        args=(nid,),
                    )
                    st.number_input(
                        "Timeout (s)",
                        1.0,
                        3600.0,
                        float(node.params.timeout_s),
                        key=_key(nid, "params.timeout_s"),
                        on_change=_on_params,
                        args=(nid,),
                    )
                with p2:
                    st.number_input(
                        "Max tokens",
                        1,
                        32768,
                        int(node.params.max_tokens),
                        key=_key(nid, "params.max_tokens"),
                        on_change=_on_params,
                        args=(nid,),
                    )
                    st.number_input(
                        "Retries",
                        0,
                        10,
                        int(node.params.retries),
                        key=_key(nid, "params.retries"),
                        on_change=_on_params,
                        args=(nid,),
                    )
                _field_problems(problems, nid, "params")
            st.selectbox(
                "Output format",
                OUTPUT_FORMATS,
                index=OUTPUT_FORMATS.index(node.output_format),
                key=_key(nid, "output_format"),
                on_change=_on_text,
                args=(nid, "output_format"),
            )
            if node.output_format == "json":
                st.text_area(
                    "JSON schema of the output",
                    value=json.dumps(node.output_schema, indent=2) if node.output_schema else "",
                    key=_key(nid, "output_schema"),
                    height=180,
                    on_change=_on_json_field,
                    args=(nid, "output_schema"),
                )
                _field_problems(problems, nid, "output_schema")
            if node.kind == "agent":
                examples_expander(node, _key(nid, "examples"), partial(_set_examples, nid))
            st.text_area(
                "Node settings (JSON)",
                value=json.dumps(node.config, indent=2) if node.config else "{}",
                key=_key(nid, "config"),
                height=90,
                on_change=_on_json_field,
                args=(nid, "config"),
            )
            _field_problems(problems, nid, "config")
            other = [
                p
                for p in problems
                if p.node_id == nid
                and (p.field or "")
                not in {"id", "model", "system", "prompt", "params", "output_schema", "config"}
            ]
            ui.show_problems(other)
            if st.button("Delete node", key=f"delete:{nid}", icon=":material/delete:"):
                _delete(nid)
                st.rerun()

if problems:
    with st.expander(f"Problems ({len(problems)})", expanded=False):
        for p in problems:
            st.markdown(f"- {p}")

st.subheader("Files")
save_tab, load_tab, import_tab, export_tab = st.tabs(["Save", "Load", "Import", "Export"])
with save_tab:
    default_path = workflows_dir() / f"{wf.name}.yaml"
    target = st.text_input("Save to", value=str(default_path), key="designer_save_path")
    if st.button("Save workflow", key="designer_save"):
        try:
            written = save_workflow(wf, Path(target))
        except DecomposeError as exc:
            ui.show_error(exc, "Could not save")
        else:
            st.success(f"Saved to {written}")
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
                _replace(load_saved_workflow(choice))
            except DecomposeError as exc:
                ui.show_error(exc, "Could not load")
            else:
                state.select_node(None)
                st.rerun()
with import_tab:
    upload = st.file_uploader("Workflow YAML", type=["yaml", "yml"], key="designer_upload")
    if upload is not None and st.button("Import", key="designer_import"):
        try:
            _replace(parse_workflow(upload.getvalue().decode("utf-8", errors="replace"), source=upload.name))
        except WorkflowError as exc:
            ui.show_error(exc, f"{upload.name} is not a valid workflow")
        else:
            state.select_node(None)
            st.rerun()
with export_tab:
    st.download_button(
        "Download YAML", dump_workflow(wf), file_name=f"{wf.name}.yaml", mime="application/x-yaml"
    )
    st.code(dump_workflow(wf), language="yaml", height=300)

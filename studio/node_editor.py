"""The Designer's editor of one node: widgets keyed on the node and the workflow's revision, and the callbacks
that turn their changes into edits of the session's workflow. One column, so it fits beside the canvas."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import streamlit as st
from pydantic import ValidationError

from studio import services, state, ui
from studio.examples_panel import examples_expander
from studio.specialise_panel import specialise_expander
from workflow_core.errors import Problem, WorkflowError
from workflow_core.workflow.edit import delete_node, rename_node
from workflow_core.workflow.graph import available_variables
from workflow_core.workflow.kinds import kind_of, kinds
from workflow_core.workflow.spec import PAGE_FORMATS, Example, Node, Params, Workflow

OUTPUT_FORMATS = ("text", "json", "tagged", "html", "page_spec")
DESELECT_KEY = "designer_deselect"
_OWN_FIELDS = {"id", "model", "system", "prompt", "params", "output_schema", "config"}


def revision() -> int:
    """Bumped whenever the workflow is replaced wholesale, so editor widgets drop their stale values."""
    return int(st.session_state.get("designer_rev", 0))


def bump_revision() -> None:
    st.session_state["designer_rev"] = revision() + 1


def _key(node_id: str, field: str) -> str:
    return f"ed:{revision()}:{node_id}:{field}"


def _field(node_id: str, field: str) -> Any:
    """The value of a node's editor widget, or None when the widget belongs to a workflow that has since been
    replaced (a Load or a template swap bumps the revision the keys carry, and a late change event from the
    old editor must not edit the new workflow, nor fail)."""
    return st.session_state.get(_key(node_id, field))


def _set_examples(node_id: str, examples: list[Example]) -> None:
    _update_node(node_id, examples=examples)


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


def _use_model(node_id: str, ref: str) -> None:
    """Put model `ref` on the node as a choice in its Model field would (the field then shows it)."""
    _update_node(node_id, model=ref)
    st.session_state[_key(node_id, "model")] = ref


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
    candidates = _field(node_id, "params.candidates")  # shown only on a node that writes the page
    if candidates is not None:
        values["candidates"] = candidates
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


def _field_problems(problems: list[Problem], node_id: str, field: str) -> None:
    for p in problems:
        if p.node_id == node_id and (p.field or "") == field:
            st.error(p.message, icon=":material/error:")
    pending = st.session_state.get("designer_field_error")
    if pending and pending[0] == node_id and pending[1] == field:
        st.error(pending[2], icon=":material/error:")


def node_editor(wf: Workflow, node: Node, problems: list[Problem]) -> None:
    """The selected node's fields, top to bottom: identity, model, prompts, then the rarer settings."""
    nid = node.id
    head, close = st.columns([4, 1], vertical_alignment="center")
    head.subheader(f"{kind_of(node.kind).icon} {nid}", anchor=False)
    close.button(
        "",
        icon=":material/close:",
        key=DESELECT_KEY,
        help="Close the node editor (Esc, or click empty canvas)",
        on_click=state.select_node,
        args=(None,),
    )
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
        "Persona", value=node.persona, key=_key(nid, "persona"), on_change=_on_text, args=(nid, "persona")
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
    if kind_of(node.kind).system_prompt:
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
    _parameters(node)
    _output(node, problems)
    if node.model:
        specialise_expander(wf, node, _key(nid, "specialise"), partial(_use_model, nid))
    ui.show_problems(p for p in problems if p.node_id == nid and (p.field or "") not in _OWN_FIELDS)
    if st.button("Delete node", key=f"delete:{nid}", icon=":material/delete:"):
        _delete(nid)
        st.rerun()


def _parameters(node: Node) -> None:
    nid = node.id
    with st.expander("Parameters", expanded=False):
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
            if kind_of(node.kind).candidates and node.output_format in PAGE_FORMATS:
                st.number_input(
                    "Candidates (best of n)",
                    1,
                    8,
                    int(node.params.candidates),
                    key=_key(nid, "params.candidates"),
                    on_change=_on_params,
                    args=(nid,),
                    help="Sample this many pages and keep the one the quality verdict rates best. Every "
                    "sample is paid for; the verdict that picks the page also grades it, so its score is no "
                    "longer independent evidence (people's votes are).",
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


def _output(node: Node, problems: list[Problem]) -> None:
    nid = node.id
    with st.expander(f"Output ({node.output_format}) and node settings", expanded=False):
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
        st.text_area(
            "Node settings (JSON)",
            value=json.dumps(node.config, indent=2) if node.config else "{}",
            key=_key(nid, "config"),
            height=90,
            on_change=_on_json_field,
            args=(nid, "config"),
        )
    if kind_of(node.kind).examples:
        examples_expander(node, _key(nid, "examples"), partial(_set_examples, nid))
    # Outside the expander: a problem with a hidden field must still be seen.
    _field_problems(problems, nid, "params")
    _field_problems(problems, nid, "output_schema")
    _field_problems(problems, nid, "config")

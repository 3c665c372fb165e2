"""The Scenario page's actions and editors: saving through the core's checks (an edit to a shipped example
lands in a copy, which becomes active), making a scenario or a knowledge document, deleting one, and the
text, table and metadata editors with their unsaved-changes tracking."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import streamlit as st

from studio import scenario_edits, services, ui
from studio.scenario_tables import Column
from workflow_core.errors import DecomposeError
from workflow_core.scenario.files import import_scenario_zip, is_os_junk
from workflow_core.workspace import create_scenario, edit_scenario, new_scenario_folder


def save(root: Path, files: dict[str, str], failure: str, remove: Collection[str] = ()) -> bool:
    """Write files through the core's checks; on a problem, say so and keep the user's text. An edit to the
    example that ships with the app lands in a copy, which becomes the active scenario."""
    try:
        target = edit_scenario(root, files, remove)
    except DecomposeError as exc:
        ui.show_error(exc, failure)
        return False
    if target != root:
        use(
            target,
            f"The example scenario ships with the app, so your edits go to a copy: {target}. "
            "It is now the active scenario; the example stays as it was.",
        )
    for relpath in files:
        st.toast(f"Saved {relpath}", icon=":material/check_circle:")
    return True


def use(root: Path, notice: str) -> None:
    """Make `root` this session's active scenario, and say so on the next run. The picker follows on every
    run (it shows `scenario_path`, the one source of truth, which the URL carries)."""
    st.session_state["scenario_path"] = str(root)
    st.session_state["scenario_notice"] = notice


def pick() -> None:
    """The user chose another scenario in the picker: it becomes the active one."""
    st.session_state["scenario_path"] = str(st.session_state["scenario_choice"])


def import_zip() -> None:
    """Unpack the uploaded zip as a new scenario and make it active. A callback, so it runs before the
    picker is drawn and can set the picker to the new scenario."""
    upload = st.session_state.get("scenario_zip")
    if upload is None:
        return
    try:
        root = import_scenario_zip(upload.getvalue(), new_scenario_folder(upload.name))
        name = services.scenario(root).company.name
    except DecomposeError as exc:
        st.session_state["scenario_import_error"] = (upload.name, exc)
        return
    use(
        root,
        f"Imported {upload.name}: **{name}** is now the active scenario for the Designer, Run and Compare.",
    )


def create() -> None:
    """Make the new, empty scenario the user named and make it active (a callback: the picker then shows it)."""
    try:
        root = create_scenario(str(st.session_state.get("scenario_new_name", "")))
    except DecomposeError as exc:
        st.session_state["scenario_new_error"] = exc
        return
    st.session_state["scenario_new_name"] = ""
    use(
        root,
        f"Created **{services.scenario(root).company.name}**, an empty scenario, now active: fill in the "
        "company, offerings, knowledge and at least one profile.",
    )


METADATA_SUFFIX = ".metadata.json"


def create_doc(root: Path) -> None:
    """Create the knowledge document the user named and select it (a callback, before the list is drawn)."""
    name = str(st.session_state.get("scenario_newdoc", "")).strip().strip("/")
    if not name:
        st.session_state["scenario_doc_error"] = DecomposeError(
            "type the document's path inside knowledge/ first, e.g. cakes/wedding-cakes.md"
        )
        return
    if not name.lower().endswith((".md", ".txt")):
        name += ".md"
    relpath = f"knowledge/{name}"
    if save(root, {relpath: f"# {Path(name).stem}\n"}, f"{relpath} was not saved"):
        st.session_state["scenario_doc"] = relpath
        st.session_state["scenario_newdoc"] = ""


def knowledge_documents(root: Path) -> list[str]:
    """The scenario's knowledge documents (paths inside the scenario), without their metadata files."""
    folder = root / "knowledge"
    return sorted(
        p.relative_to(root).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.endswith(METADATA_SUFFIX) and not is_os_junk(p.relative_to(root))
    )


def delete_doc(root: Path, relpath: str) -> None:
    """Delete a knowledge document and its metadata."""
    if save(root, {}, f"{relpath} was not deleted", remove=[relpath, relpath + METADATA_SUFFIX]):
        scenario_edits.reset(root, relpath)
        active = Path(st.session_state.get("scenario_path", root))
        left = knowledge_documents(active)
        # The list shows the next document (a key merely dropped left the browser showing the deleted name).
        if left:
            st.session_state["scenario_doc"] = left[0]
        else:
            st.session_state.pop("scenario_doc", None)
        st.toast(f"Deleted {relpath}", icon=":material/delete:")


def metadata_editor(root: Path, relpath: str) -> None:
    """A document's metadata (what retrieval filters on, e.g. its industry) as key and value fields."""
    sidecar = relpath + METADATA_SUFFIX
    data = mapping(read_json(root, sidecar))
    lists = {k for k, v in data.items() if isinstance(v, list)}
    rows = [{"key": k, "value": "; ".join(map(str, v)) if k in lists else str(v)} for k, v in data.items()]
    edited = st.data_editor(
        rows or [{"key": "", "value": ""}],
        num_rows="dynamic",
        width="stretch",
        key=f"scenario_meta:{root}:{relpath}",
        column_config={
            "key": st.column_config.TextColumn("key", help="e.g. industry, audience"),
            "value": st.column_config.TextColumn("value", help="Several values: separate them with ';'"),
        },
    )
    updated: dict[str, Any] = {}
    for row in edited:
        key, value = str(row.get("key") or "").strip(), str(row.get("value") or "").strip()
        if key:
            updated[key] = [v.strip() for v in value.split(";") if v.strip()] if key in lists else value
    if st.button("Save metadata", key=f"scenario_meta_save:{relpath}", disabled=updated == data):
        text = json.dumps(updated, indent=2, ensure_ascii=False) + "\n"
        if save(root, {sidecar: text}, f"{sidecar} was not saved"):
            st.rerun()


def read_json(root: Path, relpath: str) -> Any:
    try:
        return json.loads((root / relpath).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def column_config_for(columns: list[Column]) -> dict[str, Any]:
    """Column settings by the kind of values each key holds."""
    config: dict[str, Any] = {}
    for c in columns:
        if c.kind in {"number", "integer"}:
            config[c.key] = st.column_config.NumberColumn(c.key, step=1 if c.kind == "integer" else None)
        elif c.kind == "flag":
            config[c.key] = st.column_config.CheckboxColumn(c.key)
        else:
            hint = "Several values: separate them with ';'" if c.kind == "list" else None
            config[c.key] = st.column_config.TextColumn(c.key, help=hint)
    return config


def editor(root: Path, relpath: str, height: int = 380) -> None:
    path = root / relpath
    original = path.read_text(encoding="utf-8") if path.is_file() else ""
    key = scenario_edits.widget_key(root, relpath)
    text = st.text_area(relpath, value=scenario_edits.start(root, relpath, original), height=height, key=key)
    scenario_edits.track(root, relpath, text, original)
    # Never disabled: a click straight after typing is what commits the text (the box reruns the page as it
    # loses focus), and a button that was still disabled then swallowed the click.
    if not st.button(f"Save {relpath}", key=f"save:{key}"):
        return
    if text == original:
        st.toast(f"{relpath} has no changes to save", icon=":material/info:")
    elif save(root, {relpath: text}, f"{relpath} was not saved"):
        scenario_edits.reset(root, relpath)
        st.rerun()


def add_offering(root: Path, offerings_file: str) -> None:
    """Append the offering the user described (segment, name, description, price) to the scenario's
    offerings, and clear the form (a callback)."""
    ss = st.session_state
    fields = {
        k: str(ss.get(f"scenario_offer_{k}", "")).strip() for k in ("segment", "name", "description", "price")
    }
    if not fields["segment"] or not fields["name"]:
        ss["scenario_offer_error"] = DecomposeError(
            "an offering needs its segment (who it is for, as the profiles' industry says it, e.g. weddings) "
            "and its name."
        )
        return
    current = read_json(root, offerings_file)
    grouped: dict[str, list[dict[str, Any]]] = current if isinstance(current, dict) else {}
    offer = {k: v for k, v in fields.items() if k != "segment" and v}
    grouped.setdefault(fields["segment"], []).append(offer)
    text = json.dumps(grouped, indent=2, ensure_ascii=False) + "\n"
    if save(root, {"offerings.json": text}, "offerings.json was not saved"):
        for area in ("offerings", offerings_file):  # the table and the text view start again from disk
            scenario_edits.reset(root, area)
        for k in fields:
            ss[f"scenario_offer_{k}"] = ""


PROFILE_FIELDS = ("name", "role", "company", "industry", "interests", "goals")


def add_profile(root: Path) -> None:
    """Write the visitor profile the user described as profiles/<id>.json, and clear the form (a callback).
    Interests are separated by ';'."""
    ss = st.session_state
    pid = str(ss.get("scenario_profile_id", "")).strip().lower().replace(" ", "-")
    values = {k: str(ss.get(f"scenario_profile_{k}", "")).strip() for k in PROFILE_FIELDS}
    if not pid or not values["name"]:
        ss["scenario_profile_error"] = DecomposeError(
            "a profile needs an id (its file name, e.g. priya-events) and the visitor's name."
        )
        return
    profile: dict[str, Any] = {k: v for k, v in values.items() if v and k != "interests"}
    interests = [i.strip() for i in values["interests"].split(";") if i.strip()]
    if interests:
        profile["interests"] = interests
    text = json.dumps(profile, indent=2, ensure_ascii=False) + "\n"
    if save(root, {f"profiles/{pid}.json": text}, f"profiles/{pid}.json was not saved"):
        scenario_edits.reset(root, "profiles")
        for k in ("id", *PROFILE_FIELDS):
            ss[f"scenario_profile_{k}"] = ""

"""Scenario: the company's documents, guidelines, offerings, testimonials and profiles; edit, import, pick."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from pathlib import Path

import streamlit as st

from studio import services, ui
from workflow_core.errors import DecomposeError, Problem, ScenarioError
from workflow_core.scenario.files import import_scenario_zip
from workflow_core.scenario.load import (
    DESIGN_STEP_FILES,
    GUIDELINE_FILES,
    OFFERING_FILES,
    TESTIMONIAL_FILES,
    scenario_file,
)
from workflow_core.scenario.model import Scenario
from workflow_core.workspace import (
    CYCLE_SHOP_SCENARIO,
    EXAMPLE_SCENARIO,
    edit_scenario,
    new_scenario_folder,
    scenario_folders,
)

SHIPPED = {
    EXAMPLE_SCENARIO: "Example: Ridgeline Fieldworks (assets/)",
    CYCLE_SHOP_SCENARIO: "Example: Spoke & Sprocket Cycles, a bike shop (assets/)",
}
# Each tab edits the file the scenario already has among these names (a new file takes the first name).
FILES = {
    "Company": ("company.json",),
    "Guidelines": GUIDELINE_FILES,
    "Design steps": DESIGN_STEP_FILES,
    "Testimonials": TESTIMONIAL_FILES,
    "Offerings": OFFERING_FILES,
}


def _save(root: Path, files: dict[str, str], failure: str, remove: Collection[str] = ()) -> bool:
    """Write files through the core's checks; on a problem, say so and keep the user's text. An edit to the
    example that ships with the app lands in a copy, which becomes the active scenario."""
    try:
        target = edit_scenario(root, files, remove)
    except DecomposeError as exc:
        ui.show_error(exc, failure)
        return False
    if target != root:
        st.session_state["scenario_path"] = str(target)
        st.session_state.pop("scenario_choice", None)  # the picker follows the new active scenario
        st.session_state["scenario_notice"] = (
            f"The example scenario ships with the app, so your edits go to a copy: {target}. "
            "It is now the active scenario; the example stays as it was."
        )
    for relpath in files:
        st.toast(f"Saved {relpath}", icon=":material/check_circle:")
    return True


def _editor(root: Path, relpath: str, height: int = 380) -> None:
    path = root / relpath
    original = path.read_text(encoding="utf-8") if path.is_file() else ""
    key = f"scn:{root}:{relpath}"
    text = st.text_area(relpath, value=original, height=height, key=key)
    saved = st.button(f"Save {relpath}", key=f"save:{key}", disabled=text == original)
    if saved and _save(root, {relpath: text}, f"{relpath} was not saved"):
        st.rerun()


ui.header("Scenario", "The company and its visitors: what every prompt reads. Saving writes to disk.")
if "scenario_notice" in st.session_state:
    st.info(st.session_state.pop("scenario_notice"), icon=":material/content_copy:")

folders = scenario_folders()
current = services.scenario_path()
if current not in folders:
    folders.append(current)
top = st.columns([3, 2], vertical_alignment="bottom")
with top[0]:
    chosen = st.selectbox(
        "Active scenario",
        folders,
        index=folders.index(current),
        format_func=lambda p: SHIPPED.get(p, str(p)),
        key="scenario_choice",
    )
    if chosen != current:
        st.session_state["scenario_path"] = str(chosen)
        st.rerun()
with top[1], st.popover("Import a scenario (.zip)", width="stretch"):
    upload = st.file_uploader("Zipped scenario folder", type=["zip"], key="scenario_zip")
    if upload is not None and st.button("Import and use it", key="scenario_import"):
        try:
            root = import_scenario_zip(upload.getvalue(), new_scenario_folder(upload.name))
            services.scenario(root)
        except DecomposeError as exc:
            ui.show_error(exc, f"{upload.name} could not be imported")
        else:
            st.session_state["scenario_path"] = str(root)
            st.rerun()

root = services.scenario_path()
scenario: Scenario | None
try:
    scenario = services.scenario(root)
except ScenarioError as exc:
    ui.show_error(exc, "This scenario has problems; fix the files below")
    scenario = None
if scenario is not None and scenario.warnings:
    st.warning(
        "Some files were skipped:\n" + "\n".join(f"- {w}" for w in scenario.warnings),
        icon=":material/warning:",
    )

if scenario is not None:
    # The name as a heading, not a metric: a metric's large type runs into its neighbour at 800 px.
    st.subheader(scenario.company.name, anchor=False)
    m = st.columns(3)
    m[0].metric("Knowledge documents", len(scenario.documents))
    m[1].metric("Profiles", len(scenario.profiles))
    m[2].metric("Offering segments", len(scenario.offerings))

tabs = st.tabs([*FILES, "Knowledge", "Profiles"])
for tab, names in zip(tabs, FILES.values(), strict=False):
    with tab:
        _editor(root, scenario_file(root, names))

with tabs[len(FILES)]:
    docs = sorted(p.relative_to(root).as_posix() for p in (root / "knowledge").rglob("*") if p.is_file())
    if not docs:
        st.caption("No knowledge documents yet: add .md or .txt files under knowledge/.")
    else:
        doc = st.selectbox("Document", docs, key="scenario_doc")
        _editor(root, doc, height=320)
    with st.expander("Add a document"):
        new_name = st.text_input(
            "Path inside knowledge/", placeholder="mining/new-notes.md", key="scenario_newdoc"
        )
        create = st.button("Create", key="scenario_newdoc_create", disabled=not new_name)
        relpath = f"knowledge/{new_name}"
        if create and _save(root, {relpath: f"# {Path(new_name).stem}\n"}, f"{relpath} was not saved"):
            st.rerun()

with tabs[len(FILES) + 1]:
    profile_files = sorted((root / "profiles").glob("*.json")) if (root / "profiles").is_dir() else []
    rows: list[dict[str, str]] = []
    for p in profile_files:
        raw = p.read_text(encoding="utf-8")
        with contextlib.suppress(json.JSONDecodeError):  # else shown as on disk, for the user to fix
            raw = json.dumps(json.loads(raw), ensure_ascii=False)
        rows.append({"id": p.stem, "profile JSON": raw})
    st.caption("One row per profile: its id (the file name) and the profile as JSON, any keys.")
    edited = st.data_editor(
        rows,
        num_rows="dynamic",
        width="stretch",
        key=f"scenario_profiles:{root}",
        column_config={
            "id": st.column_config.TextColumn("id", required=True, width="small"),
            "profile JSON": st.column_config.TextColumn("profile JSON", required=True, width="large"),
        },
    )
    problems: list[Problem] = []
    parsed: dict[str, str] = {}
    for row in edited:
        pid = str(row.get("id") or "").strip()
        raw = str(row.get("profile JSON") or "").strip()
        if not pid:
            continue
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("a profile must be a JSON object {...}")
        except (json.JSONDecodeError, ValueError) as exc:
            problems.append(Problem(f"profile '{pid}': {exc}", field="profiles"))
            continue
        parsed[pid] = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    ui.show_problems(problems)
    if st.button("Save profiles", key="scenario_profiles_save", disabled=bool(problems)):
        files = {f"profiles/{pid}.json": text for pid, text in parsed.items()}
        removed = [f"profiles/{p.name}" for p in profile_files if p.stem not in parsed]
        if _save(root, files, "Profiles were not saved", removed):
            st.rerun()

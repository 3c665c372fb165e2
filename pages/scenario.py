"""Scenario: the company's documents, guidelines, offerings, testimonials and profiles; edit, import, pick."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import streamlit as st

from studio import scenario_edits, services, shell, ui
from studio.scenario_tables import (
    ROW_ID,
    Column,
    columns_of,
    from_rows,
    offering_rows,
    offerings_from_rows,
    to_rows,
)
from workflow_core.errors import DecomposeError, Problem, ScenarioError
from workflow_core.page.colour import DEFAULT_PALETTE
from workflow_core.scenario.files import import_scenario_zip
from workflow_core.scenario.injection import INSTRUCTION_FLAG
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

# Each tab edits the file the scenario already has among these names (a new file takes the first name).
TEXT_FILES = {
    "Guidelines": GUIDELINE_FILES,
    "Design steps": DESIGN_STEP_FILES,
    "Testimonials": TESTIMONIAL_FILES,
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
        _use(
            target,
            f"The example scenario ships with the app, so your edits go to a copy: {target}. "
            "It is now the active scenario; the example stays as it was.",
        )
    for relpath in files:
        st.toast(f"Saved {relpath}", icon=":material/check_circle:")
    return True


def _use(root: Path, notice: str) -> None:
    """Make `root` this session's active scenario, and say so on the next run. The picker follows on every
    run (it shows `scenario_path`, the one source of truth, which the URL carries)."""
    st.session_state["scenario_path"] = str(root)
    st.session_state["scenario_notice"] = notice


def _pick() -> None:
    """The user chose another scenario in the picker: it becomes the active one."""
    st.session_state["scenario_path"] = str(st.session_state["scenario_choice"])


def _import() -> None:
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
    _use(
        root,
        f"Imported {upload.name}: **{name}** is now the active scenario for the Designer, Run and Compare.",
    )


def _label(path: Path) -> str:
    """A scenario as the picker lists it: the company's name, then where it lives."""
    try:
        name = services.scenario(path).company.name
    except DecomposeError:
        name = "(cannot be loaded)"
    where = "example, ships with the app" if path in (EXAMPLE_SCENARIO, CYCLE_SHOP_SCENARIO) else path.name
    return f"{name} · {where}"


def _read_json(root: Path, relpath: str) -> Any:
    try:
        return json.loads((root / relpath).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _config(columns: list[Column]) -> dict[str, Any]:
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


def _editor(root: Path, relpath: str, height: int = 380) -> None:
    path = root / relpath
    original = path.read_text(encoding="utf-8") if path.is_file() else ""
    key = scenario_edits.widget_key(root, relpath)
    text = st.text_area(relpath, value=scenario_edits.start(root, relpath, original), height=height, key=key)
    scenario_edits.track(root, relpath, text, original)
    saved = st.button(f"Save {relpath}", key=f"save:{key}", disabled=text == original)
    if saved and _save(root, {relpath: text}, f"{relpath} was not saved"):
        scenario_edits.reset(root, relpath)
        st.rerun()


shell.header("Scenario", "The company and its visitors: what every prompt reads. Saving writes to disk.")
if "scenario_notice" in st.session_state:
    st.success(st.session_state.pop("scenario_notice"), icon=":material/check_circle:")

folders = scenario_folders()
current = services.scenario_path()
if current not in folders:
    folders.append(current)
top = st.columns([3, 2], vertical_alignment="bottom")
with top[0]:
    # The picker shows the active scenario on every run, whatever the browser last sent: a save that moved
    # the example's edits to a copy used to leave the picker on the example, and the next rerun (a table
    # edit, Enter in a field) switched back to it, dropping the edit from view (issue 27).
    st.session_state["scenario_choice"] = current
    st.selectbox("Active scenario", folders, format_func=_label, key="scenario_choice", on_change=_pick)
with top[1], st.popover("Import a scenario (.zip)", width="stretch"):
    upload = st.file_uploader("Zipped scenario folder", type=["zip"], key="scenario_zip")
    if upload is not None:
        st.button("Import and use it", key="scenario_import", on_click=_import)
    import_error = st.session_state.pop("scenario_import_error", None)
    if import_error is not None:
        ui.show_error(import_error[1], f"{import_error[0]} could not be imported")

root = services.scenario_path()
scenario: Scenario | None
try:
    scenario = services.scenario(root)
except ScenarioError as exc:
    ui.show_error(exc, "This scenario has problems; fix the files below")
    scenario = None
if scenario is not None and scenario.warnings:
    orders = [w for w in scenario.warnings if INSTRUCTION_FLAG in w]
    skipped = [w for w in scenario.warnings if INSTRUCTION_FLAG not in w]
    if skipped:
        st.warning(
            "Some files were skipped:\n" + "\n".join(f"- {w}" for w in skipped), icon=":material/warning:"
        )
    if orders:
        st.warning(
            "Text that reads as instructions to the model (kept out of every prompt, backs no claim):\n"
            + "\n".join(f"- {w}" for w in orders),
            icon=":material/gpp_maybe:",
        )

if scenario is not None:
    # The name as a heading, not a metric: a metric's large type runs into its neighbour at 800 px.
    st.subheader(scenario.company.name, anchor=False)
    m = st.columns(3)
    m[0].metric("Knowledge documents", len(scenario.documents))
    m[1].metric("Profiles", len(scenario.profiles))
    m[2].metric("Offering segments", len(scenario.offerings))
# Filled at the end of the run, once every editor below has said whether it holds unsaved changes.
unsaved_slot = st.empty()

profiles_tab, company_tab, offerings_tab, *text_tabs, knowledge_tab = st.tabs(
    ["Profiles", "Company", "Offerings", *TEXT_FILES, "Knowledge"]
)
for tab, names in zip(text_tabs, TEXT_FILES.values(), strict=True):
    relpath = scenario_file(root, names)
    with tab:
        _editor(root, relpath)

with company_tab:
    company = _read_json(root, "company.json")
    if not isinstance(company, dict):
        st.caption("company.json cannot be read as a form: fix it in the raw JSON below.")
    else:
        contact = _mapping(company.get("contact"))
        palette = DEFAULT_PALETTE | _mapping(company.get("palette"))
        fonts = _mapping(company.get("fonts"))
        with st.form(f"company:{root}", border=False):
            c1, c2 = st.columns(2)
            name = c1.text_input("Name", company.get("name", ""))
            tagline = c2.text_input("Tagline", company.get("tagline", ""))
            description = st.text_area("Description", company.get("description", ""), height=120)
            c3, c4, c5 = st.columns(3)
            email = c3.text_input("Contact email", contact.get("email", ""))
            phone = c4.text_input("Contact phone", contact.get("phone", ""))
            website = c5.text_input("Website", company.get("website", ""))
            address = st.text_input("Address", contact.get("address", ""))
            st.markdown("**Palette and fonts**")
            swatches = st.columns(max(len(palette), 1))
            colours = {
                key: col.color_picker(key, value if str(value).startswith("#") else "#000000")
                for col, (key, value) in zip(swatches, palette.items(), strict=False)
            }
            f1, f2 = st.columns(2)
            heading = f1.text_input("Heading font", fonts.get("heading", ""))
            body = f2.text_input("Body font", fonts.get("body", ""))
            if st.form_submit_button("Save company", type="primary"):
                updated = company | {
                    "name": name,
                    "tagline": tagline,
                    "description": description,
                    "website": website,
                    "contact": contact | {"email": email, "phone": phone, "address": address},
                    "palette": palette | colours,
                    "fonts": fonts | {"heading": heading, "body": body},
                }
                text = json.dumps(updated, indent=2, ensure_ascii=False) + "\n"
                if _save(root, {"company.json": text}, "company.json was not saved"):
                    st.rerun()
    with st.expander("Advanced: company.json as raw JSON"):
        _editor(root, "company.json", height=300)

with offerings_tab:
    offerings_file = scenario_file(root, OFFERING_FILES)
    offerings = _read_json(root, offerings_file) if offerings_file.endswith(".json") else None
    if not isinstance(offerings, dict) or not all(isinstance(v, list) for v in offerings.values()):
        st.caption(f"{offerings_file} is edited as text below (the table reads offerings.json).")
    else:
        offer_rows, offer_columns = offering_rows(offerings)
        st.caption("One row per offering and the segment it is for (segments match the profiles' segment).")
        edited_offers = st.data_editor(
            scenario_edits.start(root, "offerings", offer_rows),
            num_rows="dynamic",
            width="stretch",
            key=scenario_edits.widget_key(root, "offerings"),
            column_config={"segment": st.column_config.TextColumn("segment", required=True)}
            | _config(offer_columns),
        )
        grouped, offer_problems = offerings_from_rows(edited_offers, offer_columns)
        scenario_edits.track(root, "offerings", edited_offers, offer_rows, changed=grouped != offerings)
        ui.show_problems(offer_problems)
        if st.button("Save offerings", key="scenario_offerings_save", disabled=bool(offer_problems)):
            text = json.dumps(grouped, indent=2, ensure_ascii=False) + "\n"
            if _save(root, {"offerings.json": text}, "offerings.json was not saved"):
                scenario_edits.reset(root, "offerings")
                st.rerun()
    with st.expander(f"Advanced: {offerings_file} as text", expanded=offerings is None):
        _editor(root, offerings_file, height=300)

with knowledge_tab:
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

with profiles_tab:
    profile_files = sorted((root / "profiles").glob("*.json")) if (root / "profiles").is_dir() else []
    records: dict[str, dict[str, Any]] = {}
    unreadable = []
    for p in profile_files:
        data = _read_json(root, f"profiles/{p.name}")
        if isinstance(data, dict):
            records[p.stem] = data
        else:
            unreadable.append(p.name)
    profile_columns = columns_of(records)
    st.caption(
        "One row per visitor profile: its file name (the profile's id in runs) and a column per key. Lists are written "
        "with ';' between items. Add a row for a new profile; delete a row to remove one."
    )
    profile_rows = to_rows(records, profile_columns)
    edited = st.data_editor(
        scenario_edits.start(root, "profiles", profile_rows),
        num_rows="dynamic",
        width="stretch",
        key=scenario_edits.widget_key(root, "profiles"),
        column_config={ROW_ID: st.column_config.TextColumn(ROW_ID, required=True, pinned=True)}
        | _config(profile_columns),
    )
    parsed, problems = from_rows(edited, profile_columns, before=records)
    scenario_edits.track(root, "profiles", edited, profile_rows, changed=bool(problems) or parsed != records)
    if unreadable:
        problems.append(
            Problem(f"{', '.join(unreadable)} is not a JSON object: fix it in the raw view below.")
        )
    ui.show_problems(problems)
    if st.button("Save profiles", key="scenario_profiles_save", disabled=bool(problems)):
        files = {
            f"profiles/{pid}.json": json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            for pid, data in parsed.items()
        }
        removed = [f"profiles/{p.name}" for p in profile_files if p.stem not in parsed]
        if _save(root, files, "Profiles were not saved", removed):
            scenario_edits.reset(root, "profiles")
            st.rerun()
    if profile_files:
        with st.expander("Advanced: one profile as raw JSON"):
            raw_pick = st.selectbox(
                "Profile", [p.name for p in profile_files], key=f"scenario_raw_profile:{root}"
            )
            _editor(root, f"profiles/{raw_pick}", height=260)

with unsaved_slot.container():
    scenario_edits.unsaved_line(root)

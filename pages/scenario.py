"""Scenario: the company's documents, guidelines, offerings, testimonials and profiles; edit, import, pick."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from studio import scenario_actions as actions
from studio import scenario_edits, services, shell, ui
from studio.scenario_tables import (
    ROW_ID,
    columns_of,
    from_rows,
    offering_rows,
    offerings_from_rows,
    to_rows,
)
from workflow_core.errors import DecomposeError, Problem, ScenarioError
from workflow_core.page.colour import DEFAULT_PALETTE
from workflow_core.scenario.borrowed import borrowed
from workflow_core.scenario.injection import INSTRUCTION_FLAG
from workflow_core.scenario.load import (
    DESIGN_STEP_FILES,
    GUIDELINE_FILES,
    OFFERING_FILES,
    TESTIMONIAL_FILES,
    scenario_file,
)
from workflow_core.scenario.model import Scenario
from workflow_core.workspace import SHIPPED_SCENARIOS, scenario_folders, set_scenario_logo

# Each tab edits the file the scenario already has among these names (a new file takes the first name).
TEXT_FILES = {
    "Guidelines": GUIDELINE_FILES,
    "Design steps": DESIGN_STEP_FILES,
    "Testimonials": TESTIMONIAL_FILES,
}


def _label(path: Path) -> str:
    """A scenario as the picker lists it: the company's name, then where it lives."""
    try:
        name = services.scenario(path).company.name
    except DecomposeError:
        name = "(cannot be loaded)"
    where = "example, ships with the app" if path in SHIPPED_SCENARIOS else path.name
    return f"{name} · {where}"


shell.header("Scenario", "The company and its visitors: what every prompt reads. Saving writes to disk.")
if "scenario_notice" in st.session_state:
    st.success(st.session_state.pop("scenario_notice"), icon=":material/check_circle:")

folders = scenario_folders()
current = services.scenario_path()
if current not in folders:
    folders.append(current)
top = st.columns([3, 1.3, 1.7], vertical_alignment="bottom")
with top[0]:
    # The picker shows the active scenario on every run, whatever the browser last sent: a save that moved
    # the example's edits to a copy used to leave the picker on the example, and the next rerun (a table
    # edit, Enter in a field) switched back to it, dropping the edit from view (issue 27).
    st.session_state["scenario_choice"] = current
    st.selectbox(
        "Active scenario", folders, format_func=_label, key="scenario_choice", on_change=actions.pick
    )
with top[1], st.popover("New scenario", icon=":material/add:", width="stretch"):
    with st.form("scenario_new", border=False):
        st.text_input("Company name", key="scenario_new_name", placeholder="Crumb & Co Bakery")
        st.form_submit_button("Create an empty scenario", type="primary", on_click=actions.create)
    st.caption(
        "It starts empty: nothing of an example comes with it. To start from an example instead, pick it as "
        "the active scenario and edit it (your edits go to a copy)."
    )
    new_error = st.session_state.pop("scenario_new_error", None)
    if new_error is not None:
        ui.show_error(new_error, "The scenario was not created")
with top[2], st.popover("Import a scenario (.zip)", width="stretch"):
    upload = st.file_uploader("Zipped scenario folder", type=["zip"], key="scenario_zip")
    if upload is not None:
        st.button("Import and use it", key="scenario_import", on_click=actions.import_zip)
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
    shipped = [(services.scenario(p), p) for p in SHIPPED_SCENARIOS]
    leftovers = borrowed(scenario, root, shipped)
    if leftovers:
        st.warning(
            "This scenario still holds an example's material, which your pages would show:\n"
            + "\n".join(f"- {line}" for line in leftovers),
            icon=":material/content_copy:",
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
        actions.editor(root, relpath)

with company_tab:
    company = actions.read_json(root, "company.json")
    if not isinstance(company, dict):
        st.caption("company.json cannot be read as a form: fix it in the raw JSON below.")
    else:
        contact = actions.mapping(company.get("contact"))
        palette = DEFAULT_PALETTE | actions.mapping(company.get("palette"))
        fonts = actions.mapping(company.get("fonts"))
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
            c6, c7 = st.columns(2)
            cta = c6.text_input(
                "Call to action",
                company.get("call_to_action", ""),
                placeholder="Order a birthday cake",
                help="The page's main button. Empty: the one your guidelines quote, if any.",
            )
            logo_upload = c7.file_uploader(
                "Logo (.svg or .png)", type=["svg", "png"], key=f"scenario_logo:{root}"
            )
            if scenario is not None and scenario.logo_data:
                st.image(
                    scenario.logo_data
                    if scenario.logo_mime == "image/svg+xml"
                    else f"data:{scenario.logo_mime};base64,{scenario.logo_data}",
                    caption="Current logo",
                    width=160,
                )
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
                    "call_to_action": cta.strip(),
                }
                text = json.dumps(updated, indent=2, ensure_ascii=False) + "\n"
                if actions.save(root, {"company.json": text}, "company.json was not saved"):
                    scenario_edits.reset(root, "company.json")  # the raw view starts again from disk
                    saved_to = Path(st.session_state.get("scenario_path", root))
                    try:
                        if logo_upload is not None:
                            set_scenario_logo(saved_to, logo_upload.name, logo_upload.getvalue())
                    except DecomposeError as exc:
                        ui.show_error(exc, f"{logo_upload.name if logo_upload else 'The logo'} was not saved")
                    else:
                        st.rerun()
    with st.expander("Advanced: company.json as raw JSON"):
        actions.editor(root, "company.json", height=300)

with offerings_tab:
    offerings_file = scenario_file(root, OFFERING_FILES)
    offerings = actions.read_json(root, offerings_file) if offerings_file.endswith(".json") else None
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
            | actions.column_config_for(offer_columns),
        )
        grouped, offer_problems = offerings_from_rows(edited_offers, offer_columns)
        scenario_edits.track(root, "offerings", edited_offers, offer_rows, changed=grouped != offerings)
        ui.show_problems(offer_problems)
        if st.button("Save offerings", key="scenario_offerings_save", disabled=bool(offer_problems)):
            text = json.dumps(grouped, indent=2, ensure_ascii=False) + "\n"
            if actions.save(root, {"offerings.json": text}, "offerings.json was not saved"):
                scenario_edits.reset(root, "offerings")
                st.rerun()
    with st.expander("Add an offering", expanded=not offerings):
        with st.form("scenario_offer_form", border=False):
            o1, o2 = st.columns(2)
            o1.text_input(
                "Segment", key="scenario_offer_segment", placeholder="weddings", help="Who it is for"
            )
            o2.text_input("Offering", key="scenario_offer_name", placeholder="Wedding cake tasting")
            st.text_input("Description", key="scenario_offer_description")
            st.text_input("Price", key="scenario_offer_price", placeholder="from $450")
            st.form_submit_button(
                "Add the offering", on_click=actions.add_offering, args=(root, offerings_file)
            )
        offer_error = st.session_state.pop("scenario_offer_error", None)
        if offer_error is not None:
            ui.show_error(offer_error, "The offering was not added")
    with st.expander(f"Advanced: {offerings_file} as text", expanded=offerings is None):
        actions.editor(root, offerings_file, height=300)

with knowledge_tab:
    docs = actions.knowledge_documents(root)
    if st.session_state.get("scenario_doc") not in docs:
        st.session_state.pop("scenario_doc", None)
    if not docs:
        st.caption("No knowledge documents yet: add one below (Markdown or plain text).")
    else:
        doc = st.selectbox("Document", docs, key="scenario_doc")
        actions.editor(root, doc, height=320)
        with st.expander("Metadata: what retrieval filters on (e.g. industry)"):
            actions.metadata_editor(root, doc)
        st.button(
            "Delete this document",
            key="scenario_doc_delete",
            icon=":material/delete:",
            on_click=actions.delete_doc,
            args=(root, doc),
        )
    with st.expander("Add a document", expanded=not docs):
        with st.form("scenario_newdoc_form", border=False):
            st.text_input(
                "Path inside knowledge/", placeholder="cakes/wedding-cakes.md", key="scenario_newdoc"
            )
            st.form_submit_button("Create", on_click=actions.create_doc, args=(root,))
        doc_error = st.session_state.pop("scenario_doc_error", None)
        if doc_error is not None:
            ui.show_error(doc_error, "The document was not created")

with profiles_tab:
    profile_files = sorted((root / "profiles").glob("*.json")) if (root / "profiles").is_dir() else []
    records: dict[str, dict[str, Any]] = {}
    unreadable = []
    for p in profile_files:
        data = actions.read_json(root, f"profiles/{p.name}")
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
        | actions.column_config_for(profile_columns),
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
        if actions.save(root, files, "Profiles were not saved", removed):
            scenario_edits.reset(root, "profiles")
            st.rerun()
    with st.expander("Add a profile", expanded=not profile_files):
        with st.form("scenario_profile_form", border=False):
            p1, p2 = st.columns(2)
            p1.text_input(
                "Profile id", key="scenario_profile_id", placeholder="priya-events", help="Its file name"
            )
            p2.text_input("Visitor's name", key="scenario_profile_name")
            p3, p4, p5 = st.columns(3)
            p3.text_input("Role", key="scenario_profile_role")
            p4.text_input("Their company", key="scenario_profile_company")
            p5.text_input("Industry or segment", key="scenario_profile_industry", placeholder="weddings")
            st.text_input("Interests (separate them with ';')", key="scenario_profile_interests")
            st.text_input("Goals", key="scenario_profile_goals")
            st.form_submit_button("Add the profile", on_click=actions.add_profile, args=(root,))
        profile_error = st.session_state.pop("scenario_profile_error", None)
        if profile_error is not None:
            ui.show_error(profile_error, "The profile was not added")
    if profile_files:
        with st.expander("Advanced: one profile as raw JSON"):
            raw_pick = st.selectbox(
                "Profile", [p.name for p in profile_files], key=f"scenario_raw_profile:{root}"
            )
            actions.editor(root, f"profiles/{raw_pick}", height=260)

with unsaved_slot.container():
    scenario_edits.unsaved_line(root)

"""Settings: providers and models, connectivity, price overrides, local compute price and local models."""

from __future__ import annotations

import asyncio
import time

import pandas as pd
import streamlit as st

from studio import quality_view, services, shell, ui
from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import LOCAL_USD_PER_HOUR_DEFAULT, ModelPrice, local_speed
from workflow_core.providers.config import ProviderEntry, default_config_path
from workflow_core.providers.editing import (
    find_ollama,
    ollama_url,
    probe_entry,
    put_provider,
    read_config,
    remove_provider,
    variable_is_set,
)
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.providers.types import presets
from workflow_core.providers.weights import LOCAL_MODELS, weights_status
from workflow_core.workspace import save_settings, settings_path


def _said_by(name: str, message: str) -> str:
    """`message` about provider `name`, named once: a provider's own errors already start with its name (a
    test of Ollama read "ollama: ollama: cannot connect")."""
    return message if message.startswith(f"{name}: ") else f"{name}: {message}"


def _check(name: str) -> tuple[bool, str]:
    """Contact one provider with a registry of its own (its HTTP clients live and die in this call)."""

    async def go() -> tuple[bool, str]:
        async with ProviderRegistry.from_environment() as registry:
            return await registry.check_connectivity(name)

    return asyncio.run(go())


OLLAMA_RECHECK_S = 30.0


def _ollama_models() -> list[str] | None:
    """What a local Ollama serves, asked at most every OLLAMA_RECHECK_S per session (None: nothing answers)."""
    seen = st.session_state.get("settings_ollama")
    if seen is None or time.time() - seen[0] > OLLAMA_RECHECK_S:
        try:
            found = asyncio.run(find_ollama())
        except DecomposeError:
            found = None
        seen = (time.time(), found)
        st.session_state["settings_ollama"] = seen
    models: list[str] | None = seen[1]
    return models


def _entry_from_form(kind: str, base_url: str, key_env: str, models: str) -> ProviderEntry:
    return ProviderEntry(
        type=kind,
        base_url=base_url.strip() or None,
        api_key_env=key_env.strip() or None,
        models=[m.strip() for m in models.split(",") if m.strip()] or None,
    )


def _number(value: object) -> float | None:
    """A grid cell as a number; an empty cell (None or NaN) as None."""
    return None if value is None or pd.isna(value) else float(str(value))


def _saved(message: str) -> None:
    st.session_state["settings_provider_notice"] = message
    st.session_state.pop("settings_ollama", None)


shell.header(
    "Settings", "Providers, models and prices. Keys stay in the environment: only their variable names show."
)
if "settings_error" in st.session_state:
    st.warning(st.session_state["settings_error"])

try:
    registry = services.registry()
except DecomposeError as exc:
    ui.show_error(exc, f"The providers file {default_config_path()} has problems")
    st.stop()

st.subheader("Providers")
config_path = default_config_path()
st.caption(
    f"Saved in `{config_path}` ({'exists' if config_path.is_file() else 'created when you add a provider'}; "
    "DECOMPOSE_PROVIDERS moves it). Keys stay in environment variables: a provider names its variable, and "
    "this page shows only whether it is set."
)
notice = st.session_state.pop("settings_provider_notice", None)
if notice:
    st.success(notice, icon=":material/check_circle:")
configs = registry.provider_configs()
st.table(
    [
        {
            "provider": f"{c['name']} ({c['type']})",
            "base URL": c.get("base_url") or "–",
            "key": (
                f"{c['api_key_env']}: {'set' if c.get('api_key_set') else 'not set'}"
                if c.get("api_key_env")
                else "none needed"
            ),
            "models": ", ".join(c["models"]) if c.get("models") else "any",
        }
        for c in configs
    ],
    hide_index=True,
    border="horizontal",
)
st.caption(
    "A key that is not set: set the variable where the app starts (or in .streamlit/secrets.toml) and restart."
)

ollama = _ollama_models()
configured_urls = {(c.get("base_url") or "").rstrip("/") for c in configs}
if ollama is not None and ollama_url().rstrip("/") not in configured_urls:
    with st.container(border=True):
        st.markdown(
            f":material/lan: **Ollama answers on this machine** ({ollama_url()}), serving "
            f"{len(ollama)} model(s): {', '.join(ollama[:6]) or 'none pulled yet'}."
        )
        if st.button("Use Ollama on this machine", key="settings_add_ollama", icon=":material/add:"):
            try:
                put_provider(
                    config_path, "ollama", ProviderEntry(base_url=ollama_url(), models=ollama or None)
                )
            except DecomposeError as exc:
                ui.show_error(exc, "Ollama could not be added")
            else:
                _saved(f"Added provider ollama to {config_path}: use its models as ollama/<model>.")
                st.rerun()

with st.expander("Add or edit a provider", icon=":material/add_circle:"):
    try:
        in_file = read_config(config_path).providers
    except DecomposeError:
        in_file = {}
    edit_choices = ["(new provider)", *in_file]
    editing = st.selectbox("Provider", edit_choices, key="settings_edit_choice")
    current = in_file.get(editing)
    offered = presets()
    labels = [p.label for p in offered]
    preset = offered[
        labels.index(st.selectbox("Kind", labels, key="settings_preset", disabled=current is not None))
    ]
    with st.form("settings_provider_form", border=False):
        p1, p2 = st.columns(2)
        name = p1.text_input(
            "Name",
            value=editing if current else preset.name,
            disabled=current is not None,
            help="Prefixes its model refs, e.g. ollama/llama3.2",
        )
        base_url = p2.text_input("Base URL", value=(current.base_url if current else preset.base_url) or "")
        p3, p4 = st.columns(2)
        key_env = p3.text_input(
            "Key variable (its NAME, not the key)",
            value=(current.api_key_env if current else preset.api_key_env) or "",
            placeholder="e.g. OPENROUTER_API_KEY; empty for a local server",
        )
        models = p4.text_input(
            "Models (comma-separated; empty: any)",
            value=", ".join((current.models or []) if current else []),
        )
        if key_env.strip():
            st.caption(
                f"`{key_env.strip()}` is {'set' if variable_is_set(key_env.strip()) else 'not set'} in this "
                "app's environment."
            )
        b1, b2, _ = st.columns([1, 1, 2])
        test = b1.form_submit_button("Test", icon=":material/network_check:", width="stretch")
        save = b2.form_submit_button("Save provider", type="primary", icon=":material/save:", width="stretch")
    kind = current.type if current else preset.type
    if test or save:
        entry = _entry_from_form(kind, base_url, key_env, models)
        try:
            if test:
                with st.spinner(f"Asking {name} for its models…"):
                    ok, message, served = asyncio.run(probe_entry(name.strip(), entry))
                (st.success if ok else st.error)(
                    _said_by(name.strip(), message) + (f" ({', '.join(served[:8])})" if served else "")
                )
            else:
                put_provider(config_path, name.strip(), entry)
                _saved(f"Saved provider {name.strip()} to {config_path}.")
                st.rerun()
        except DecomposeError as exc:
            ui.show_error(exc, f"{name or 'The provider'} was not {'tested' if test else 'saved'}")
    if current is not None and st.button(
        f"Remove {editing}", key="settings_remove", icon=":material/delete:"
    ):
        try:
            remove_provider(config_path, editing)
        except DecomposeError as exc:
            ui.show_error(exc, f"{editing} was not removed")
        else:
            st.session_state.pop("settings_edit_choice", None)
            _saved(f"Removed provider {editing} from {config_path}.")
            st.rerun()

check_cols = st.columns([2, 1, 4], vertical_alignment="bottom")
with check_cols[0]:
    target = st.selectbox("Check connectivity of", [c["name"] for c in configs], key="settings_check_target")
with check_cols[1]:
    check = st.button("Check", key="settings_check", width="stretch")
with check_cols[2]:
    if check and target:
        with st.spinner(f"Contacting {target}…"):
            try:
                ok, message = _check(target)
            except DecomposeError as exc:
                ok, message = False, str(exc)
        (st.success if ok else st.error)(_said_by(target, message))

st.subheader("Models")
st.table(
    [
        {"ref": m.ref, "provider": m.provider, "local": "yes" if m.local else "", "status": m.status}
        for m in registry.models()
    ],
    hide_index=True,
    border="horizontal",
)

st.subheader("Local models")
rows = []
for name, spec in LOCAL_MODELS.items():
    status = weights_status(name)
    rows.append(
        {
            "ref": f"local/{name}",
            "weights": spec.title,
            "status": status.text,
            "tokens/s": f"{local_speed(name).gen_tps:.0f}",
        }
    )
st.table(rows, hide_index=True, border="horizontal")

st.subheader("Prices")
settings = services.settings()
price_cols = st.columns([1, 3])
with price_cols[0]:
    per_hour = st.number_input(
        "Local compute, $ per hour",
        min_value=0.0,
        value=float(
            settings.local_usd_per_hour
            if settings.local_usd_per_hour is not None
            else LOCAL_USD_PER_HOUR_DEFAULT
        ),
        step=0.01,
        format="%.3f",
        help="Local models are priced by measured compute seconds × this rate.",
        key="settings_per_hour",
    )
with price_cols[1]:
    st.caption("Overrides by model ref win over genai-prices and the providers file ($ per million tokens).")
    # No blank starter row: the table's own "+" adds one (an empty row read as a $0 price for nothing).
    edited = st.data_editor(
        pd.DataFrame(
            [
                {
                    "ref": ref,
                    "input $/Mtok": p.input_per_mtok,
                    "output $/Mtok": p.output_per_mtok,
                    "$ per image": p.per_image,
                }
                for ref, p in settings.price_overrides.items()
            ],
            columns=["ref", "input $/Mtok", "output $/Mtok", "$ per image"],
        ),
        hide_index=True,
        num_rows="dynamic",
        width="stretch",
        key="settings_overrides",
        column_config={
            "ref": st.column_config.TextColumn("ref", help="provider/model, e.g. openai/gpt-4o-mini"),
            "input $/Mtok": st.column_config.NumberColumn(min_value=0.0, format="%.4f"),
            "output $/Mtok": st.column_config.NumberColumn(min_value=0.0, format="%.4f"),
            "$ per image": st.column_config.NumberColumn(min_value=0.0, format="%.4f"),
        },
    )
if st.button("Save prices", type="primary", key="settings_save"):
    overrides = {}
    for row in edited.to_dict("records"):
        ref = "" if pd.isna(row.get("ref")) else str(row.get("ref") or "").strip()
        if not ref:
            continue
        if "/" not in ref:
            st.error(f"'{ref}' is not a model ref: write provider/model.")
            st.stop()
        overrides[ref] = ModelPrice(
            input_per_mtok=_number(row.get("input $/Mtok")) or 0.0,
            output_per_mtok=_number(row.get("output $/Mtok")) or 0.0,
            per_image=_number(row.get("$ per image")),
            source="your override",
        )
    settings.local_usd_per_hour = per_hour
    settings.price_overrides = overrides
    st.session_state["settings"] = settings
    try:
        written = save_settings(settings)
    except OSError as exc:
        st.error(
            f"Prices apply to this session but could not be written to {settings_path()}: {exc.strerror}."
        )
    else:
        st.success(f"Saved to {written}; estimates and new runs use these prices.")

st.subheader("Quality")
quality_view.settings_section()

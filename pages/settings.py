"""Settings: providers and models, connectivity, price overrides, local compute price and local models."""

from __future__ import annotations

import asyncio

import streamlit as st

from studio import quality_view, services, ui
from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import LOCAL_USD_PER_HOUR_DEFAULT, ModelPrice, local_speed
from workflow_core.providers.config import default_config_path
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.providers.weights import LOCAL_MODELS, weights_status
from workflow_core.workspace import save_settings, settings_path


def _check(name: str) -> tuple[bool, str]:
    """Contact one provider with a registry of its own (its HTTP clients live and die in this call)."""

    async def go() -> tuple[bool, str]:
        async with ProviderRegistry.from_environment() as registry:
            return await registry.check_connectivity(name)

    return asyncio.run(go())


ui.header(
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
st.caption(f"Configured in {default_config_path()} (DECOMPOSE_PROVIDERS) and the environment.")
configs = registry.provider_configs()
st.dataframe(
    [
        {
            "name": c["name"],
            "type": c["type"],
            "base URL": c.get("base_url") or "",
            "key variable": c.get("api_key_env") or "",
            "key set": "yes" if c.get("api_key_set") else ("–" if not c.get("api_key_env") else "no"),
            "source": c.get("source", ""),
        }
        for c in configs
    ],
    hide_index=True,
    width="stretch",
)
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
        (st.success if ok else st.error)(f"{target}: {message}")

st.subheader("Models")
st.dataframe(
    [{"ref": m.ref, "provider": m.provider, "local": m.local, "status": m.status} for m in registry.models()],
    hide_index=True,
    width="stretch",
)

st.subheader("Local models")
rows = []
for name, spec in LOCAL_MODELS.items():
    status = weights_status(name)
    rows.append(
        {
            "ref": f"local/{name}",
            "weights": spec.title,
            "installed": status.parts_installed,
            "assembled": status.assembled,
            "verified": status.verified,
            "status": status.text,
            "speed (tok/s out)": local_speed(name).gen_tps,
        }
    )
st.dataframe(rows, hide_index=True, width="stretch")

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
    edited = st.data_editor(
        [
            {
                "ref": ref,
                "input $/Mtok": p.input_per_mtok,
                "output $/Mtok": p.output_per_mtok,
                "$ per image": p.per_image,
            }
            for ref, p in settings.price_overrides.items()
        ]
        or [{"ref": "", "input $/Mtok": 0.0, "output $/Mtok": 0.0, "$ per image": None}],
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
    for row in edited:
        ref = str(row.get("ref") or "").strip()
        if not ref:
            continue
        if "/" not in ref:
            st.error(f"'{ref}' is not a model ref: write provider/model.")
            st.stop()
        overrides[ref] = ModelPrice(
            input_per_mtok=float(row.get("input $/Mtok") or 0.0),
            output_per_mtok=float(row.get("output $/Mtok") or 0.0),
            per_image=None if (per_image := row.get("$ per image")) is None else float(per_image),
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

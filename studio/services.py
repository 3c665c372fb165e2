"""The core services a page needs, built from workflow_core. Read-only resources (templates, scenarios,
the provider registry's configuration) are cached across sessions by path and mtime; everything a user
changes lives in their own session state."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from workflow_core import workspace
from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.config import default_config_path, load_providers_file
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store, StoreError, default_db_path
from workflow_core.scenario import INPUT_NAMES, Scenario, load_scenario
from workflow_core.workflow.spec import Workflow
from workflow_core.workflow.templates import TEMPLATE_NAMES, load_template
from workflow_core.workspace import EXAMPLE_SCENARIO, Settings, load_settings


def _tree_mtime(root: Path) -> float:
    """The newest mtime under a folder: the cache key that notices any edit to a scenario."""
    newest = root.stat().st_mtime if root.exists() else 0.0
    for path in root.rglob("*"):
        newest = max(newest, path.stat().st_mtime)
    return newest


@st.cache_resource(show_spinner=False)
def _template(name: str) -> Workflow:
    return load_template(name)


def template(name: str) -> Workflow:
    """A built-in template (a private copy: the cached one is never edited)."""
    return _template(name).model_copy(deep=True)


def template_names() -> tuple[str, ...]:
    return TEMPLATE_NAMES


@st.cache_resource(show_spinner=False, max_entries=16)
def _scenario(path: str, mtime: float) -> Scenario:
    return load_scenario(path)


def scenario(path: str | Path) -> Scenario:
    """The scenario at `path`, reloaded whenever a file in it changes. Raises ScenarioError."""
    root = Path(path)
    return _scenario(str(root.resolve()), _tree_mtime(root))


SCENARIO_ENV = "DECOMPOSE_SCENARIO"


def scenario_path() -> Path:
    """This session's active scenario: the one picked on the Scenario page, else $DECOMPOSE_SCENARIO, else
    the example in assets/."""
    return Path(st.session_state.get("scenario_path") or os.environ.get(SCENARIO_ENV) or EXAMPLE_SCENARIO)


def input_names() -> list[str]:
    return list(INPUT_NAMES)


# Variables the providers read; a providers file may name more through `api_key_env`.
SECRET_NAMES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY")


def _declared_key_names() -> list[str]:
    path = default_config_path()
    if not path.is_file():
        return []
    try:
        config = load_providers_file(path)
    except DecomposeError:
        return []  # the Settings page says what is wrong with the file
    return [entry.api_key_env for entry in config.providers.values() if entry.api_key_env]


def secrets_to_environment() -> list[str]:
    """Copy the provider variables found in Streamlit secrets into the environment, where the providers read
    them. A variable already in the environment wins; values go nowhere else. Returns the names copied."""
    try:
        secrets = st.secrets.to_dict()
    except FileNotFoundError:  # no secrets file: keys come from the environment alone
        return []
    if not secrets:
        return []
    copied = []
    for name in dict.fromkeys([*SECRET_NAMES, *_declared_key_names()]):
        value = secrets.get(name)
        if name in os.environ or not isinstance(value, str | int | float) or str(value) == "":
            continue
        os.environ.setdefault(name, str(value))
        copied.append(name)
    return copied


def _config_key() -> tuple[str, float]:
    path = default_config_path()
    return str(path), (path.stat().st_mtime if path.is_file() else 0.0)


@st.cache_resource(show_spinner=False, max_entries=4)
def _registry_for_listing(path: str, mtime: float, env_key: str) -> ProviderRegistry:
    return ProviderRegistry.from_environment()


def registry() -> ProviderRegistry:
    """The configured providers, for listing models and checking refs (runs get their own, see `engine`)."""
    env_key = "|".join(f"{k}={bool(v)}" for k, v in sorted(os.environ.items()) if k.endswith("API_KEY"))
    return _registry_for_listing(*_config_key(), env_key)


def model_refs() -> list[str]:
    """Every concrete model ref the registry knows (wildcards left out: the user types those)."""
    try:
        return [m.ref for m in registry().models() if not m.ref.endswith("/*")]
    except DecomposeError:
        return []


def settings() -> Settings:
    """This session's settings: read once from the settings file, then edited on the Settings page."""
    if "settings" not in st.session_state:
        try:
            st.session_state["settings"] = load_settings()
        except DecomposeError as exc:
            st.session_state["settings"] = Settings()
            st.session_state["settings_error"] = str(exc)
    value: Settings = st.session_state["settings"]
    return value


def price_book() -> PriceBook:
    """Prices: the providers file's declared prices, then the user's overrides on top."""
    return workspace.price_book(settings(), registry())


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(path: str) -> Store:
    return Store(path)


def store() -> Store:
    """The run store at $DECOMPOSE_DB (else the user data dir): one connection per database for the whole app
    process, shared by every session and page (Store serialises access itself). A store dropped from the cache
    closes its connection when the last page holding it lets go. A database that cannot be used (a folder,
    another program's file, a truncated one) is a message on the page, and the page stops there."""
    try:
        return _store(str(default_db_path()))
    except StoreError as exc:
        from studio import ui

        ui.show_error(exc, "The run database cannot be used")
        st.stop()


def engine() -> Engine:
    """A fresh engine for one run: its own registry (HTTP clients belong to the run's event loop)."""
    current = settings()
    return workspace.new_engine(settings=current, judge=current.judge_model)

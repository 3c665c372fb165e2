"""providers.yaml: its schema and where it lives. Keys never appear in it: a provider names the environment
variable that holds its key (`api_key_env`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from workflow_core.errors import DecomposeError
from workflow_core.providers.local import LOCAL_PROVIDER_NAME
from workflow_core.providers.types import DEFAULT_TYPE, provider_type, provider_types, type_names

CONFIG_ENV = "DECOMPOSE_PROVIDERS"


class ModelPriceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    per_image: float | None = Field(None, ge=0)


class ProviderEntry(BaseModel):
    """One provider in providers.yaml."""

    model_config = ConfigDict(extra="forbid")
    type: str = DEFAULT_TYPE  # a registered provider type (workflow_core.providers.types)
    base_url: str | None = None
    api_key_env: str | None = None
    models: list[str] | None = None
    usd_per_hour: float | None = Field(None, ge=0)
    prices: dict[str, ModelPriceConfig] = Field(default_factory=dict)
    # At most this many calls to the provider at once, across every run of the process (its rate limit).
    max_concurrency: int | None = Field(None, ge=1)

    @field_validator("type", mode="before")
    @classmethod
    def _registered_type(cls, value: Any) -> Any:
        """Any type in the table, refused as a Literal of the registered names would be."""
        if not isinstance(value, str) or value not in provider_types():
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": type_names(quote="'")}
            )
        return value


class LocalEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: dict[str, Path] = Field(default_factory=dict)


class ProvidersFile(BaseModel):
    """The whole providers.yaml."""

    model_config = ConfigDict(extra="forbid")
    providers: dict[str, ProviderEntry] = Field(default_factory=dict)
    local: LocalEntry = Field(default_factory=LocalEntry)


def default_config_path() -> Path:
    """providers.yaml: $DECOMPOSE_PROVIDERS, else in the user config dir."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("decompose-studio")) / "providers.yaml"


def load_providers_file(path: Path) -> ProvidersFile:
    """Parse and validate providers.yaml; every problem is reported with how to fix it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DecomposeError(f"cannot read the providers file {path}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise DecomposeError(
            f"the providers file {path} is not valid YAML: {exc}. Fix its indentation."
        ) from exc
    if data is None:
        return ProvidersFile()
    if not isinstance(data, dict):
        raise DecomposeError(
            f"the providers file {path} must be a mapping with a top-level `providers:` key."
        )
    try:
        config = ProvidersFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise DecomposeError(
            f"the providers file {path} has problems: {problems}. Each provider needs `type` ({type_names()}), "
            "`base_url`, optionally `api_key_env` (the NAME of an environment variable, not "
            "the key) and `models`."
        ) from exc
    for name, entry in config.providers.items():
        if "/" in name or not name:
            raise DecomposeError(f"provider name '{name}' in {path} must be non-empty and contain no '/'.")
        if name == LOCAL_PROVIDER_NAME:
            raise DecomposeError(
                f"'{LOCAL_PROVIDER_NAME}' is reserved for the embedded models in {path}; add GGUF files "
                "under `local: models:` instead."
            )
        if entry.base_url is not None:
            scheme, _, rest = entry.base_url.strip().partition("://")
            if scheme.lower() not in ("http", "https") or not rest.strip("/"):
                raise DecomposeError(
                    f"provider '{name}' in {path} has base_url '{entry.base_url}': give an http:// or "
                    "https:// address, e.g. http://localhost:11434/v1 (other schemes such as file:// are "
                    "not model servers)."
                )
        kind = provider_type(entry.type)
        if kind.base_url_missing(name, entry.base_url):
            raise DecomposeError(
                f"provider '{name}' in {path} needs a base_url, e.g. {kind.base_url_example()}."
            )
    return config

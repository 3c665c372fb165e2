"""Adding, changing, testing and removing providers in providers.yaml from the app. A provider names the
environment variable that holds its key (never the key: a value that looks like a key is refused), and can be
tested before it is saved. A local Ollama is found by asking it for its models."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from workflow_core.errors import DecomposeError, ProviderError
from workflow_core.providers.config import ProviderEntry, ProvidersFile, load_providers_file
from workflow_core.providers.local import LOCAL_PROVIDER_NAME
from workflow_core.providers.types import OLLAMA_DEFAULT, provider_type

OLLAMA_ENV = "DECOMPOSE_OLLAMA_URL"  # where "Ollama on this machine" looks (tests point it at a fake server)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_PREFIXES = ("sk-", "sk_", "pk-", "xai-", "gsk_", "hf_", "AIza")


def ollama_url() -> str:
    return os.environ.get(OLLAMA_ENV) or OLLAMA_DEFAULT


def variable_is_set(name: str | None) -> bool:
    """Whether the environment variable `name` holds a value (the value itself is never read out)."""
    return bool(name) and bool(os.environ.get(str(name)))


def check_entry(name: str, entry: ProviderEntry) -> None:
    """Refuse a provider the registry could not use, with what to write instead. Raises DecomposeError."""
    if not _NAME.match(name or ""):
        raise DecomposeError(
            f"'{name}' cannot name a provider: use letters, digits, '.', '_' or '-' (it prefixes model refs "
            "such as ollama/llama3.2)."
        )
    if name == LOCAL_PROVIDER_NAME:
        raise DecomposeError("'local' is the embedded models' name; choose another name.")
    key = entry.api_key_env
    # Variable names are short and upper-case by habit; keys are long, mixed-case, or carry a vendor prefix.
    if key and (key.startswith(_KEY_PREFIXES) or (len(key) >= 24 and key != key.upper())):
        raise DecomposeError(
            "That looks like a key itself. Write the NAME of the environment variable that holds the key "
            "(e.g. OPENROUTER_API_KEY) and set that variable before starting the app: keys are never "
            "written to files."
        )
    if key and not _VARIABLE.match(key):
        raise DecomposeError(
            f"'{key}' is not an environment variable name: use letters, digits and '_' (e.g. MY_API_KEY)."
        )
    kind = provider_type(entry.type)
    if kind.base_url_missing(name, entry.base_url):
        raise DecomposeError(f"'{name}' needs a base URL, e.g. {kind.base_url_example()}.")
    if entry.base_url and not re.match(r"^https?://", entry.base_url):
        raise DecomposeError(f"'{entry.base_url}' is not a URL: start it with http:// or https://.")


def read_config(path: Path) -> ProvidersFile:
    """The providers file, or an empty one when it does not exist yet. Raises DecomposeError."""
    return load_providers_file(path) if path.is_file() else ProvidersFile()


def _write(path: Path, config: ProvidersFile) -> Path:
    data = config.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    text = yaml.safe_dump(data or {"providers": {}}, sort_keys=False, allow_unicode=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise DecomposeError(f"cannot write the providers file {path}: {exc.strerror}.") from exc
    load_providers_file(path)  # what was written must read back
    return path


def put_provider(path: Path, name: str, entry: ProviderEntry) -> Path:
    """Add provider `name` to the providers file at `path`, or replace it; other providers and prices stay.
    Raises DecomposeError (and writes nothing) for a provider that cannot be used."""
    check_entry(name, entry)
    config = read_config(path)
    config.providers[name] = entry
    return _write(path, config)


def remove_provider(path: Path, name: str) -> Path:
    config = read_config(path)
    if name not in config.providers:
        raise DecomposeError(f"'{name}' is not in {path}; only providers from that file can be removed here.")
    del config.providers[name]
    return _write(path, config)


async def probe_entry(name: str, entry: ProviderEntry) -> tuple[bool, str, list[str]]:
    """Ask a provider, as it would be saved, for its models: (answered, message, model ids listed)."""
    from workflow_core.providers.registry import ProviderRegistry

    check_entry(name, entry)
    async with ProviderRegistry() as registry:
        registry.add_configured(name, entry, source="being edited")
        provider = registry.get(name)
        list_models = getattr(provider, "list_models", None)
        if list_models is None:
            ok, message = await registry.check_connectivity(name)
            return ok, message, []
        try:
            served = [str(m) for m in await list_models(timeout_s=5.0)]
        except ProviderError as exc:
            return False, str(exc), []
    return True, f"{len(served)} model(s) listed at {entry.base_url or 'the default URL'}", served


async def find_ollama() -> list[str] | None:
    """The models of an Ollama (or any OpenAI-compatible server) answering at `ollama_url()`, or None."""
    ok, _, models = await probe_entry("ollama", ProviderEntry(type="openai", base_url=ollama_url()))
    return models if ok else None

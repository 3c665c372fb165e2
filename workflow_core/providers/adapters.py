"""Trained LoRA adapters that the local provider serves on top of their base model: `local/BASE+NAME`.

An adapter is a folder `NAME/` in the adapters folder (see `paths.adapters_dir`) holding `adapter.gguf`
(llama.cpp's LoRA format) and `card.json` (what it was trained from and on; `tune.card` writes it). The card
names the base model the adapter was trained on; the adapter only runs on that model.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADAPTER_SEPARATOR = "+"
ADAPTER_FILE = "adapter.gguf"
CARD_FILE = "card.json"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name an adapter, or None."""
    if _NAME.match(name):
        return None
    return (
        f"'{name}' cannot name an adapter: use 1-48 lowercase letters, digits and dashes, starting with a letter "
        "or digit (e.g. seed-dev)"
    )


def split_model(model: str) -> tuple[str, str | None]:
    """'qwen2.5-coder-0.5b+seed-dev' → ('qwen2.5-coder-0.5b', 'seed-dev'); a plain model → (model, None)."""
    base, sep, adapter = model.partition(ADAPTER_SEPARATOR)
    return (base, adapter) if sep else (model, None)


@dataclass(frozen=True)
class Adapter:
    name: str
    base: str  # the local model it was trained on, without the provider ("qwen2.5-coder-0.5b")
    folder: Path
    card: dict[str, Any]

    @property
    def path(self) -> Path:
        return self.folder / ADAPTER_FILE

    @property
    def model(self) -> str:
        """The model name the local provider serves it as."""
        return f"{self.base}{ADAPTER_SEPARATOR}{self.name}"

    def sha256(self) -> str:
        """The adapter file's digest, as the card records it (else computed): it names the weights in cache keys."""
        recorded = self.card.get("adapter_sha256")
        return str(recorded) if recorded else file_sha256(self.path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_adapter(folder: Path) -> Adapter | None:
    """The adapter in `folder`, or None when the folder is not a complete one (a training still under way
    writes its adapter last, so a half-written folder is not listed)."""
    card_path, weights = folder / CARD_FILE, folder / ADAPTER_FILE
    if not (card_path.is_file() and weights.is_file()) or name_problem(folder.name):
        return None
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    student = str(card.get("student", "")) if isinstance(card, dict) else ""
    provider, _, base = student.partition("/")
    if provider != "local" or not base:
        return None
    return Adapter(folder.name, base, folder, card)


def find_adapters(folder: Path) -> dict[str, Adapter]:
    """Every complete adapter under `folder`, by name."""
    if not folder.is_dir():
        return {}
    found = (read_adapter(entry) for entry in sorted(folder.iterdir()) if entry.is_dir())
    return {a.name: a for a in found if a is not None}

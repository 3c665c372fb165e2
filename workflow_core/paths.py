"""Where the user's own files live: the user data dir, or DECOMPOSE_HOME (which tests point at a temporary
folder). Every layer that keeps files there (workflows, scenarios, drafts, trained adapters) starts here."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "DECOMPOSE_HOME"


def home() -> Path:
    override = os.environ.get(HOME_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir("decompose-studio"))


def adapters_dir() -> Path:
    """Trained LoRA adapters, a folder each (`decompose specialise` writes them; the local provider serves them)."""
    return home() / "adapters"

"""Training needs PyTorch, transformers, PEFT and gguf: the optional `tune` extra. Everything that imports them
checks here first, so a missing extra is one clear message with the command that installs it."""

from __future__ import annotations

import importlib.util

from workflow_core.errors import DecomposeError

PACKAGES = ("torch", "transformers", "peft", "gguf", "safetensors")
INSTALL = "pip install 'decompose-studio[tune]'"
CPU_TORCH = "pip install torch==2.13.0 (the CPU build, without CUDA's gigabytes)"


def missing() -> list[str]:
    """The training packages that are not installed."""
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def require() -> None:
    """Raise a DecomposeError naming what is missing and how to install it."""
    absent = missing()
    if absent:
        raise DecomposeError(
            f"specialising a model needs {', '.join(absent)}, which {'is' if len(absent) == 1 else 'are'} not "
            f"installed. Install the training extra: {INSTALL} (on a machine without a GPU, first "
            f"{CPU_TORCH})."
        )

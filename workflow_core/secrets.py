"""Secrets never leave the process: every error message is passed through `redact`, which removes the values
of the environment's key-like variables, keys handed to providers directly, and anything shaped like a
bearer token or an API key, even when a provider echoes one back."""

from __future__ import annotations

import os
import re

# Variable names that hold credentials by convention (OPENAI_API_KEY, HF_TOKEN, AWS_SECRET_ACCESS_KEY, ...).
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
_SHAPES = re.compile(
    r"(?P<bearer>Bearer\s+)[A-Za-z0-9._~+/=-]{6,}"
    r"|\b(?:sk|pk|rk)-(?:ant-|proj-)?[A-Za-z0-9_-]{8,}"
    r"|\bx-api-key:\s*\S+",
    re.IGNORECASE,
)
_MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a key that did not come from the environment (e.g. given to a provider directly)."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        _registered.add(value)


def _environment_secrets() -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in os.environ.items()
        if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LENGTH
    ]


def redact(text: str) -> str:
    """`text` with every known secret value and every key-shaped token replaced by a marker."""
    if not text:
        return text
    # Longest first, so a key that contains another is removed whole.
    for name, value in sorted(_environment_secrets(), key=lambda nv: -len(nv[1])):
        if value in text:
            text = text.replace(value, f"[{name} redacted]")
    for value in sorted(_registered, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "[key redacted]")
    return _SHAPES.sub(lambda m: (m.group("bearer") or "") + "[redacted]", text)

"""Shared fixtures: the scripted OpenAI-compatible server and a registry pointing at it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_openai import FakeOpenAIServer


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(models=["small", "large"])
    server.start()
    try:
        yield server
    finally:
        server.stop()

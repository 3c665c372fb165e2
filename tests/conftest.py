"""Shared fixtures: the scripted OpenAI-compatible server and a registry pointing at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run import offload
from workflow_core.testing.fake_server import FakeOpenAIServer

# `serve`: `decompose serve` on 127.0.0.1 in front of the scripted server (tests/serving.py).
pytest_plugins = ["tests.serving"]


@pytest.fixture(autouse=True)
def _no_page_workers_between_tests() -> Iterator[None]:
    """A test that ran many runs at once started page workers; the next test starts clean (what it patches in
    this process would not reach workers started before it)."""
    yield
    offload.shutdown()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(models=["small", "large"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def fake_registry(fake_openai: FakeOpenAIServer) -> AsyncIterator[ProviderRegistry]:
    """A registry with one OpenAI-compatible provider "fake" (models small, large) on the scripted server."""
    registry = ProviderRegistry()
    registry.add(OpenAICompatProvider("fake", fake_openai.base_url, None), models=["small", "large"])
    yield registry
    await registry.aclose()


@pytest.fixture
def cli_env(tmp_path: Path, fake_openai: FakeOpenAIServer) -> dict[str, str]:
    """Environment for a `decompose` subprocess: provider `fake` on the scripted server, a fresh database."""
    providers = tmp_path / "providers.yaml"
    providers.write_text(fake_openai.providers_yaml())
    env = dict(os.environ)
    env.update(
        DECOMPOSE_PROVIDERS=str(providers),
        DECOMPOSE_DB=str(tmp_path / "runs.sqlite3"),
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    return env

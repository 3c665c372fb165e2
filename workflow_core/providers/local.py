"""The embedded local models: llama.cpp in-process (xllamacpp), called over its OpenAI-compatible HTTP API.

One xllamacpp.Server per model per process, started lazily (in a worker thread, so the event loop keeps
running) and shared by every LocalProvider. Chat goes through `OpenAICompatProvider` pointed at the server's
address with a random per-process API key: one code path for local and hosted models.
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow_core.errors import ModelNotInstalledError, ProviderError
from workflow_core.paths import adapters_dir
from workflow_core.providers.adapters import Adapter, find_adapters, name_problem, read_adapter, split_model
from workflow_core.providers.base import ChatRequest, ChatResult, TokenCallback
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.status import report
from workflow_core.providers.weights import LOCAL_MODELS, ensure_weights, weights_status

LOCAL_PROVIDER_NAME = "local"
N_CTX = 8192  # shared by the slots: 4096 tokens each
N_PARALLEL = 2  # two concurrent generations measured ~1.6x the aggregate throughput of one

# Only this process's own clients may call the servers it starts.
_API_KEY = secrets.token_urlsafe(24)


@dataclass
class _RunningServer:
    server: Any  # xllamacpp.Server
    address: str
    path: Path
    threads: int
    adapter: Path | None = None


_servers: dict[str, _RunningServer] = {}
_start_lock = threading.Lock()


def _start_server(model_path: Path, threads: int, adapter: Path | None = None) -> _RunningServer:
    import xllamacpp  # imported here: loading the native library is only needed once a model runs

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    if adapter is not None:
        # A server of its own per adapter, applied to every request at full scale: one server switching
        # adapters per request could serve a prompt from a cache made under another adapter.
        params.lora_adapters = [xllamacpp.CommonAdapterLoraInfo(str(adapter), 1.0)]
    params.n_ctx = N_CTX
    params.n_parallel = N_PARALLEL
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = True
    params.api_keys = [_API_KEY]
    # Loopback only, said here rather than left to xllamacpp's default: the server must never face the network.
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free port, read back from listening_address
    # llama.cpp logs every slot and request to stderr, which buries the CLI's progress; failures still reach
    # us as HTTP errors. DECOMPOSE_LLAMA_VERBOSE=1 brings the logs back for debugging.
    params.verbosity = 3 if os.environ.get("DECOMPOSE_LLAMA_VERBOSE") else -1
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # the native loader reports any bad file as a plain exception
        what = f"{model_path} with the adapter {adapter}" if adapter else str(model_path)
        raise ModelNotInstalledError(
            f"llama.cpp could not load {what}: {exc}. Check that it is a GGUF model file"
            + (" and a LoRA adapter trained on that model." if adapter else ".")
        ) from exc
    return _RunningServer(
        server=server,
        address=str(server.listening_address).rstrip("/"),
        path=model_path,
        threads=threads,
        adapter=adapter,
    )


def shared_server(
    key: str, model_path: Path, threads: int | None = None, adapter: Path | None = None
) -> _RunningServer:
    """The process-wide server for `key`, starting it on first use (blocking: call it from a thread)."""
    with _start_lock:
        running = _servers.get(key)
        if running is None:
            running = _start_server(model_path, threads or os.cpu_count() or 1, adapter)
            _servers[key] = running
        return running


def stop_all_servers() -> None:
    """Stop every local model server this process started (their memory is freed)."""
    with _start_lock:
        _servers.clear()
    gc.collect()  # xllamacpp stops a server when the object is freed


class ShareClock:
    """Splits the machine's wall time between the local requests in flight: a second with n requests running
    counts 1/n s for each. Billing every request its full latency would charge a parallel decomposition twice
    for the same CPU; with this, the compute billed adds up to the time the machine was busy."""

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._active: dict[int, float] = {}
        self._last = now()
        self._next = 0

    def _advance(self) -> None:
        now = self._now()
        if self._active:
            share = (now - self._last) / len(self._active)
            for token in self._active:
                self._active[token] += share
        self._last = now

    def start(self) -> int:
        with self._lock:
            self._advance()
            token, self._next = self._next, self._next + 1
            self._active[token] = 0.0
            return token

    def stop(self, token: int) -> float:
        with self._lock:
            self._advance()
            return self._active.pop(token)


# One clock for every local server of the process: they all share the same cores.
_machine_clock = ShareClock()


class LocalProvider:
    """Serves the embedded models (see `weights.LOCAL_MODELS`), user GGUF files by name, and the trained LoRA
    adapters in `adapters` (default: the user's adapters folder) as `BASE+NAME` on their base model."""

    name = LOCAL_PROVIDER_NAME

    def __init__(
        self,
        extra_models: dict[str, Path] | None = None,
        threads: int | None = None,
        adapters: Path | None = None,
    ) -> None:
        self.extra_models = {k: Path(v).expanduser() for k, v in (extra_models or {}).items()}
        self.threads = threads
        self.adapters_dir = adapters if adapters is not None else adapters_dir()
        self._clients: dict[str, OpenAICompatProvider] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalProvider(models={self.model_names()!r})"

    def _base_models(self) -> list[str]:
        return [*LOCAL_MODELS, *(m for m in self.extra_models if m not in LOCAL_MODELS)]

    def adapters(self) -> dict[str, Adapter]:
        """The trained adapters whose base model this provider serves, by name."""
        bases = set(self._base_models())
        return {n: a for n, a in find_adapters(self.adapters_dir).items() if a.base in bases}

    def model_names(self) -> list[str]:
        return [*self._base_models(), *(a.model for a in self.adapters().values())]

    def _adapter(self, model: str) -> Adapter | None:
        """The adapter `model` names ('BASE+NAME'), or None for a plain model. ModelNotInstalledError when the
        adapter is missing or was trained on another base."""
        base, name = split_model(model)
        if name is None:
            return None
        adapter = read_adapter(self.adapters_dir / name) if name_problem(name) is None else None
        if adapter is None:
            known = ", ".join(a.model for a in self.adapters().values()) or "none yet"
            raise ModelNotInstalledError(
                f"local has no adapter '{name}' (in {self.adapters_dir}; trained adapters: {known}). "
                "`decompose specialise` trains one."
            )
        if adapter.base != base:
            raise ModelNotInstalledError(
                f"the adapter '{name}' was trained on {adapter.base}, not {base}: use local/{adapter.model}"
            )
        return adapter

    def serves(self, model: str) -> bool:
        """Whether `model` names a model of this provider: a base model, or an adapter on its own base (one
        folder read, not the whole adapters folder: every model call asks)."""
        try:
            adapter = self._adapter(model)
        except ModelNotInstalledError:
            return False
        return model in self._base_models() if adapter is None else adapter.base in self._base_models()

    def model_problem(self, model: str) -> str | None:
        """Why `model` cannot run here (unknown, weights missing, file absent, no such adapter), or None."""
        try:
            adapter = self._adapter(model)
        except ModelNotInstalledError as exc:
            return str(exc)
        if adapter is not None:
            return self.model_problem(adapter.base)
        if model in self.extra_models:
            path = self.extra_models[model]
            if path.is_file():
                return None
            return f"the GGUF file {path} of local/{model} does not exist; fix the path in providers.yaml"
        if model in LOCAL_MODELS:
            status = weights_status(model)
            return None if status.parts_installed or status.assembled else status.text
        return (
            f"local has no model '{model}'. Local models: {', '.join(self.model_names())}. Add a GGUF file "
            "under `local: models:` in providers.yaml."
        )

    def model_status(self, model: str) -> str:
        """A one-line status for model lists."""
        base, name = split_model(model)
        if name is not None:
            problem = self.model_problem(model)
            return problem or f"LoRA adapter '{name}' on {base}: {self.model_status(base)}"
        if model in self.extra_models:
            path = self.extra_models[model]
            return f"GGUF file {path}" if path.is_file() else f"GGUF file missing: {path}"
        return weights_status(model).text

    def identity(self, model: str) -> str:
        try:
            adapter = self._adapter(model)
        except ModelNotInstalledError:
            return f"local/{model}"  # not runnable: model_problem says why wherever it is used
        if adapter is not None:
            return f"{self.identity(adapter.base)}+{adapter.name}@sha256:{adapter.sha256()}"
        if model in self.extra_models:
            path = self.extra_models[model]
            st = path.stat() if path.is_file() else None
            return f"local/{model}@{path}:{st.st_size if st else 0}:{st.st_mtime_ns if st else 0}"
        spec = LOCAL_MODELS.get(model)
        return f"local/{model}@sha256:{spec.sha256}" if spec else f"local/{model}"

    def model_path(self, model: str) -> Path:
        """The GGUF file of a plain model (assembling the embedded weights on first use)."""
        return self._model_path(model)

    def _model_path(self, model: str) -> Path:
        if model in self.extra_models:
            path = self.extra_models[model]
            if not path.is_file():
                raise ModelNotInstalledError(
                    f"The GGUF file of local/{model} does not exist: {path}. Fix the path under "
                    "`local: models:` in providers.yaml."
                )
            return path
        if model in LOCAL_MODELS:
            return ensure_weights(model)
        raise ModelNotInstalledError(self.model_problem(model) or f"unknown local model '{model}'")

    def _server_key(self, model: str) -> str:
        base, name = split_model(model)
        key = f"{base}@{self.extra_models[base]}" if base in self.extra_models else base
        return f"{key}+{self.adapters_dir / name}" if name else key

    def _ensure_server_sync(self, model: str) -> _RunningServer:
        key = self._server_key(model)
        running = _servers.get(key)
        if running is not None:
            return running
        adapter = self._adapter(model)
        if adapter is None:
            return shared_server(key, self._model_path(model), self.threads)
        return shared_server(key, self._model_path(adapter.base), self.threads, adapter.path)

    async def ensure_server(self, model: str) -> str:
        """Start (once per process) the server of `model` without blocking the event loop; its address."""
        running = await asyncio.to_thread(self._ensure_server_sync, model)
        return running.address

    def server_address(self, model: str) -> str:
        """The base address (no /v1) of the model's server, starting it if needed (blocking)."""
        return self._ensure_server_sync(model).address

    @staticmethod
    def api_key() -> str:
        """The per-process key the local servers require (for benchmarks that call them directly)."""
        return _API_KEY

    def _client_for(self, address: str) -> OpenAICompatProvider:
        with self._lock:
            client = self._clients.get(address)
            if client is None:
                client = OpenAICompatProvider(self.name, f"{address}/v1", _API_KEY)
                self._clients[address] = client
            return client

    async def chat(self, request: ChatRequest, on_token: TokenCallback | None = None) -> ChatResult:
        """A chat completion from a local model; the first call of a model loads it (seconds)."""
        loading = self._server_key(request.model) not in _servers
        if loading:
            report(f"loading {request.model} (its first call in this process loads it: seconds)")
        try:
            address = await self.ensure_server(request.model)
        except ModelNotInstalledError as exc:
            raise ProviderError(str(exc), retryable=False) from exc
        if loading:
            report(f"{request.model} is loaded; processing the prompt")
        token = _machine_clock.start()
        try:
            result = await self._client_for(address).chat(request, on_token)
        finally:
            share = _machine_clock.stop(token)
        result.compute_s = share
        return result

    async def check(self) -> tuple[bool, str]:
        """Whether the embedded weights are usable, without loading any model."""
        problems = [f"{m}: {p}" for m in self.model_names() if (p := self.model_problem(m))]
        if problems:
            return False, "; ".join(problems)
        return True, ", ".join(f"{m} ({self.model_status(m)})" for m in self.model_names())

    async def aclose(self) -> None:
        """Close this provider's HTTP clients; the shared servers keep running (see `shutdown`)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def shutdown(self) -> None:
        """Stop the local model servers of this process."""
        stop_all_servers()

"""Specialise a small model for one node: the teacher's stored answers (`data`) → LoRA training on the
student's own GGUF weights (`student`, `train`) → a llama.cpp adapter and its training card in the adapters
folder, served as `local/STUDENT+NAME` (`providers.adapters`).

The adapter appears in the folder only once it is complete (written beside it, then renamed); the training's
checkpoints live in `.training/NAME` until then, so running the same request again resumes a killed or
cancelled training.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.page.words import slugify
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.adapters import (
    ADAPTER_FILE,
    CARD_FILE,
    Adapter,
    file_sha256,
    name_problem,
    read_adapter,
    split_model,
)
from workflow_core.providers.local import LocalProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.store import Store
from workflow_core.tune import extra
from workflow_core.tune.data import TrainingData, collect
from workflow_core.tune.train import Progress, Settings

STUDENT_DEFAULT = "local/qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class Request:
    workflow: str  # the workflow's name, as its stored runs carry it
    node: str
    teacher: str  # a model ref, e.g. local/qwen2.5-coder-1.5b
    student: str  # a local model ref, e.g. local/qwen2.5-coder-0.5b
    name: str
    settings: Settings = field(default_factory=Settings)
    min_quality: float | None = None  # None: keep only runs whose page was publishable
    scenario: str = "DIR"  # for the advice on making more runs


def default_name(workflow: str, node: str) -> str:
    """The adapter's name when none is given: WORKFLOW-NODE, made a valid name."""
    return slugify(f"{workflow}-{node}", fallback="adapter")[:48]


def how_to_make_more(request: Request) -> str:
    """The command that makes more of the teacher's runs, for the message when there are too few."""
    return (
        f"decompose batch {request.workflow} --scenario {request.scenario} --profiles VISITORS.jsonl "
        f"--out DIR --model {request.node}={request.teacher}"
    )


def training_data(request: Request, store: Store) -> TrainingData:
    """The examples `request` would train on (the run store only: nothing loads); a DecomposeError says how
    many more runs to make."""
    return collect(
        store,
        request.workflow,
        request.node,
        request.teacher,
        min_quality=request.min_quality,
        seed=request.settings.seed,
        how_to_make_more=how_to_make_more(request),
    )


def check(request: Request, registry: ProviderRegistry, folder: Path | None = None) -> LocalProvider:
    """What is wrong with the request before anything loads (DecomposeError); the local provider."""
    problem = name_problem(request.name)
    if problem:
        raise DecomposeError(problem + ": give it with --name")
    provider_name, _, model = request.student.partition("/")
    local = registry.get(provider_name) if provider_name in registry.names else None
    if not isinstance(local, LocalProvider):
        raise DecomposeError(
            f"the student {request.student} is not a local model: a LoRA adapter is trained on weights on this "
            "machine and served by llama.cpp. Use a local model, e.g. local/qwen2.5-coder-0.5b."
        )
    if split_model(model)[1] is not None:
        raise DecomposeError(
            f"the student {request.student} is already an adapter: specialise its base model "
            f"(local/{split_model(model)[0]}) instead."
        )
    trouble = registry.check_model(request.student)
    if trouble:
        raise DecomposeError(trouble)
    if request.teacher == request.student:
        raise DecomposeError(
            "the teacher and the student are the same model: the teacher should be the bigger one"
        )
    existing = read_adapter((folder or local.adapters_dir) / request.name)
    if existing is not None:
        raise DecomposeError(
            f"an adapter named '{request.name}' exists ({existing.folder}, trained on {existing.base}): choose "
            "another --name, or delete that folder to train it again"
        )
    return local


def specialise(
    request: Request,
    store: Store,
    registry: ProviderRegistry,
    prices: PriceBook,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    on_data: Callable[[TrainingData], None] | None = None,
    cancel: threading.Event | None = None,
    folder: Path | None = None,
) -> Adapter:
    """Train, write and register the adapter; returns it (its `model` is the name to use after `local/`)."""
    extra.require()
    from workflow_core.tune import gguf_adapter, student, train

    local = check(request, registry, folder)
    root = folder or local.adapters_dir
    report = on_progress or (lambda _p: None)
    data = training_data(request, store)
    if on_data is not None:
        on_data(data)
    _, model_name = registry.split(request.student)
    weights = local.model_path(model_name)
    report(Progress("loading", note=f"loading {request.student} from {weights.name}"))
    started = time.monotonic()
    model, tokenizer = student.load(weights)
    settings = request.settings
    train_set, long_train = student.encode_all(tokenizer, data.train, settings.max_tokens)
    validation, long_validation = student.encode_all(tokenizer, data.validation, settings.max_tokens)
    if not train_set or not validation:
        raise DecomposeError(
            f"every {'training' if not train_set else 'validation'} example is longer than "
            f"{settings.max_tokens} tokens: raise max_tokens or shorten the node's prompt"
        )
    loading_s = time.monotonic() - started
    work = root / ".training" / request.name
    _peft_model, best, log = train.train(
        model, train_set, validation, work, settings, on_progress=on_progress, cancel=cancel
    )
    report(
        Progress("writing", settings.steps, settings.steps, elapsed_s=log.wall_s, note="writing the adapter")
    )
    partial = root / f".{request.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    tensors = gguf_adapter.write(
        best, partial / ADAPTER_FILE, base_gguf=weights, alpha=settings.alpha, name=request.name
    )
    wall_s = log.wall_s + loading_s
    card: dict[str, Any] = {
        "name": request.name,
        "workflow": request.workflow,
        "node": request.node,
        "teacher": request.teacher,
        "student": request.student,
        "student_identity": local.identity(model_name),
        "examples": {
            "train": len(train_set),
            "validation": len(validation),
            "left_out_too_long": long_train + long_validation,
            "train_visitors": sorted({e.visitor for e in data.train}),
            "validation_visitors": sorted({e.visitor for e in data.validation}),
            "summary": data.summary(),
            "gate": "publishable" if request.min_quality is None else f"quality >= {request.min_quality}",
        },
        "settings": asdict(settings),
        "loss": {
            "train": log.train,
            "validation": log.validation,
            "base_validation": log.base_validation,
            "best_validation": log.best_validation,
            "best_step": log.best_step,
        },
        "lora_tensors": tensors,
        "wall_s": round(wall_s, 1),
        "device": log.device,
        "precision": log.precision,
        "resumed_at": log.resumed_at,
        "training_cost_usd": round(wall_s / 3600 * prices.local_usd_per_hour, 6),
        "cost_basis": f"training wall time at the local compute price, ${prices.local_usd_per_hour:g}/hour",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": {p: version(p) for p in ("torch", "transformers", "peft", "gguf")},
        "adapter_sha256": file_sha256(partial / ADAPTER_FILE),
    }
    (partial / CARD_FILE).write_text(json.dumps(card, indent=2), encoding="utf-8")
    target = root / request.name
    os.replace(partial, target)
    shutil.rmtree(work, ignore_errors=True)
    adapter = read_adapter(target)
    if adapter is None:  # pragma: no cover - written just above
        raise DecomposeError(f"the adapter written to {target} cannot be read back")
    return adapter

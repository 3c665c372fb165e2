"""LoRA training of the student on a node's examples: PEFT on every attention and MLP projection, one example
a step in a fixed shuffled order, AdamW with warm-up and cosine decay, the loss on the answer only.

- **Validation** every `eval_every` steps on the held-out visitors; step 0 is the base model (a fresh LoRA
  adapter changes nothing). The adapter kept is the one with the lowest validation loss, which is how a
  handful of examples is kept from being learned by heart.
- **Resumable.** A checkpoint (adapter, optimizer, step, the losses so far, the best adapter) is written every
  `checkpoint_every` steps and on a cancel; the same training started again resumes from it. One made from
  other examples or settings is not resumed (it is replaced, and the progress says so).
- **Cancellable** between steps through `cancel` (the CLI's Ctrl-C, the app's button).
- On CPU, bfloat16 autocast where the processor has bfloat16 units (AMX or AVX-512 BF16: about 2.3× faster
  than float32 here); float32 otherwise; on a GPU when torch sees one.

Imports torch and PEFT: call `extra.require()` first.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.tune.student import IGNORE, Encoded

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class Settings:
    steps: int = 120
    learning_rate: float = 2e-4
    rank: int = 16
    alpha: int = 32
    warmup: int = 8
    max_tokens: int = 2048  # an example longer than this is left out (and counted)
    eval_every: int = 20
    checkpoint_every: int = 10
    seed: int = 0
    modules: tuple[str, ...] = TARGET_MODULES  # the projections LoRA adapts (PEFT's names)


@dataclass
class Progress:
    """What the training is doing, for a progress bar: `phase` is loading, training or writing."""

    phase: str
    step: int = 0
    steps: int = 0
    loss: float | None = None  # the mean training loss over the last few steps
    validation: float | None = None  # the last validation loss
    elapsed_s: float = 0.0
    left_s: float | None = None  # time left, from the pace of the steps run in this session
    note: str = ""

    def parts(self) -> list[str]:
        """A training step's progress as the CLI and the app write it: step, loss, validation, times."""
        out = [f"step {self.step}/{self.steps}"]
        if self.loss is not None:
            out.append(f"loss {self.loss:.3f}")
        if self.validation is not None:
            out.append(f"validation {self.validation:.3f}")
        out.append(f"{duration(self.elapsed_s)} elapsed")
        if self.left_s is not None:
            out.append(f"~{duration(self.left_s)} left")
        return out


def duration(seconds: float) -> str:
    """'m:ss'."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


@dataclass
class Log:
    """The losses by step (training: each step's; validation: step 0 is the base model) and how it ran."""

    train: list[tuple[int, float]] = field(default_factory=list)
    validation: list[tuple[int, float]] = field(default_factory=list)
    best_step: int = 0
    wall_s: float = 0.0  # over every session of this training, resumed ones included
    device: str = "cpu"
    precision: str = "float32"
    resumed_at: list[int] = field(default_factory=list)

    @property
    def base_validation(self) -> float | None:
        return next((loss for step, loss in self.validation if step == 0), None)

    @property
    def best_validation(self) -> float | None:
        return next((loss for step, loss in self.validation if step == self.best_step), None)


class Cancelled(DecomposeError):
    """The training was cancelled; its checkpoint is saved and the same command resumes it."""


def fingerprint(examples: Sequence[Encoded], validation: Sequence[Encoded], settings: Settings) -> str:
    """What a checkpoint was made from: a checkpoint of other data or settings is not resumed."""
    payload = json.dumps(
        [[e.input_ids for e in examples], [e.input_ids for e in validation], asdict(settings)]
    ).encode()
    return hashlib.sha256(payload).hexdigest()


def _precision(torch: Any, device: str) -> str:
    if device == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    return "bfloat16" if torch.backends.mkldnn.is_available() and _cpu_has_bf16(torch) else "float32"


def _cpu_has_bf16(torch: Any) -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def get_peft_model_state_dict(model: Any) -> dict[str, Any]:
    """The LoRA weights by PEFT name. PEFT warns on every call that it cannot find the base model's config.json
    to check the vocabulary (a GGUF carries none, and LoRA here never touches the embeddings): silenced."""
    from peft import get_peft_model_state_dict as weights

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Could not find a config file")
        return dict(weights(model))


def _order(n: int, steps: int, seed: int) -> list[int]:
    """Which example each step trains on: every example once per epoch, each epoch shuffled by the seed."""
    rng = random.Random(seed)
    order: list[int] = []
    while len(order) < steps:
        epoch = list(range(n))
        rng.shuffle(epoch)
        order.extend(epoch)
    return order[:steps]


def _rate(step: int, settings: Settings) -> float:
    """The learning-rate factor at `step`: linear warm-up, then cosine decay to a tenth."""
    if step < settings.warmup:
        return (step + 1) / settings.warmup
    done = (step - settings.warmup) / max(1, settings.steps - settings.warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))


def train(
    model: Any,
    train_set: Sequence[Encoded],
    validation: Sequence[Encoded],
    folder: Path,
    settings: Settings,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Any, dict[str, Any], Log]:
    """Train a LoRA adapter on `model` (a transformers causal LM); checkpoints in `folder`. Returns the PEFT
    model, the kept (best-validation) adapter's LoRA weights by PEFT name, and the log."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    if not train_set or not validation:
        raise DecomposeError("training needs at least one training and one validation example")
    report = on_progress or (lambda _p: None)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = _precision(torch, device)
    torch.manual_seed(settings.seed)
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        target_modules=list(settings.modules),
        lora_dropout=0.0,
        bias="none",
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(model, config).to(device)
    params = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: _rate(s, settings))
    autocast = precision == "bfloat16"

    def loss_of(example: Encoded) -> Any:
        ids = torch.tensor([example.input_ids], device=device)
        labels = torch.tensor([example.labels], device=device)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            return peft_model(input_ids=ids, labels=labels).loss

    def validate() -> float:
        peft_model.eval()
        with torch.no_grad():
            total = sum(float(loss_of(e)) * e.answer_tokens for e in validation)
        peft_model.train()
        return total / max(1, sum(e.answer_tokens for e in validation))

    folder.mkdir(parents=True, exist_ok=True)
    checkpoint_path = folder / CHECKPOINT
    stamp = fingerprint(train_set, validation, settings)
    log = Log(device=device, precision=precision)
    best: dict[str, Any] = {}
    start = 0
    note = ""
    if checkpoint_path.is_file():
        saved = torch.load(checkpoint_path, map_location=device, weights_only=False)
        if saved.get("fingerprint") == stamp:
            set_peft_model_state_dict(peft_model, saved["adapter"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            log = Log(**saved["log"])
            best = saved["best"]
            start = int(saved["step"])
            log.resumed_at.append(start)
            note = f"resumed at step {start} of {settings.steps}"
        else:
            note = "a checkpoint of other examples or settings was found and replaced"

    def save(step: int) -> None:
        tmp = checkpoint_path.with_suffix(".tmp")
        torch.save(
            {
                "fingerprint": stamp,
                "step": step,
                "adapter": get_peft_model_state_dict(peft_model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "log": asdict(log),
                "best": best,
            },
            tmp,
        )
        os.replace(tmp, checkpoint_path)

    session_start = time.monotonic()
    wall_before = log.wall_s
    report(
        Progress(
            "training", start, settings.steps, elapsed_s=log.wall_s, note=note or "measuring the base model"
        )
    )
    if start == 0 and not log.validation:
        log.validation.append((0, validate()))
        log.best_step = 0
    order = _order(len(train_set), settings.steps, settings.seed)
    peft_model.train()
    for step in range(start, settings.steps):
        if cancel is not None and cancel.is_set():
            log.wall_s = wall_before + time.monotonic() - session_start
            save(step)
            raise Cancelled(
                f"training cancelled at step {step} of {settings.steps}; the checkpoint is kept: run the same "
                "command again to resume"
            )
        loss = loss_of(train_set[order[step]])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        log.train.append((step + 1, float(loss.detach())))
        done = step + 1
        if done % settings.eval_every == 0 or done == settings.steps:
            value = validate()
            log.validation.append((done, value))
            if value < (log.best_validation or math.inf):
                log.best_step = done
                best = {k: v.detach().clone() for k, v in get_peft_model_state_dict(peft_model).items()}
        elapsed = time.monotonic() - session_start
        log.wall_s = wall_before + elapsed
        if done % settings.checkpoint_every == 0 and done < settings.steps:
            save(done)
        recent = [value for _s, value in log.train[-10:]]
        pace = elapsed / max(1, done - start)
        report(
            Progress(
                "training",
                done,
                settings.steps,
                loss=sum(recent) / len(recent),
                validation=log.validation[-1][1],
                elapsed_s=log.wall_s,
                left_s=pace * (settings.steps - done),
            )
        )
    if not best:  # no step beat the base model: keep the adapter as trained, and the log says step 0 was best
        best = {k: v.detach().clone() for k, v in get_peft_model_state_dict(peft_model).items()}
    save(settings.steps)
    return peft_model, best, log


__all__ = ["IGNORE", "Cancelled", "Log", "Progress", "Settings", "duration", "train"]

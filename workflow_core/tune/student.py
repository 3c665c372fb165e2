"""The student as PyTorch sees it: the same GGUF file the local provider serves, loaded by transformers
(dequantised to float32, so LoRA trains on the weights llama.cpp runs, not on another checkpoint), and the
node's examples encoded with the model's own chat template, the loss on the answer only.

Imports torch and transformers: call `extra.require()` first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.tune.data import Example

IGNORE = -100  # label of a token the loss skips (the prompt)


@dataclass(frozen=True)
class Encoded:
    """One example as token ids; `labels` is IGNORE over the prompt, the answer's ids after it."""

    visitor: str
    input_ids: list[int]
    labels: list[int]

    @property
    def answer_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


def load(gguf: Path) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file: float32 weights, the tokenizer and chat template it carries."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
    except (OSError, ValueError, KeyError) as exc:
        raise DecomposeError(
            f"transformers could not load the student from {gguf}: {exc}. Specialising needs a GGUF model "
            "whose architecture transformers can read (the embedded Qwen2.5 models can)."
        ) from exc
    return model, tokenizer


def encode(tokenizer: Any, example: Example) -> Encoded:
    """The prompt as the local server renders it (the chat template, ready for the assistant's turn), then the
    answer and the end-of-turn token: only the answer and its end are learned."""
    messages = [{"role": role, "content": content} for role, content in example.messages]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": example.answer}], tokenize=False
    )
    if not full.startswith(prompt):
        raise DecomposeError(
            "the student's chat template renders the answer's turn differently from the prompt's: cannot "
            "mask the prompt out of the loss. Use a model with a ChatML-like template (e.g. Qwen2.5)."
        )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
    return Encoded(example.visitor, [*prompt_ids, *answer_ids], [IGNORE] * len(prompt_ids) + list(answer_ids))


def encode_all(tokenizer: Any, examples: Sequence[Example], max_tokens: int) -> tuple[list[Encoded], int]:
    """The examples that fit in `max_tokens`, and how many were left out for being longer."""
    encoded = [encode(tokenizer, e) for e in examples]
    kept = [e for e in encoded if len(e.input_ids) <= max_tokens]
    return kept, len(encoded) - len(kept)

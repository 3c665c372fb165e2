"""Training data for specialising a model on one node: the node's rendered prompts and the teacher's answers,
from stored runs whose page passed the verdict, de-duplicated, and split into train and validation by visitor
(a visitor's runs are never on both sides, so validation measures what the student does for someone new).

Only runs of the teacher on that node count, and only whole runs that finished and whose page was publishable
(or, with `min_quality`, whose page scored at least that): a student learns what it is shown, so the teacher's
pages that fail their checks are left out.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workflow_core.errors import DecomposeError
from workflow_core.lab.intervals import run_quality
from workflow_core.run.store import Store

MIN_TRAIN = 8  # examples: fewer teach a LoRA adapter nothing it can keep
VALIDATION_SHARE = 0.2  # of the visitors


@dataclass(frozen=True)
class Example:
    """One answer of the teacher: the messages the node sent (system and user, rendered) and the answer."""

    visitor: str
    run_id: str
    messages: tuple[tuple[str, str], ...]  # (role, content)
    answer: str

    def chat(self) -> dict[str, object]:
        """As one line of a chat-format JSONL file: the prompt's messages, then the answer as the assistant's."""
        turns = [{"role": role, "content": content} for role, content in self.messages]
        return {"messages": [*turns, {"role": "assistant", "content": self.answer}], "visitor": self.visitor}


@dataclass(frozen=True)
class TrainingData:
    node: str
    teacher: str
    train: tuple[Example, ...]
    validation: tuple[Example, ...]
    runs_seen: int  # runs of the workflow in the store
    teacher_runs: int  # of which the node ran on the teacher and finished
    kept_runs: int  # of which the page passed the quality gate

    def summary(self) -> str:
        return (
            f"{len(self.train)} training examples ({_visitors(self.train)} visitors) and "
            f"{len(self.validation)} for validation ({_visitors(self.validation)} other visitors), from {self.kept_runs} of "
            f"{self.teacher_runs} runs of {self.node} on {self.teacher} ({self.runs_seen} runs of the workflow)"
        )

    def write(self, folder: Path) -> list[Path]:
        """train.jsonl and validation.jsonl in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, examples in (("train", self.train), ("validation", self.validation)):
            path = folder / f"{name}.jsonl"
            path.write_text("".join(json.dumps(e.chat(), ensure_ascii=False) + "\n" for e in examples))
            paths.append(path)
        return paths


def collect(
    store: Store,
    workflow: str,
    node: str,
    teacher: str,
    *,
    min_quality: float | None = None,
    seed: int = 0,
    how_to_make_more: str = "",
) -> TrainingData:
    """The training data for `node` of `workflow` from `teacher`'s stored runs (see the module's notes). A
    DecomposeError says what is missing and how many more runs to make (`how_to_make_more`: a command)."""
    summaries = store.list_runs(workflow=workflow, limit=100_000)
    seen: dict[str, Example] = {}
    teacher_runs = kept_runs = 0
    for row in summaries:
        run = store.get_run(str(row["run_id"]))
        if run is None or run.status != "ok":
            continue
        rec = next((n for n in run.nodes if n.id == node), None)
        if (
            rec is None
            or rec.model != teacher
            or rec.status != "ok"
            or not rec.output_text
            or not rec.messages
        ):
            continue
        teacher_runs += 1
        quality = run_quality(run)
        passed = run.qa_publishable is True if min_quality is None else (quality or 0.0) >= min_quality
        if not passed:
            continue
        kept_runs += 1
        messages = tuple((str(m.get("role", "user")), str(m.get("content", ""))) for m in rec.messages)
        key = hashlib.sha256(json.dumps([messages, rec.output_text]).encode()).hexdigest()
        seen.setdefault(key, Example(run.profile or "-", run.run_id, messages, rec.output_text))
    examples = list(seen.values())
    train, validation = _split(examples, seed)
    data = TrainingData(
        node, teacher, tuple(train), tuple(validation), len(summaries), teacher_runs, kept_runs
    )
    gate = "publishable" if min_quality is None else f"scoring {min_quality:.2f} or more"
    more = f" ({how_to_make_more})" if how_to_make_more else ""
    if len(train) < MIN_TRAIN or not validation:
        visitors = len({e.visitor for e in examples})
        need = max(MIN_TRAIN - len(train), 0)
        found = (
            data.summary()
            if teacher_runs
            else f"no stored run of {workflow} has {node} on {teacher} yet ({len(summaries)} runs of {workflow})"
        )
        problem = (
            f"too few examples to specialise a model for {node}: {found}. Pages must be {gate}."
            if len(train) < MIN_TRAIN
            else f"every example comes from one visitor ({examples[0].visitor}): validation needs another's."
        )
        raise DecomposeError(
            f"{problem} Make at least {max(need, 2)} more {gate} runs of {workflow} with {node} on {teacher}, "
            f"on {'more visitors' if visitors < 2 else 'more runs'}{more}."
        )
    return data


def _visitors(examples: Sequence[Example]) -> int:
    return len({e.visitor for e in examples})


def _split(examples: Sequence[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Train and validation by visitor: about `VALIDATION_SHARE` of the visitors (at least one, when there are
    two or more) hold out all their examples."""
    visitors = sorted({e.visitor for e in examples})
    if len(visitors) < 2:
        return list(examples), []
    random.Random(seed).shuffle(visitors)
    held = set(visitors[: max(1, round(len(visitors) * VALIDATION_SHARE))])
    return [e for e in examples if e.visitor not in held], [e for e in examples if e.visitor in held]

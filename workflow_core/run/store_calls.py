"""The store's statistics of model calls, for estimates: each successful uncached call's model, tokens,
prompt characters and times, written beside its run (`node_calls`) and read back as a node's recent means
(`node_history`, per node and model) and a model's measured tokenizer (`chars_per_token`). They are read from the database once
and then kept up to date in memory as this store saves runs."""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow_core.records import RunRecord
from workflow_core.run.store_base import StorePart
from workflow_core.run.timing import CallTiming

HISTORY_CALLS = 5  # a node's latest calls that its estimate averages
TOKENIZER_CALLS = 20  # a model's latest calls that measure its characters per token


@dataclass(frozen=True)
class NodeHistory:
    """A node's recent model calls, averaged (`Store.node_history`)."""

    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    latency_s: float
    compute_s: float


def call_rows(run: RunRecord) -> list[tuple[Any, ...]]:
    """The `node_calls` rows a run adds: one per successful uncached model call that counted tokens."""
    return [
        (
            run.run_id,
            run.workflow,
            n.id,
            n.model,
            run.started_at,
            sum(len(m.get("content", "")) for m in n.messages),
            n.input_tokens,
            n.output_tokens,
            n.latency_s,
            n.compute_s,
        )
        for n in run.nodes
        if n.status == "ok"
        and not n.cached
        and n.model
        and n.input_tokens
        and n.output_tokens
        # A disturbed measurement (run.timing) would skew the estimates and judgements that read these.
        and not (n.measured is not None and n.measured.disturbed)
    ]


class CallStatsPart(StorePart):
    # Recent model calls in memory (see node_history), per workflow, node and model; valid while data_version
    # holds. Each call: (run id, input tokens, output tokens, latency, compute seconds).
    _node_calls: dict[str, dict[str, dict[str, deque[tuple[str, int, int, float, float]]]]]
    _last_model: dict[str, dict[str, str]]  # per workflow and node, the model of its latest call
    _summaries: dict[tuple[str, str, str], NodeHistory]  # node_history's means by (workflow, node, model)
    # Per model, its latest calls: (run/node, prompt chars, input tokens, output tokens, compute seconds).
    _model_calls: dict[str, deque[tuple[str, int, int, int, float]]] | None
    _data_version: int | None

    def _init_call_stats(self) -> None:
        self._node_calls = {}
        self._last_model = {}
        self._summaries = {}
        self._model_calls = None
        self._data_version = None

    def _save_calls(self, rows: list[tuple[Any, ...]]) -> None:
        """Write a run's `call_rows` (inside the caller's `_writing`)."""
        self._db.executemany(
            "INSERT OR REPLACE INTO node_calls (run_id, workflow, node_id, model, started_at, prompt_chars,"
            " input_tokens, output_tokens, latency_s, compute_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def node_history(self, workflow: str, models: Mapping[str, str] | None = None) -> dict[str, NodeHistory]:
        """Per node id of `workflow`, the means over its latest `HISTORY_CALLS` successful uncached model calls
        on one model: input and output tokens, latency and compute seconds (for estimates). The model is the
        node's in `models` (node id -> model ref) when given, else the model of the node's latest call; a node
        with no call on that model is left out. Read from the database once, then kept up to date in memory as
        this store saves runs (and read again when another process has written to the database)."""
        with self._lock:
            self._refresh_stats()
            if workflow not in self._node_calls:
                rows = self._db.execute(
                    "SELECT node_id, model, run_id, input_tokens, output_tokens, latency_s, compute_s FROM ("
                    " SELECT *, ROW_NUMBER() OVER (PARTITION BY node_id, model ORDER BY started_at DESC) AS"
                    " latest FROM node_calls WHERE workflow = ?) WHERE latest <= ? ORDER BY started_at",
                    (workflow, HISTORY_CALLS),
                ).fetchall()
                nodes: dict[str, dict[str, deque[tuple[str, int, int, float, float]]]] = {}
                last: dict[str, str] = {}
                for node_id, model, *call in rows:
                    by_model = nodes.setdefault(node_id, {})
                    by_model.setdefault(model, deque(maxlen=HISTORY_CALLS)).append(tuple(call))
                    last[node_id] = model
                self._node_calls[workflow], self._last_model[workflow] = nodes, last
            calls, last_model = self._node_calls[workflow], self._last_model[workflow]
            out: dict[str, NodeHistory] = {}
            for node_id, by_model in calls.items():
                model = (models or {}).get(node_id) or last_model.get(node_id)
                recent = by_model.get(model or "")
                if not (model and recent):
                    continue
                key = (workflow, node_id, model)
                if key not in self._summaries:  # estimated on every plan: the means once per change
                    self._summaries[key] = NodeHistory(
                        model=model,
                        calls=len(recent),
                        input_tokens=round(statistics.fmean(c[1] for c in recent)),
                        output_tokens=round(statistics.fmean(c[2] for c in recent)),
                        latency_s=statistics.fmean(c[3] for c in recent),
                        compute_s=statistics.fmean(c[4] for c in recent),
                    )
                out[node_id] = self._summaries[key]
            return out

    def chars_per_token(self) -> dict[str, float]:
        """Per model, the characters of prompt per input token over its latest `TOKENIZER_CALLS` calls: its
        tokenizer as measured, so an estimate counts a prompt's tokens the way that model will. Kept in memory
        like `node_history`."""
        with self._lock:
            calls_by_model = self._latest_model_calls()
            return {
                model: sum(c[1] for c in calls) / sum(c[2] for c in calls)
                for model, calls in calls_by_model.items()
                if calls and sum(c[2] for c in calls) > 0
            }

    def model_timings(self, models: Iterable[str]) -> dict[str, list[CallTiming]]:
        """Per model of `models`, the tokens and compute seconds of its latest `TOKENIZER_CALLS` calls (any
        workflow's), for judging whether a new measurement is disturbed (`run.timing`)."""
        with self._lock:
            calls_by_model = self._latest_model_calls()
            return {
                model: [CallTiming(c[2], c[3], c[4]) for c in calls_by_model[model]]
                for model in models
                if model in calls_by_model
            }

    def _latest_model_calls(self) -> dict[str, deque[tuple[str, int, int, int, float]]]:
        """The models' latest calls, read from the database once (under the lock)."""
        self._refresh_stats()
        if self._model_calls is None:
            rows = self._db.execute(
                "SELECT model, run_id || '/' || node_id, prompt_chars, input_tokens, output_tokens, compute_s"
                " FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY model ORDER BY started_at DESC) AS latest"
                " FROM node_calls WHERE prompt_chars > 0) WHERE latest <= ? ORDER BY started_at",
                (TOKENIZER_CALLS,),
            ).fetchall()
            self._model_calls = {}
            for model, call, chars, tokens, out_tokens, compute in rows:
                self._model_calls.setdefault(model, deque(maxlen=TOKENIZER_CALLS)).append(
                    (call, chars, tokens, out_tokens, compute)
                )
        return self._model_calls

    def _refresh_stats(self) -> None:
        """Forget the in-memory call statistics when another connection has committed since they were read
        (SQLite's data_version changes only for other connections' commits). Called under the lock."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self._node_calls.clear()
            self._last_model.clear()
            self._summaries.clear()
            self._model_calls = None

    def _remember_calls(self, workflow: str, rows: list[tuple[Any, ...]]) -> None:
        """Add a saved run's calls to the in-memory statistics that are loaded (under the lock); a run saved
        again is not counted twice."""
        nodes = self._node_calls.get(workflow)
        last = self._last_model.get(workflow)
        for run_id, _, node_id, model, _, chars, in_tok, out_tok, latency, compute in rows:
            self._summaries.pop((workflow, node_id, model), None)
            if nodes is not None and last is not None:
                recent = nodes.setdefault(node_id, {}).setdefault(model, deque(maxlen=HISTORY_CALLS))
                if all(c[0] != run_id for c in recent):
                    recent.append((run_id, in_tok, out_tok, latency, compute))
                last[node_id] = model
            if self._model_calls is not None and chars > 0:
                by_model = self._model_calls.setdefault(model, deque(maxlen=TOKENIZER_CALLS))
                call = f"{run_id}/{node_id}"
                if all(c[0] != call for c in by_model):
                    by_model.append((call, chars, in_tok, out_tok, compute))

"""What a run leaves behind: one record per node and one per run. These are what reports, the store,
the app and the comparison all read."""

from __future__ import annotations

import statistics
import time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    WrapSerializer,
    model_validator,
)

NodeStatus = Literal["pending", "running", "ok", "failed", "skipped", "cancelled"]


class Passage(BaseModel):
    """A retrieved chunk of company knowledge."""

    doc: str
    chunk: int
    text: str
    score: float
    metadata: dict[str, Any] = Field(default_factory=dict)
    # A short readable id, unique within one retrieval (the note's name), by which agents pick passages.
    id: str = ""


class Image(BaseModel):
    """One generated image, referenced by its visual element's label."""

    label: str
    description: str = ""
    mime: str = "image/svg+xml"
    data: str  # the SVG text, or base64 for raster images
    backend: str = "vector"
    cost_usd: float = 0.0


class QAFinding(BaseModel):
    """One thing a quality axis checked: what (`check`, e.g. "grounding.figures"), on which axis, whether it
    passed, a message that says what to change, and the evidence quoted from the page (the sentence with an
    unsupported figure, the offending element)."""

    check: str
    axis: str  # an axis of the registry workflow_core.quality.axes
    passed: bool
    message: str
    evidence: str = ""
    weight: float = 1.0

    @model_validator(mode="before")
    @classmethod
    def _legacy_category(cls, data: Any) -> Any:
        # Runs stored before the quality axes name the axis "category".
        if isinstance(data, dict) and "axis" not in data and "category" in data:
            data = {**data, "axis": data["category"]}
        return data


class AxisResult(BaseModel):
    """One axis measured on one page: its score in [0, 1] and its findings. `note` says how it was measured
    when that is not the standard way (e.g. "rendered checks skipped: Chromium not found; install it with
    `apt-get install chromium`"): a fallback is never silent."""

    axis: str
    score: float
    findings: list[QAFinding] = Field(default_factory=list)
    note: str = ""
    # What the axis measured beside its score, not weighed in it (e.g. the share of copy written for the
    # visitor): "originality.written" -> 0.62.
    measures: dict[str, float] = Field(default_factory=dict)

    @property
    def failures(self) -> list[QAFinding]:
        return [f for f in self.findings if not f.passed]


class QualityReport(BaseModel):
    """A page's quality in the one shape the checks return (`quality.check_page`), a QA node and a run keep,
    and every report reads: the score (the axes' weighted mean, lowered when the page is not publishable), the
    verdict, each axis with its findings, the weights the score used and the version of the checks that
    measured it (`quality.version.checker_version`). The rules that score it live in `quality.model`; this
    layer only holds it. When a QA agent reviewed the page: its feedback and whether the page went back to the
    developer. `screenshots` are the rendered page's JPEGs by width (base64 in JSON); a record never stores
    them (the store keeps them by page, `Store.screenshots`).

    Verdicts stored before this shape (flat axis scores beside one list of findings and one of notes) are
    lifted into it as they load, so old runs read and show as they did."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    score: float
    # No blocking finding failed (quality.model.publishable); None when checked before the verdict existed.
    publishable: bool | None = None
    axes: dict[str, AxisResult] = Field(default_factory=dict)
    # The weight of each axis measured, as the score used them (the defaults unless the user chose others).
    weights: dict[str, float] = Field(default_factory=dict)
    # The checker version that measured the page; "" for a verdict stored before versions were kept.
    checker: str = ""
    feedback: str = ""
    sent_back: bool = False
    # What a run checked before the axes existed left outside any axis: findings filed under a category no
    # axis scored, notes that name no axis. Empty for every verdict since.
    other_findings: list[QAFinding] = Field(default_factory=list)
    other_notes: list[str] = Field(default_factory=list)
    screenshots: dict[int, bytes] = Field(default_factory=dict, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _lift_flat(cls, data: Any) -> Any:
        if isinstance(data, dict) and _is_flat(data):
            return lift_flat_verdict(data)
        return data

    @property
    def findings(self) -> list[QAFinding]:
        return [f for a in self.axes.values() for f in a.findings] + self.other_findings

    @property
    def failures(self) -> list[QAFinding]:
        return [f for f in self.findings if not f.passed]

    @property
    def axis_scores(self) -> dict[str, float]:
        return {name: a.score for name, a in self.axes.items()}

    @property
    def notes(self) -> list[str]:
        """ "axis: note" for each axis measured another way than the standard one (a fallback, a judge)."""
        return [f"{name}: {a.note}" for name, a in self.axes.items() if a.note] + self.other_notes

    @property
    def measures(self) -> dict[str, float]:
        """Every axis's measures (see `AxisResult.measures`)."""
        return {k: v for a in self.axes.values() for k, v in a.measures.items()}


# The flat shape's keys (a QA node's verdict before the one shape; "category_scores" before the axes).
_FLAT_KEYS = ("findings", "notes", "measures", "category_scores")


def _is_flat(data: dict[str, Any]) -> bool:
    axes = data.get("axes") or {}
    return any(k in data for k in _FLAT_KEYS) or any(isinstance(v, int | float) for v in axes.values())


def lift_flat_verdict(data: dict[str, Any]) -> dict[str, Any]:
    """A stored flat verdict (score, publishable, axis scores, weights, findings, "axis: note" notes, measures,
    feedback) in the one shape: each axis gets its findings and its note; findings and notes that name no axis
    scored are kept apart (`other_findings`, `other_notes`). Measures, which only a report's sum reads, go to
    the axis their name starts with, else the last axis."""
    scores = {str(k): float(v) for k, v in (data.get("axes") or {}).items()}
    findings = [QAFinding.model_validate(f) for f in data.get("findings") or []]
    axes: dict[str, dict[str, Any]] = {
        name: {"axis": name, "score": s, "findings": [f for f in findings if f.axis == name]}
        for name, s in scores.items()
    }
    other_notes: list[str] = []
    for note in data.get("notes") or []:
        name, sep, text = str(note).partition(": ")
        if sep and name in axes and "note" not in axes[name]:
            axes[name]["note"] = text
        else:
            other_notes.append(str(note))
    for key, value in (data.get("measures") or {}).items():
        home = next((a for a in axes if key.startswith(f"{a}.")), next(reversed(axes), None))
        if home is not None:
            axes[home].setdefault("measures", {})[key] = value
    rest = {k: v for k, v in data.items() if k not in ("axes", *_FLAT_KEYS)}
    return {
        **rest,
        "axes": axes,
        "other_findings": [f for f in findings if f.axis not in axes],
        "other_notes": other_notes,
    }


def _without_screenshots(value: QualityReport, handler: SerializerFunctionWrapHandler) -> Any:
    data = handler(value)
    if isinstance(data, dict):
        data.pop("screenshots", None)
    return data


# A verdict as a record keeps it: its screenshots stay in memory for the store, never in the record's JSON.
StoredReport = Annotated[QualityReport, WrapSerializer(_without_screenshots)]


class Measurement(BaseModel):
    """When and under what load a node's timing (and, for a local model, its cost) was taken, and whether it
    looks disturbed: far slower than its model's own recent calls predict for its tokens (`run.timing`). A
    cached result carries the measurement of the run that computed it."""

    at: float  # when the node finished computing
    load_1m: float | None = None  # the machine's 1-minute load average then
    cores: int | None = None
    expected_s: float | None = None  # what the model's recent calls predict for these tokens
    disturbed: str | None = None  # why it looks disturbed, in words; None when it does not
    remeasured: bool = False  # the timing was taken again, the output kept from the first measurement

    def describe(self) -> str:
        """E.g. "measured 2026-12-05 14:03 at load 3.1 on 2 cores"."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.at))
        load = f" at load {self.load_1m:.1f}" if self.load_1m is not None else ""
        cores = f" on {self.cores} cores" if self.cores and load else ""
        return f"{'re-measured' if self.remeasured else 'measured'} {when}{load}{cores}"


class Candidate(BaseModel):
    """One of a best-of-n node's samples (`params.candidates`): its seed, its answer, what it cost and how the
    quality verdict rated the page it made; `chosen` is the one the node kept."""

    seed: int | None = None
    output_text: str = ""
    score: float | None = None  # None when the answer could not be used
    publishable: bool | None = None
    cost_usd: float = 0.0
    compute_s: float = 0.0
    output_tokens: int = 0
    chosen: bool = False
    error: str | None = None


class NodeRecord(BaseModel):
    id: str
    kind: str
    model: str | None = None
    status: NodeStatus = "pending"
    messages: list[dict[str, str]] = Field(default_factory=list)
    output_text: str = ""
    output_data: Any = None
    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    ttft_s: float | None = None
    latency_s: float = 0.0
    compute_s: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    cost_usd: float = 0.0
    # What the node cost when it was actually computed; equals cost_usd unless the result came from the cache.
    cost_if_uncached_usd: float = 0.0
    latency_if_uncached_s: float = 0.0
    estimated_cost_usd: float = 0.0
    cached: bool = False
    attempts: int = 0
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    # Where each few-shot example the node was shown came from ("hand", or a past run).
    examples: list[str] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    # Typed outputs for the steps after a run: the page this node produced, and its quality verdict.
    page_html: str | None = None
    qa: StoredReport | None = None
    cache_key: str | None = None
    measured: Measurement | None = None  # None for a node that made no model call
    candidates: list[Candidate] = Field(default_factory=list)  # a best-of-n node's samples, the kept one too


class RunRecord(BaseModel):
    run_id: str
    workflow: str
    profile: str | None = None
    started_at: float
    finished_at: float | None = None
    wall_s: float = 0.0
    critical_path_s: float = 0.0
    total_cost_usd: float = 0.0
    estimated_cost_usd: float = 0.0
    # "interrupted": the process running it stopped (killed, crashed) before it finished.
    status: Literal["ok", "failed", "cancelled", "running", "interrupted"] = "running"
    # host:pid of the process running it, so a later start can tell a run in progress from an abandoned one.
    process: str | None = None
    agent_count: int = 0
    # The workflow exactly as it ran (YAML), so a reopened run shows its graph and can be re-run.
    workflow_yaml: str | None = None
    nodes: list[NodeRecord] = Field(default_factory=list)
    page_html: str | None = None
    # The page's quality (the QA node's verdict, else the automatic checks'), with the judge's and people's
    # axes once they join; None when the page was not checked. `qa_score`, `qa_axes`, ... read it.
    qa: StoredReport | None = None
    # What the optional LLM judge cost: quality measurement, not part of the workflow's total_cost_usd.
    judge_cost_usd: float = 0.0
    # The page's JPEG screenshots by width while the run is finishing; saved by page in the store
    # (Store.screenshots), never in the record.
    screenshots: dict[int, bytes] = Field(default_factory=dict, exclude=True, repr=False)
    # What went wrong after the nodes finished (e.g. the run could not be saved); the results still stand.
    warnings: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _lift_flat_qa(cls, data: Any) -> Any:
        # Runs stored before the one shape kept the verdict in flat fields (qa_score, qa_axes, ...).
        if not isinstance(data, dict) or not any(k in data for k in _FLAT_RUN_FIELDS):
            return data
        flat = {k.removeprefix("qa_"): data[k] for k in _FLAT_RUN_FIELDS if k in data}
        data = {k: v for k, v in data.items() if k not in _FLAT_RUN_FIELDS}
        if data.get("qa") is None and (
            flat.get("score") is not None or flat.get("axes") or flat.get("findings")
        ):
            if flat.get("score") is None:
                flat["score"] = _plain_mean(flat.get("axes") or {})
            data["qa"] = flat
        return data

    # The verdict's parts by their names before the one shape (what reports, tables and report.json read).
    @property
    def qa_score(self) -> float | None:
        return self.qa.score if self.qa is not None else None

    @qa_score.setter
    def qa_score(self, value: float | None) -> None:
        """A new score for the run's verdict (None: the run has none); a run without one gets one."""
        if value is None:
            self.qa = None
        elif self.qa is None:
            self.qa = QualityReport(score=value)
        else:
            self.qa.score = value

    @property
    def qa_publishable(self) -> bool | None:
        return self.qa.publishable if self.qa is not None else None

    @property
    def qa_axes(self) -> dict[str, float]:
        return self.qa.axis_scores if self.qa is not None else {}

    @qa_axes.setter
    def qa_axes(self, value: dict[str, float]) -> None:
        """These axes' scores; an axis already measured keeps its findings, one that is not given goes. A run
        without a verdict gets one scored by the axes' plain mean (this layer knows no weights)."""
        old = self.qa.axes if self.qa is not None else {}
        axes = {
            name: old[name].model_copy(update={"score": s}) if name in old else AxisResult(axis=name, score=s)
            for name, s in value.items()
        }
        if self.qa is None:
            self.qa = QualityReport(score=_plain_mean(value), axes=axes)
        else:
            self.qa.axes = axes

    @property
    def qa_findings(self) -> list[QAFinding]:
        return self.qa.findings if self.qa is not None else []

    @property
    def qa_notes(self) -> list[str]:
        return self.qa.notes if self.qa is not None else []

    @property
    def qa_measures(self) -> dict[str, float]:
        return self.qa.measures if self.qa is not None else {}

    def node(self, node_id: str) -> NodeRecord:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


_FLAT_RUN_FIELDS = ("qa_score", "qa_publishable", "qa_axes", "qa_findings", "qa_notes", "qa_measures")


def _plain_mean(scores: dict[str, float]) -> float:
    """The unweighted mean of axis scores, 1.0 with none (as `quality.model.weighted_score` has it)."""
    return round(statistics.fmean(scores.values()), 4) if scores else 1.0

"""What a run leaves behind: one record per node and one per run. These are what reports, the store,
the app and the comparison all read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

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
    axis: str  # one of workflow_core.quality.AXES
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


class QAVerdict(BaseModel):
    """A quality check of a page: the score in [0, 1] (the weighted mean of the axes measured), one score per
    axis, the weights used and every finding; notes say what could not be measured and why (e.g. "rendered
    checks skipped: ..."); when a QA agent reviewed it, its feedback and whether the page went back to the
    developer."""

    score: float
    # No blocking finding failed (quality.model.publishable); None when checked before the verdict existed.
    publishable: bool | None = None
    axes: dict[str, float] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    findings: list[QAFinding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # What the axes measured beside their scores (`quality.model.AxisResult.measures`).
    measures: dict[str, float] = Field(default_factory=dict)
    # JPEG screenshots of the rendered page by width, handed to the store (by page) and never serialised.
    screenshots: dict[int, bytes] = Field(default_factory=dict, exclude=True, repr=False)
    feedback: str = ""
    sent_back: bool = False


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
    qa: QAVerdict | None = None
    cache_key: str | None = None


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
    qa_score: float | None = None
    # Whether the page is publishable (no blocking finding: quality.model.publishable); None when unchecked.
    qa_publishable: bool | None = None
    # One score per quality axis measured (workflow_core.quality.AXES); qa_score is their weighted mean.
    qa_axes: dict[str, float] = Field(default_factory=dict)
    qa_findings: list[QAFinding] = Field(default_factory=list)
    qa_notes: list[str] = Field(default_factory=list)
    qa_measures: dict[str, float] = Field(default_factory=dict)
    # What the optional LLM judge cost: quality measurement, not part of the workflow's total_cost_usd.
    judge_cost_usd: float = 0.0
    # The page's JPEG screenshots by width while the run is finishing; saved by page in the store
    # (Store.screenshots), never in the record.
    screenshots: dict[int, bytes] = Field(default_factory=dict, exclude=True, repr=False)
    # What went wrong after the nodes finished (e.g. the run could not be saved); the results still stand.
    warnings: list[str] = Field(default_factory=list)

    def node(self, node_id: str) -> NodeRecord:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

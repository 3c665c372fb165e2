"""Automatic checks of a generated page: does it parse, has it the sections the design asked for, is it
accessible (WCAG contrast from its CSS included), do its assets resolve, does it follow the written
guidelines, and is it personalised to the visitor?

Every finding says what was checked and, when it failed, where and what to change. The checks themselves
live in `page/checks/`, one module per category; this module runs them and weighs the categories.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from workflow_core.page.checks.accessibility import check_accessibility
from workflow_core.page.checks.assets import check_assets
from workflow_core.page.checks.common import Check, load_page
from workflow_core.page.checks.guidelines import check_guidelines
from workflow_core.page.checks.personalisation import check_personalisation
from workflow_core.page.checks.structure import check_parse, check_sections
from workflow_core.records import Passage, QAFinding

# How much each category counts towards the overall score.
CATEGORY_WEIGHTS: dict[str, float] = {
    "parse": 1.0,
    "sections": 1.5,
    "accessibility": 2.0,
    "assets": 1.0,
    "guidelines": 1.0,
    "personalisation": 1.5,
}


class QAReport(BaseModel):
    """The result of `check_page`: overall score in [0, 1], every finding, and one score per category run."""

    score: float
    findings: list[QAFinding] = Field(default_factory=list)
    category_scores: dict[str, float] = Field(default_factory=dict)

    @property
    def failures(self) -> list[QAFinding]:
        return [f for f in self.findings if not f.passed]


def _category_score(checks: list[Check]) -> float:
    total = sum(c.weight for c in checks)
    return sum(c.score * c.weight for c in checks) / total if total else 1.0


def check_page(
    html: str,
    *,
    design_steps: list[str] | None = None,
    guidelines: str = "",
    profile: dict[str, Any] | None = None,
    passages: list[Passage] | None = None,
    company: dict[str, Any] | None = None,
    available_files: set[str] | None = None,
) -> QAReport:
    """Check a page and score it in [0, 1].

    Categories run when they have something to check: parse, accessibility and assets always; sections with
    `design_steps`; guidelines when `guidelines` contains machine-checkable rules; personalisation with a
    `profile` or `passages`. The score is the weighted mean of the category scores (CATEGORY_WEIGHTS).
    `available_files` are the relative paths that exist next to the page (None: the page must be
    self-contained).
    """
    page = load_page(html)
    categories: dict[str, list[Check]] = {
        "parse": check_parse(html),
        "accessibility": check_accessibility(page),
        "assets": check_assets(page, available_files),
    }
    if design_steps:
        categories["sections"] = check_sections(page, design_steps)
    guideline_checks = check_guidelines(page, guidelines, company) if guidelines else []
    if guideline_checks:
        categories["guidelines"] = guideline_checks
    personal = check_personalisation(page, profile, passages)
    if personal:
        categories["personalisation"] = personal
    order = [c for c in CATEGORY_WEIGHTS if c in categories]
    category_scores = {c: round(_category_score(categories[c]), 4) for c in order}
    total_weight = sum(CATEGORY_WEIGHTS[c] for c in order)
    score = sum(category_scores[c] * CATEGORY_WEIGHTS[c] for c in order) / total_weight
    findings = [f for c in order for check in categories[c] for f in check.findings]
    return QAReport(
        score=round(max(0.0, min(1.0, score)), 4), findings=findings, category_scores=category_scores
    )

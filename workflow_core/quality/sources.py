"""What a page's claims may rest on: the run's sources (company, offerings, testimonials, retrieved research,
the knowledge base, the profile), what the brand asks (guidelines, design steps), and the words of the
workflow's own prompts, which a page must not copy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workflow_core.records import Passage
from workflow_core.scenario import Scenario, scenario_inputs
from workflow_core.workflow.spec import Workflow


@dataclass(frozen=True)
class Sources:
    """Everything the quality axes read besides the page. The seller is `company` (the scenario's company);
    the visitor is `profile`. `documents` is the whole knowledge base; `passages` what the run retrieved."""

    company: dict[str, Any] = field(default_factory=dict)
    offerings: dict[str, str] = field(default_factory=dict)
    testimonials: list[dict[str, Any]] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    guidelines: str = ""
    design_steps: list[str] = field(default_factory=list)
    segment: str | None = None
    # The literal text of the workflow's prompts (what is not filled in from data): words a page must not copy.
    instructions: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls, scenario: Scenario, profile_id: str | None = None, passages: list[Passage] | None = None
    ) -> Sources:
        """The sources of one profile of a scenario (no profile: the scenario alone)."""
        inputs = scenario_inputs(scenario, profile_id)
        return cls.from_variables(inputs, passages or [], [d.text for d in scenario.documents])

    @classmethod
    def from_variables(
        cls, variables: dict[str, Any], passages: list[Passage], documents: list[str] | None = None
    ) -> Sources:
        """The sources from a run's prompt variables (`workflow_core.scenario.INPUT_NAMES`)."""
        profile = variables.get("profile")
        return cls(
            company=dict(variables.get("company") or {}),
            offerings=dict(variables.get("all_offerings") or {}),
            testimonials=list(variables.get("testimonials") or []),
            passages=list(passages),
            documents=list(documents or []),
            profile=profile if isinstance(profile, dict) and profile else None,
            guidelines=str(variables.get("guidelines") or ""),
            design_steps=list(variables.get("design_steps") or []),
            segment=variables.get("segment"),
        )


_TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def workflow_instructions(workflow: Workflow) -> list[str]:
    """The literal text of the prompts of `workflow`'s model nodes (`instruction_text` of each)."""
    return instruction_text(
        [text for n in workflow.nodes if n.is_llm for text in (n.system, n.prompt) if text]
    )


def instruction_text(prompts: list[str]) -> list[str]:
    """The literal fragments of prompt templates: the text between their `{{ }}` / `{% %}` tags, where data
    is filled in. What a model copies from these onto a page is an instruction, not content."""
    return [f.strip() for p in prompts for f in _TEMPLATE_TAG.split(p) if f.strip()]

"""What a page's claims may rest on: the run's sources (company, offerings, testimonials, retrieved research,
the knowledge base, the profile), what the brand asks (guidelines, design steps), and the words of the
workflow's own prompts, which a page must not copy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from workflow_core.records import Passage
from workflow_core.scenario import Scenario, scenario_inputs
from workflow_core.scenario.model import Document
from workflow_core.workflow.kinds import is_llm
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
    # The call to action the guidelines quote ("Book a site assessment"), if any.
    cta: str = ""
    # The knowledge documents' titles (file names as words, first headings): a page that reproduces one as
    # copy reads as a research digest.
    document_titles: list[str] = field(default_factory=list)
    # The literal text of the workflow's prompts (what is not filled in from data): words a page must not copy.
    instructions: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls, scenario: Scenario, profile_id: str | None = None, passages: list[Passage] | None = None
    ) -> Sources:
        """The sources of one profile of a scenario (no profile: the scenario alone)."""
        inputs = scenario_inputs(scenario, profile_id)
        return cls.from_variables(inputs, passages or [], scenario.documents)

    def key_material(self) -> dict[str, Any]:
        """Everything here as plain data: what a cached verdict on a page checked against these sources is
        keyed by (see `nodes.qa`), so any change to what the axes read is a new key."""
        return {
            **{f.name: getattr(self, f.name) for f in fields(self)},
            "passages": [p.model_dump() for p in self.passages],
        }

    @classmethod
    def from_variables(
        cls, variables: dict[str, Any], passages: list[Passage], documents: list[Document] | None = None
    ) -> Sources:
        """The sources from a run's prompt variables (`workflow_core.scenario.INPUT_NAMES`) and the
        scenario's knowledge documents."""
        profile = variables.get("profile")
        documents = documents or []
        return cls(
            company=dict(variables.get("company") or {}),
            offerings=dict(variables.get("all_offerings") or {}),
            testimonials=list(variables.get("testimonials") or []),
            passages=list(passages),
            documents=[d.text for d in documents],
            document_titles=document_titles(documents),
            profile=profile if isinstance(profile, dict) and profile else None,
            guidelines=str(variables.get("guidelines") or ""),
            design_steps=list(variables.get("design_steps") or []),
            segment=variables.get("segment"),
            cta=str(variables.get("cta") or ""),
        )


_HEADING = re.compile(r"^\s*#{1,3}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def document_titles(documents: list[Document]) -> list[str]:
    """What each document is called: its file name as words ("mining/haul-truck-downtime.md" gives "haul
    truck downtime"), its metadata's title or topic, and its Markdown headings."""
    titles: list[str] = []
    for doc in documents:
        stem = re.split(r"[\\/]", doc.name)[-1].rsplit(".", 1)[0]
        titles.append(re.sub(r"[-_]+", " ", stem).strip())
        titles += [str(doc.metadata[k]) for k in ("title", "topic") if isinstance(doc.metadata.get(k), str)]
        titles += _HEADING.findall(doc.text)
    return [t for t in dict.fromkeys(titles) if t]


_TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def workflow_instructions(workflow: Workflow) -> list[str]:
    """The literal text of the prompts of `workflow`'s model nodes (`instruction_text` of each)."""
    return instruction_text(
        [text for n in workflow.nodes if is_llm(n) for text in (n.system, n.prompt) if text]
    )


def instruction_text(prompts: list[str]) -> list[str]:
    """The literal fragments of prompt templates: the text between their `{{ }}` / `{% %}` tags, where data
    is filled in. What a model copies from these onto a page is an instruction, not content."""
    return [f.strip() for p in prompts for f in _TEMPLATE_TAG.split(p) if f.strip()]

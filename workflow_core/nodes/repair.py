"""Repair once: what a QA node sends back to the developer when the page is not publishable. The blocking
findings (`quality.model.blocking`) are traced to the page-spec fields that hold their evidence; the developer
is told which fields must change and why, answers the whole spec again, and only those fields are taken from
its answer: everything the checks did not fault stays as it was written.

A repaired page is graded by the same checks that chose what to repair, so a higher score after repair is
partly the checks agreeing with themselves: the QA record says so, and people's votes are the independent
check.
"""

from __future__ import annotations

import copy
from typing import Any

from workflow_core.records import QAFinding

# The fields of a page spec a model writes (facts and ids come from the scenario).
TEXT_FIELDS = ("headline", "subheadline", "closing_headline", "closing_text")
ITEM_FIELDS = {"pain_points": ("title", "text"), "offerings": ("text",)}

SAID = (
    "repaired once: the fields the checks faulted were rewritten and the page checked again by the same "
    "checks, so its better score is partly theirs (people's votes are the independent check)"
)

# How a reviewer's words are put to the developer, in a repair and in a plain send-back.
REVIEWER_ASKS = "A reviewer asked for these changes; apply them:\n"

FieldPath = tuple[Any, ...]  # ("headline",) or ("offerings", 1, "text")


def _fields(spec: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    out: list[tuple[FieldPath, str]] = [((k,), str(spec.get(k) or "")) for k in TEXT_FIELDS]
    for key, names in ITEM_FIELDS.items():
        items = spec.get(key) if isinstance(spec.get(key), list) else []
        for i, item in enumerate(items or []):
            if isinstance(item, dict):
                out += [((key, i, name), str(item.get(name) or "")) for name in names]
    return out


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .…")


def faulted_fields(spec: dict[str, Any], findings: list[QAFinding]) -> dict[FieldPath, list[str]]:
    """Per field of `spec` that holds a blocking finding's evidence, the findings' messages."""
    faulted: dict[FieldPath, list[str]] = {}
    for finding in findings:
        evidence = _norm(finding.evidence)
        if len(evidence) < 4:
            continue
        for path, text in _fields(spec):
            value = _norm(text)
            if value and (evidence in value or (len(value) >= 12 and value in evidence)):
                messages = faulted.setdefault(path, [])
                if finding.message not in messages:
                    messages.append(finding.message)
    return faulted


def _label(path: FieldPath) -> str:
    return path[0] if len(path) == 1 else f"{path[0]} {path[1] + 1}, {path[2]}"


def repair_request(spec: dict[str, Any], faulted: dict[FieldPath, list[str]], feedback: str = "") -> str:
    """What the developer is told: each faulted field, its text and what is wrong with it (and a reviewer's
    `feedback`, which the same answer may act on only in those fields)."""
    values = dict(_fields(spec))
    lines = [
        f'- {_label(path)}: "{values[path]}": ' + " ".join(messages) for path, messages in faulted.items()
    ]
    return (
        "The checks found problems in these parts of your page. Write the same page again, with only these "
        "parts rewritten for this customer in our own words; keep everything else as it was:\n"
        + "\n".join(lines)
        + (f"\n\n{REVIEWER_ASKS}{feedback}" if feedback.strip() else "")
    )


def merge_repair(
    spec: dict[str, Any], revised: dict[str, Any], faulted: dict[FieldPath, list[str]]
) -> dict[str, Any]:
    """`spec` with only the faulted fields taken from `revised` (an empty or missing rewrite keeps the
    original: the design system then drops what cannot be published)."""
    merged = copy.deepcopy(spec)
    for path in faulted:
        if len(path) == 1:
            new = revised.get(path[0])
            if isinstance(new, str) and new.strip():
                merged[path[0]] = new
            continue
        key, index, name = path
        items = revised.get(key)
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            new = items[index].get(name)
            if isinstance(new, str) and new.strip():
                merged[key][index][name] = new
    return merged

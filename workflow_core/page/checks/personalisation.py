"""Personalisation: does the page reflect the visitor's profile and speak to the retrieved passages?"""

from __future__ import annotations

from collections import Counter
from typing import Any

from workflow_core.page.checks.common import Check, LoadedPage
from workflow_core.page.words import content_words
from workflow_core.records import Passage

PROFILE_FIELDS = (
    "name",
    "first_name",
    "full_name",
    "company",
    "industry",
    "role",
    "job_title",
    "location",
    "city",
    "country",
    "region",
    "interests",
    "goals",
)


def _profile_values(profile: dict[str, Any]) -> list[tuple[str, str]]:
    flat: dict[str, Any] = {}
    for k, v in profile.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                flat.setdefault(str(k2).lower(), v2)
        else:
            flat[str(k).lower()] = v
    values: list[tuple[str, str]] = []
    for key in PROFILE_FIELDS:
        v = flat.get(key)
        if isinstance(v, str | int | float) and str(v).strip():
            values.append((key, str(v).strip()))
        elif isinstance(v, list):
            values.extend(
                (key, str(x).strip()) for x in v[:5] if isinstance(x, str | int | float) and str(x).strip()
            )
    return values


def _value_used(value: str, text_low: str, page_tokens: set[str]) -> bool:
    if value.lower() in text_low:
        return True
    words = content_words(value)
    if not words:
        return False
    return sum(1 for w in words if w in page_tokens or w.rstrip("s") in page_tokens) / len(words) >= 0.6


def key_terms(text: str, n: int = 12) -> list[str]:
    """The most frequent content words of a passage (its pain point, roughly)."""
    counts = Counter(content_words(text))
    return [w for w, _ in counts.most_common(n)]


def check_personalisation(
    page: LoadedPage, profile: dict[str, Any] | None, passages: list[Passage] | None
) -> list[Check]:
    """Whether the page reflects the profile's facts and speaks to each retrieved passage (none without
    either)."""
    checks: list[Check] = []
    text_low = page.text.lower()
    page_tokens = set(content_words(page.text))
    page_tokens |= {t.rstrip("s") for t in page_tokens}
    if profile:
        check = Check("profile_facts", "personalisation", 1.5)
        values = _profile_values(profile)
        used = 0
        for key, value in values:
            if _value_used(value, text_low, page_tokens):
                used += 1
                check.ok(f"Profile {key} {value!r} is reflected in the page.")
            else:
                check.fail(
                    f"Profile {key} {value!r} does not appear in the page: personalise the copy for it."
                )
        check.score = used / len(values) if values else 1.0
        if not values:
            check.ok("The profile has no name/company/industry/location/interests fields to look for.")
        checks.append(check)
    if passages:
        check = Check("pain_points", "personalisation", 1.0)
        covered = 0
        for p in passages:
            terms = key_terms(p.text)
            hits = [t for t in terms if t in page_tokens]
            # two shared content words: one alone is too often a generic word of the domain
            if terms and len(hits) >= min(2, len(terms)):
                covered += 1
                check.ok(f"Retrieved passage {p.doc}#{p.chunk} is addressed (terms: {', '.join(hits)}).")
            else:
                check.fail(
                    f"Retrieved passage {p.doc}#{p.chunk} (key terms: {', '.join(terms)}) is not "
                    "addressed in the page: speak to that pain point."
                )
        check.score = covered / len(passages)
        checks.append(check)
    return checks

"""Which market segment a visitor belongs to: the profile's industry/segment keys (or any of its text) matched
against the segments the scenario knows (offerings keys, knowledge `industry` metadata, testimonial segments)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from workflow_core.page.words import content_words, light_stem
from workflow_core.scenario.freetext import offering_items
from workflow_core.scenario.model import Scenario
from workflow_core.scenario.offer_fit import want_words

# Profile keys that name the visitor's market segment, in order of preference.
SEGMENT_KEYS = ("segment", "industry", "sector", "vertical", "market")
# Document metadata keys that name the segment a knowledge note is about.
DOCUMENT_SEGMENT_KEYS = ("industry", "segment", "sector")


def _segment_candidates(scenario: Scenario) -> list[str]:
    seen: dict[str, str] = {}
    for key in scenario.offerings:
        seen.setdefault(key.lower(), key)
    for doc in scenario.documents:
        for k in DOCUMENT_SEGMENT_KEYS:
            value = doc.metadata.get(k)
            if isinstance(value, str) and value:
                seen.setdefault(value.lower(), value)
    for t in scenario.testimonials:
        if t.segment:
            seen.setdefault(t.segment.lower(), t.segment)
    return list(seen.values())


def _match_segment(value: str, candidates: list[str]) -> str | None:
    low = value.strip().lower()
    for c in candidates:
        if c.lower() == low:
            return c
    for c in candidates:
        if re.search(rf"\b{re.escape(c.lower())}\b", low) or (
            low and re.search(rf"\b{re.escape(low)}\b", c.lower())
        ):
            return c
    return None


def profile_segment(profile: dict[str, Any], scenario: Scenario) -> str | None:
    """The scenario segment (an offerings key, else a knowledge `industry`) this profile belongs to: from keys
    like industry/segment/sector (case-insensitive), else any profile text that names a segment, else the
    segment whose offerings the visitor asks for (`_by_offerings`)."""
    candidates = _segment_candidates(scenario)
    if not candidates:
        return None
    lowered = {str(k).lower(): v for k, v in profile.items()}
    for key in SEGMENT_KEYS:
        value = lowered.get(key)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, str) and (hit := _match_segment(v, candidates)):
                return hit
    for value in profile.values():
        if isinstance(value, str):
            for c in candidates:
                if re.search(rf"\b{re.escape(c.lower())}\b", value.lower()):
                    return c
    return _by_offerings(profile, scenario)


# A segment is read from the offerings a visitor asks for when it shares at least this many of its own words
# with what they want, and more than any other segment.
MIN_OFFERING_WORDS = 2


def _by_offerings(profile: dict[str, Any], scenario: Scenario) -> str | None:
    """The offerings segment whose offerings' names share clearly most words with what the visitor wants
    (`offer_fit.want_words`), counting only words no other segment's names have: a bike shop's "bike" names no
    kind of rider. A CRM's `industry` is often the visitor's employer's ("Software", "Higher education"), not a
    kind of customer the seller knows: a commuter who wants the Winter-Ready Service before the clocks change
    is a commuter (holdout13, 2026-12-07). None when no segment stands out."""
    if len(scenario.offerings) < 2:
        return None
    names = {
        segment: {light_stem(w) for o in offering_items(text) for w in content_words(o["name"])}
        for segment, text in scenario.offerings.items()
    }
    shared = Counter(w for words in names.values() for w in words)
    wants = want_words(profile)
    scores = {seg: len({w for w in words if shared[w] == 1} & wants) for seg, words in names.items()}
    best = max(scores.values())
    if best < MIN_OFFERING_WORDS or list(scores.values()).count(best) > 1:
        return None
    return next(seg for seg, score in scores.items() if score == best)


def document_segment_key(scenario: Scenario, preferred: str = "industry") -> str:
    """The metadata key this scenario's notes name their segment with: `preferred` when a note uses it, else
    the first of DOCUMENT_SEGMENT_KEYS a note uses (a bike shop's notes say `segment: road`, not `industry`)."""
    used = {str(k).lower() for doc in scenario.documents for k in doc.metadata}
    for key in (preferred, *DOCUMENT_SEGMENT_KEYS):
        if key.lower() in used:
            return key
    return preferred

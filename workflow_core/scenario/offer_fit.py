"""The segment's offerings in the order they fit one visitor: most words shared with what the visitor says they
want (goals, wants, interests, needs, concerns, challenges, priorities, what they did lately) first, the scenario's order among
equals. Agents see `offering_items` in this order, and a small model picks from the top of a list: blind raters
ranked pages that led with an offering the visitor had not asked about below a plain page with the right one
(holdout4, 2026-12-06: irrigation and silo sensors for a harvest contractor who asked about his headers).

`clear_lead` names the offering that fits one visitor clearly best, if one does: the design system leads the page
with it whatever a model picked (the node that builds the page hands it to `page.design_system.render_page`).
Over the eight rated splits, pages that led with that offering scored above the visitor's mean (+0.14 points on 1 to 10, 153 pages) and pages that led with
another below it (-0.28, 74 pages), in seven splits of nine; raters named the off-target lead ("sells Hand-Built
Wheels" to a rider who asked for a group ride).

The quality verdict's `personalisation.choice` reads fit in a similar way (the goals, interests and needs a lead
offering shares), so on pages made from this order that check partly measures this ranking; docs/quality.md
says so."""

from __future__ import annotations

import re
from typing import Any

from workflow_core.page.words import content_words, light_stem, strings_of

# The profile's fields that say what the visitor wants or did: the words an offering should share.
_WANTS = re.compile(
    r"goal|objective|target|want|interest|need|pain|concern|worr|challenge|priorit|activity|question|asked",
    re.I,
)
# The fields that only name them.
_NAMES = ("name", "company", "role", "location", "industry")


def wants_of(profile: dict[str, Any] | None) -> list[str]:
    """What the visitor says they want or did, in their profile's words: the strings of its goals, interests,
    needs, challenges, priorities and recent activity, in the profile's order (the `visitor_wants` input)."""
    return [
        s for k, v in (profile or {}).items() if _WANTS.search(str(k)) for s in strings_of(v) if s.strip()
    ]


def want_words(profile: dict[str, Any] | None) -> set[str]:
    """The stemmed content words of what the visitor wants or did, less those that only name them."""
    profile = profile or {}
    wants = {light_stem(w) for s in wants_of(profile) for w in content_words(s)}
    names = {light_stem(w) for k in _NAMES for s in strings_of(profile.get(k)) for w in content_words(s)}
    return wants - names


def fit(offering: dict[str, Any], wants: set[str]) -> int:
    """How many of `wants` an offering's name and description share."""
    text = f"{offering.get('name') or ''} {offering.get('description') or ''}"
    return len({light_stem(w) for w in content_words(text)} & wants)


def rank_offerings(items: list[dict[str, Any]], profile: dict[str, Any] | None) -> list[dict[str, Any]]:
    """`items` with the best-fitting offering first (a stable sort: equals keep the scenario's order)."""
    wants = want_words(profile)
    if not wants:
        return list(items)
    return sorted(items, key=lambda o: -fit(o, wants))


# An offering leads the page on fit alone when it shares at least this many want words, and more than any other.
CLEAR_LEAD_MIN_FIT = 2


def clear_lead(items: list[dict[str, Any]], profile: dict[str, Any] | None) -> dict[str, Any] | None:
    """The offering of `items` that fits the visitor clearly best: it shares at least `CLEAR_LEAD_MIN_FIT` of
    their want words and more than every other offering. None when no offering stands out (a tie, or too few
    words shared to tell)."""
    wants = want_words(profile)
    if not wants or not items:
        return None
    scores = [fit(o, wants) for o in items]
    best = max(scores)
    return items[scores.index(best)] if best >= CLEAR_LEAD_MIN_FIT and scores.count(best) == 1 else None

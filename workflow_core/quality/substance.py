"""Substance: the page is a page a business could put in front of a visitor, and how much of it was written
for that visitor.

A page with nothing to judge is not a perfect page. Each rule below is a failing finding that blocks
publishing (`BLOCKING` in `quality/verdict.py`), quoting what it read:
- `empty`: fewer than `MIN_WORDS` words of copy outside the header, navigation, forms and footer (a blank
  `<body>`, a skeleton of headings);
- `headline`: the main headline (the first `h1`, else the first heading) must offer something: it is missing,
  or every word of it is a name, a topic or a word that promises nothing by itself (the seller's name, the
  visitor's name, company and segment, an offering's name, a knowledge document's title, "industry",
  "solutions", "tailored", "operations"), as in "AnyCompany", "Mining Industry Environmental Impact",
  "Brightlane Solar Co-op Roof Array Sizes, Battery Backup, Co-op Financing" or "Tailored Solutions for Dana
  Whitfield's Gold Operations". One offering's name alone ("Professional Bike Fit") names the offer and passes:
  blind raters put it above a tagline (holdout2, 2026-12-06);
- `offer`: the page names none of the seller's offerings (when the scenario has any);
- `ask`: nothing invites the reader to act: no link or button that asks (the guidelines' call to action, or a
  verb such as book, call, contact, order, get, start), no mailto:/tel: link;
- `close`: the closing section (the last heading outside the footer, and what follows it) neither asks nor
  promises: a heading such as "…faces numerous challenges" over no invitation;
- `repetition`: the same sentence twice in the page's body, a card whose text only repeats its heading
  ("Metals and Minerals" / "Metals and Minerals"), two blocks that say the same thing (3-word shingles with a
  Jaccard similarity of 0.6 or more), one passage with the same four words twice (two of them content words)
  or a word doubled ("overwatering and overwatering"), the same heading twice, or headings that differ only
  by a number ("… Growth I", "… Growth II").

Score: each failing finding takes `PENALTY` times its weight off 1.0 (an empty page scores 0).

`originality` is measured on the same copy (not part of the score; `quality.originality`): the share of its
words written for this visitor, against those copied from the scenario and those repeated inside the page.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

from workflow_core.page.words import ASK, STOPWORDS, invites, light_stem
from workflow_core.quality.model import AxisResult
from workflow_core.quality.originality import originality
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import (
    Block,
    PageText,
    copy_blocks,
    finding,
    normalised,
    score_of_penalties,
    tokens_of,
)
from workflow_core.records import QAFinding
from workflow_core.scenario.freetext import offering_items

AXIS = "substance"
MIN_WORDS = 40  # copy a page needs before it says anything: a hero and one short section
PENALTY = 0.25
# Words that name a topic or a kind of business rather than say anything about it.
_TOPIC_WORDS = frozenset(
    {
        "industry",
        "industries",
        "sector",
        "sectors",
        "market",
        "markets",
        "solution",
        "solutions",
        "service",
        "services",
        "offering",
        "offerings",
        "product",
        "products",
        "company",
        "companies",
        "business",
        "businesses",
        "overview",
        "introduction",
        "impact",
        "analysis",
        "report",
        "research",
        "notes",
        "challenges",
        "opportunities",
        "trends",
        "insights",
        "home",
        "welcome",
        "inc",
        "ltd",
        "llc",
        "corp",
        "co-op",
        "group",
        # Words that promise nothing by themselves ("Tailoring Solutions for Dana's Operations").
        "tailored",
        "tailoring",
        "customised",
        "customized",
        "customisation",
        "customization",
        "personalised",
        "personalized",
        "transform",
        "transforming",
        "transformation",
        "empowering",
        "unlocking",
        "innovative",
        "operations",
        "operation",
        "needs",
        "approach",
        "excellence",
        "partner",
        "partnership",
        "commitment",
        "providing",
        "key",
        "focus",
    }
)
_DOUBLED = re.compile(r"\b([A-Za-z]{4,})\s*(?:,|\band\b|\bor\b)\s*\1\b", re.IGNORECASE)
_NUMBERED = re.compile(r"\s+(?:[ivx]+|\d+|[a-c])\.?$", re.IGNORECASE)
_MESSAGES = {
    "empty": "The page has almost no copy ({words} words outside the header, navigation, forms and footer): "
    "it is not a page yet. Write a headline that offers something, an offer and an ask.",
    "headline": "The headline offers nothing: {why}. Say what the reader gets, in their terms.",
    "offer": "The page names none of the seller's offerings: show at least one that fits the reader.",
    "ask": "Nothing on the page invites the reader to act: add the call to action as a link or button.",
    "close": "The closing section neither asks nor promises anything: end with an invitation to act.",
}


def _main_headline(blocks: list[Block]) -> Block | None:
    h1 = next((b for b in blocks if b.tag == "h1"), None)
    return h1 or next((b for b in blocks if b.is_heading), None)


def _name_words(sources: Sources) -> set[str]:
    """Words that only name things the page is about: the seller, the visitor's company and segment, the
    offerings' names, the knowledge documents' titles, the segments."""
    names: list[str] = [str(sources.company.get("name") or ""), str(sources.segment or "")]
    names += list(sources.document_titles)
    names += [*sources.offerings, *_offering_names(sources)]
    profile = sources.profile or {}
    names += [str(profile.get(k) or "") for k in ("name", "company", "industry", "segment", "sector")]
    words = {w for n in names for w in tokens_of(n)}
    return words | {light_stem(w) for w in words}


def _headline_problem(headline: Block | None, sources: Sources) -> str | None:
    if headline is None or len(headline.text.split()) < 2:
        return "there is none" if headline is None else f"it is one word ({headline.text!r})"
    if any(_same(headline.text, n) for n in _offering_names(sources)):
        return None  # one offering's name names the offer: blind raters put it above a generic line
    names = _name_words(sources) | _TOPIC_WORDS
    words = [w for w in tokens_of(headline.text) if w not in STOPWORDS and len(w) > 1]
    left = [w for w in words if w not in names and light_stem(w) not in names]
    if not left:
        return f"{headline.text!r} only names the seller, a segment, offerings or topics"
    return None


def _same(a: str, b: str) -> bool:
    return tokens_of(a) == tokens_of(b)


def _offering_names(sources: Sources) -> list[str]:
    return [
        str(item.get("name") or "")
        for text in sources.offerings.values()
        for item in offering_items(text)
        if item.get("name")
    ]


def _names_an_offering(copy: list[Block], sources: Sources) -> bool | None:
    names = _offering_names(sources)
    if not names:
        return None
    text = " " + normalised(" ".join(b.text for b in copy)) + " "
    words = set(text.split()) | {light_stem(w) for w in text.split()}
    for name in names:
        tokens = [w for w in tokens_of(name) if w not in STOPWORDS]
        if f" {normalised(name)} " in text:
            return True
        if tokens and sum(w in words or light_stem(w) in words for w in tokens) >= max(1, 0.75 * len(tokens)):
            return True
    return False


def _asks(page: PageText, sources: Sources) -> bool:
    cta = sources.cta
    for href, label in page.links:
        if (
            href.startswith(("mailto:", "tel:"))
            or ASK.search(label)
            or (cta and cta.lower() in label.lower())
        ):
            return True
    return any(b.tag == "button" and not (b.places & {"nav"}) and ASK.search(b.text) for b in page.blocks)


def _closing_problem(page: PageText) -> str | None:
    body = [b for b in page.blocks if b.tag != "title" and "footer" not in b.places]
    heads = [i for i, b in enumerate(body) if b.tag in ("h1", "h2") and "form" not in b.places]
    if len(heads) < 2:
        return None
    closing = body[heads[-1] :]
    # The closing words, not the button the design system puts under them: a button alone is not an ask.
    text = " ".join(b.text for b in closing if b.is_heading or (b.tag == "p" and "form" not in b.places))
    if invites(text):
        return None
    return closing[0].text


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [w for w in tokens_of(text)]
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _near_duplicates(blocks: list[Block], threshold: float = 0.6, common: int = 12) -> list[tuple[int, int]]:
    """(i, j), i < j, for each block i and the first later block j whose text is the same or shares at least
    `threshold` of their 3-word shingles (Jaccard). Counted through each shingle's blocks, so a long page costs
    its shingles, not its pairs; a shingle on more than `common` blocks is boilerplate and counts for none."""
    shingled = [_shingles(b.text) for b in blocks]
    postings: dict[tuple[str, ...], list[int]] = {}
    for i, grams in enumerate(shingled):
        for g in grams:
            postings.setdefault(g, []).append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for ids in postings.values():
        if len(ids) <= common:
            shared.update(itertools.combinations(ids, 2))
    texts: dict[str, int] = {}
    pairs: dict[int, int] = {}
    for j, b in enumerate(blocks):
        first = texts.setdefault(normalised(b.text), j)
        if first != j:
            pairs.setdefault(first, j)
    for (i, j), inter in sorted(shared.items()):
        if i not in pairs and inter / (len(shingled[i]) + len(shingled[j]) - inter) >= threshold:
            pairs[i] = j
    return sorted(pairs.items())


def _repetitions(copy: list[Block]) -> list[tuple[str, str]]:
    """(what was repeated, why) for each repetition in the page's copy."""
    found: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for block in copy:
        if block.tag in ("a", "button", "label", "figcaption"):
            continue
        for sentence in block.sentences:
            key = normalised(sentence)
            if len(key.split()) < 4:
                continue
            if key in seen:
                found.append((sentence, "the same sentence appears twice"))
            seen.setdefault(key, sentence)
    # The same words twice in one paragraph ("6.2 pivot stalls per unit are causing more than 6.2 pivot
    # stalls"), or a word doubled ("overwatering and overwatering").
    for block in copy:
        if block.tag not in ("p", "li", "dd", "td", "h1", "h2", "h3"):
            continue
        tokens = tokens_of(block.text)
        grams = Counter(
            g
            for g in (tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))
            if sum(w not in STOPWORDS for w in g) >= 2
        )
        if any(n >= 2 for n in grams.values()) or _DOUBLED.search(block.text):
            found.append((block.text, "one passage says the same words twice"))
    # The same heading twice ("Pivot Stalls" over two cards).
    heads = Counter(normalised(b.text) for b in copy if b.tag in ("h2", "h3", "h4"))
    found += [(h, "two headings say the same") for h, n in heads.items() if n >= 2 and h]
    # A card whose text only repeats its heading.
    for head, body in itertools.pairwise(copy):
        if (
            head.is_heading
            and body.tag in ("p", "li", "dd")
            and normalised(body.text) == normalised(head.text)
        ):
            found.append((body.text, "the card's text only repeats its heading"))
    # Two paragraphs that say the same thing.
    prose = [b for b in copy if b.tag in ("p", "li", "dd", "td") and len(tokens_of(b.text)) >= 8]
    found += [(prose[j].text, "two paragraphs say the same thing") for _, j in _near_duplicates(prose)]
    # Headings that differ only by a number ("Overcoming Challenges I / II / III").
    numbered: dict[str, list[str]] = {}
    for b in copy:
        if b.is_heading and _NUMBERED.search(b.text):
            numbered.setdefault(_NUMBERED.sub("", normalised(b.text)), []).append(b.text)
    for stem, headings in numbered.items():
        if len(headings) >= 2 and stem:
            found.append((" / ".join(headings), f"{len(headings)} headings differ only by a number"))
    return found


def check_substance(page: PageText, sources: Sources) -> AxisResult:
    """Whether the page says anything at all, and says it once (see the module docstring)."""
    copy = copy_blocks(page)
    findings: list[QAFinding] = []
    words = sum(len(tokens_of(b.text)) for b in copy)

    def fail(check: str, evidence: str = "", **fields: Any) -> None:
        findings.append(finding(AXIS, check, False, _MESSAGES[check].format(**fields), evidence))

    measured = originality(page, sources)
    measures = {
        "originality.written": measured.written,
        "originality.from_sources": measured.from_sources,
        "originality.repeated": measured.repeated,
    }
    if words < MIN_WORDS:
        fail("empty", " ".join(b.text for b in copy)[:200] or "(no text at all)", words=words)
        return AxisResult(axis=AXIS, score=0.0, findings=findings, measures=measures)
    headline = _main_headline(copy)
    why = _headline_problem(headline, sources)
    if why:
        fail("headline", headline.text if headline else "", why=why)
    # What the page shows instead, quoted: its headings for a missing offer, its last words for a missing ask.
    headings = " / ".join(b.text for b in copy if b.is_heading)
    if _names_an_offering(copy, sources) is False:
        fail("offer", headings)
    if not _asks(page, sources):
        fail("ask", copy[-1].text if copy else "")
    closing = _closing_problem(page)
    if closing:
        fail("close", closing)
    for evidence, why in _repetitions(copy):
        findings.append(
            finding(
                AXIS, "repetition", False, f"The page repeats itself ({why}): say each thing once.", evidence
            )
        )
    if not findings:
        findings.append(
            finding(
                AXIS, "page", True, "A headline that offers something, an offer and an ask; nothing repeated."
            )
        )
    return AxisResult(
        axis=AXIS, score=score_of_penalties(findings, PENALTY), findings=findings, measures=measures
    )

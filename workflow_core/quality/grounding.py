"""Grounding: every factual claim on the page is supported by the run's sources (the company and its contact
details, every segment's offerings, the testimonials, the retrieved passages, the whole knowledge base and the
visitor's profile).

Claims, sentence by sentence, and how each is looked up:
- e-mail addresses (text and `mailto:` links): the address, case-insensitive, must appear in a source;
- phone numbers (8 to 15 digits, text and `tel:` links): the last eight digits must match a source's phone;
- postal addresses ("18 Quarry Lane"): the number and street must appear in a source;
- web addresses: the domain (without `www.`) must appear in a source;
- certifications and standards (ISO 9001, SOC 2, PCI DSS, B Corp, ...): must appear in a source, spacing and
  punctuation ignored;
- figures: numbers, percentages, money, durations and dates, compared by value ("12%" = "12 percent",
  "$1,200" = "1200", "$1.2m" = "1,200,000", "3x" is backed by "three times" or any 3 in the sources);
- proper names (runs of two or more capitalised words in running text, e.g. a product or a customer): each
  part must be a name or a word the sources use ("Redgum Ridge Gold", "Haul Fleet Health");
- testimonials (text in a `<blockquote>`): most of the quote's content words must come from one source
  testimonial;
- causal links ("due to", "because", "which means", ...) between two halves at least one of which is from the
  sources: one source statement must hold both (`quality.causes`).

Not claims: list markers and counters ("1" alone in a block, "Step 2", "#1", "24/7"), a year (up to
this one) in a copyright line, numbers inside words ("B2B", "4G"), and names in headings,
navigation, buttons and form labels (Title Case there is style, not a claim). Numbers written as words on the
page ("three sites") are not read as claims (a known blind spot, see docs/quality.md).

Invented contact details weigh 2 (each takes half the axis), any other unsupported claim 1 (a quarter); one
finding per sentence and kind of claim.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote, urlparse

from workflow_core.quality.causes import unsupported_link
from workflow_core.quality.claims import (
    ADDRESS,
    CERTIFICATION,
    DOMAIN,
    EMAIL,
    PHONE,
    URL,
    SourceIndex,
    compact,
    figures_to_check,
    is_copyright,
    phones_in,
    plain,
    quoted_testimonials,
    without,
)
from workflow_core.quality.model import AxisResult
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import Block, PageText, finding, score_of_penalties
from workflow_core.records import QAFinding

AXIS = "grounding"
CONTACT_WEIGHT = 2.0
_NO_NAMES = frozenset({"title", "h1", "h2", "h3", "h4", "h5", "h6", "a", "button", "label", "th", "dt"})
# Capitalised words that open a sentence or label a UI, not a name.
_COMMON_CAPS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "book",
        "but",
        "by",
        "call",
        "contact",
        "dear",
        "did",
        "do",
        "does",
        "email",
        "every",
        "explore",
        "find",
        "for",
        "from",
        "get",
        "hello",
        "hi",
        "how",
        "if",
        "in",
        "is",
        "it",
        "its",
        "join",
        "learn",
        "let",
        "meet",
        "more",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "phone",
        "read",
        "request",
        "see",
        "schedule",
        "so",
        "start",
        "talk",
        "tel",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "these",
        "this",
        "those",
        "to",
        "try",
        "us",
        "visit",
        "we",
        "welcome",
        "what",
        "when",
        "where",
        "who",
        "why",
        "with",
        "yes",
        "you",
        "your",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
)
_DIGIT = re.compile(r"\d")
_COUNTER = re.compile(r"\s*[#(]?\d{1,3}[.):]?\s*")  # "1", "2.", "(3)", "#4": a card's number, not "12%"
_POSSESSIVE = re.compile(r"['’]s\b|(?<=s)['’](?!\w)")
_NAME_RUN = re.compile(r"[A-Z][\w'’&-]*(?:\s+(?:(?:of|and|&|the|de|for)\s+)?[A-Z][\w'’&-]*)+")


def _unsupported_names(sentence: str, index: SourceIndex) -> list[str]:
    out = []
    for m in _NAME_RUN.finditer(sentence):
        tokens = [t for t in re.split(r"\s+", m.group(0)) if t]
        while tokens and tokens[0].lower().strip("'’") in _COMMON_CAPS:
            tokens.pop(0)
        while tokens and tokens[-1].lower() in _COMMON_CAPS:
            tokens.pop()
        if sum(1 for t in tokens if t[:1].isupper()) < 2:
            continue
        name = " ".join(tokens)
        # A possessive is the name's ("Ridgeline's", the plural "Ridgeline Fieldworks'"), unless the sources
        # write the name with it ("Cooper's Wynd").
        bare = _POSSESSIVE.sub("", name)
        words = re.findall(r"[a-z0-9']+", plain(bare))
        if plain(name) in index.names_text or plain(bare) in index.names_text:
            continue
        if all(w in index.words for w in words):
            continue
        out.append(name)
    return out


def _testimonial_invented(text: str, sources: Sources) -> bool:
    return quoted_testimonials(text, sources.testimonials) == []


def _contact(message: str, evidence: str) -> QAFinding:
    return finding(AXIS, "contact", False, message, evidence, CONTACT_WEIGHT)


def _contact_findings(sentence: str, low: str, has_digit: bool, index: SourceIndex) -> list[QAFinding]:
    out = []
    emails = EMAIL.findall(sentence) if "@" in sentence else []
    urls = URL.findall(sentence) if "http" in low or "www." in low else []
    if "." in sentence:  # a bare domain ("evil-pay.example/ridgeline") is a web address too
        urls += DOMAIN.findall(without(sentence, EMAIL, URL))
    for email in emails:
        if email.lower() not in index.lower:
            out.append(
                _contact(
                    f"The e-mail address {email} is in no source: use the company's own contact details.",
                    sentence,
                )
            )
    if has_digit:
        for phone in phones_in(without(sentence, EMAIL, URL) if emails or urls else sentence):
            if not index.has_phone(phone):
                out.append(
                    _contact(
                        f"The phone number {phone} is in no source: use the company's own contact details.",
                        sentence,
                    )
                )
        for m in ADDRESS.finditer(sentence):
            if compact(m.group(0)) not in index.compact:
                out.append(
                    _contact(
                        f"The address {m.group(0)!r} is in no source: use the company's own address.",
                        sentence,
                    )
                )
    for url in urls:
        host = (urlparse(url if "://" in url else f"http://{url}").hostname or "").removeprefix("www.")
        if host and host not in index.lower:
            out.append(_contact(f"The web address {url} is in no source.", sentence))
    return out


def _link_findings(page: PageText, index: SourceIndex) -> list[QAFinding]:
    """mailto: and tel: links whose target is not the company's (the text may say something else)."""
    out = []
    for href, text in page.links:
        scheme, _, target = href.partition(":")
        target = unquote(target.split("?")[0]).strip()
        if scheme.lower() == "mailto" and target and target.lower() not in index.lower:
            out.append(
                finding(
                    AXIS,
                    "contact",
                    False,
                    f"A link mails {target}, which is in no source.",
                    f"{text} ({href})",
                    CONTACT_WEIGHT,
                )
            )
        elif scheme.lower() == "tel" and len(re.sub(r"\D", "", target)) >= 8 and not index.has_phone(target):
            out.append(
                finding(
                    AXIS,
                    "contact",
                    False,
                    f"A link calls {target}, which is in no source.",
                    f"{text} ({href})",
                    CONTACT_WEIGHT,
                )
            )
    return out


def _sentence_findings(block: Block, sentence: str, index: SourceIndex, this_year: int) -> list[QAFinding]:
    low = sentence.lower()
    has_digit = _DIGIT.search(sentence) is not None
    out = _contact_findings(sentence, low, has_digit, index)
    rest = without(sentence, EMAIL, URL, PHONE, ADDRESS) if has_digit or "@" in sentence else sentence
    bad_certs = [c for c in CERTIFICATION.findall(rest) if compact(c) not in index.compact]
    if bad_certs:
        out.append(
            finding(
                AXIS,
                "certifications",
                False,
                f"Certification {', '.join(bad_certs)} is in no source: claim only what the company holds.",
                sentence,
            )
        )
    # A block that is only a number is a counter or a marker.
    if has_digit and not _COUNTER.fullmatch(block.text):
        figures = figures_to_check(without(rest, CERTIFICATION), is_copyright(block.text), this_year)
        bad = [w for w, v, u in figures if not index.supports(v, u) or index.foreign_currency(w)]
        if bad:
            what = "this figure" if len(bad) == 1 else "these figures"
            out.append(
                finding(
                    AXIS,
                    "figures",
                    False,
                    f"{', '.join(bad)}: no source gives {what}; take figures "
                    "from the research or the company's facts.",
                    sentence,
                )
            )
    link = unsupported_link(sentence, index.statements)
    if link:
        out.append(
            finding(
                AXIS,
                "causes",
                False,
                f"'{link}' links two things no source links: say what the sources say, or drop the link.",
                sentence,
            )
        )
    if block.tag not in _NO_NAMES and "form" not in block.places:
        names = _unsupported_names(rest, index)
        if names:
            out.append(
                finding(
                    AXIS,
                    "names",
                    False,
                    f"{', '.join(names)}: no source names "
                    f"{'it' if len(names) == 1 else 'them'}; name only real products and customers.",
                    sentence,
                )
            )
    return out


def check_grounding(page: PageText, sources: Sources, *, today: dt.date | None = None) -> AxisResult:
    """Grounding of the page's claims in `sources` (see the module docstring for the rules)."""
    index = SourceIndex.of(sources)
    this_year = (today or dt.date.today()).year
    findings: list[QAFinding] = _link_findings(page, index)
    for block in page.blocks:
        # A quote's attribution (its footer, cite or caption) is checked as names, not as the quote.
        attribution = block.tag in ("footer", "cite", "figcaption")
        if "quote" in block.places and not attribution and _testimonial_invented(block.text, sources):
            findings.append(
                finding(
                    AXIS,
                    "testimonials",
                    False,
                    "This testimonial matches none of the company's testimonials: quote real customers only.",
                    block.text,
                )
            )
        for sentence in block.sentences:
            findings.extend(_sentence_findings(block, sentence, index, this_year))
    if not any(not f.passed for f in findings):
        findings.append(
            finding(
                AXIS, "claims", True, "Every factual claim found on the page is supported by the sources."
            )
        )
    return AxisResult(axis=AXIS, score=score_of_penalties(findings), findings=findings)

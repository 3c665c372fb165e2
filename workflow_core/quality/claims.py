"""Factual claims in a sentence (figures, contact details, web addresses, certifications, proper names) in a
normalised form, and the index of the sources they are looked up in. `grounding` decides what is supported."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from workflow_core.page.words import content_words, strings_of
from workflow_core.quality.causes import statements_of
from workflow_core.quality.sources import Sources
from workflow_core.scenario.injection import without_instructions

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\bhttps?://[^\s<>\"')]+|\bwww\.[\w.-]+\.[a-z]{2,}[^\s<>\"')]*", re.IGNORECASE)
# A web address written with no scheme and no www ("evil-pay.example/ridgeline", "acme.com"): a host of two or
# more labels ending in a common top-level domain, or in any two-letter one when a path follows.
_TLDS = "com|net|org|io|co|info|biz|app|dev|shop|store|online|site|xyz|ai|example|test|invalid"
DOMAIN = re.compile(
    rf"(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:(?:{_TLDS})\b(?:/[^\s<>\"')]*)?"
    r"|[a-z]{2}/[^\s<>\"')]+)",
    re.IGNORECASE,
)
PHONE = re.compile(
    r"(?<![\w.,])(?:\+\d{1,3}[ \u00a0.-]?)?(?:\(\d{1,4}\)[ \u00a0.-]?)?\d{2,5}(?:[ \u00a0.-]\d{2,5}){1,4}(?![\w,])"
)
_STREETS = (
    "Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|Dr|Way|Boulevard|Blvd|Place|Pl|Court|Ct|Parade|Highway|Hwy|"
    "Terrace|Crescent|Square|Row|Quay|Wharf"
)
ADDRESS = re.compile(rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]+\s+){{1,3}}(?:{_STREETS})\b")
CERTIFICATION = re.compile(
    r"\b(?:ISO(?:/IEC)?\s?\d{3,5}(?:[:-]\d{4})?|IEC\s?\d{3,5}|AS/NZS\s?\d{3,5}|SOC\s?[123](?:\s?Type\s?(?:I{1,2}|[12]))?"
    r"|PCI[\s-]?DSS|HIPAA|Cyber Essentials(?: Plus)?|B[\s-]?Corp|FedRAMP|CMMI(?: Level \d)?|GMP|HACCP)\b"
)
# Starts at a digit (a currency before it is read by `_CURRENCY_BEFORE`): scanning a knowledge base for figures
# is the costliest step of a check, and a pattern that may start at any character is several times slower.
NUMBER = re.compile(
    r"(?<![\w.,/-])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<mul>k|m|bn|million|billion|thousand)\b)?(?P<unit>\s?%|\s?per ?cent\b|x\b|×)?"
    r"(?![\w/])",
)
_CURRENCY_BEFORE = re.compile(r"(?:[$£€]|\b(?:AUD|USD|NZD|GBP|EUR|CAD) ?)$")
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
# Number words the sources may spell out where the page writes digits ("three times" backs "3x").
_NUMBER_WORDS = {
    w: float(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_WORDS |= {
    "thirty": 30.0,
    "forty": 40.0,
    "fifty": 50.0,
    "sixty": 60.0,
    "seventy": 70.0,
    "eighty": 80.0,
    "ninety": 90.0,
    "hundred": 100.0,
    "twice": 2.0,
    "double": 2.0,
    "triple": 3.0,
    "half": 50.0,
    "third": 33.0,
    "quarter": 25.0,
    "dozen": 12.0,
}
# Markers that count things on the page rather than claim them: "Step 2", "#1", "24/7".
_MARKER = re.compile(
    r"\b(?:step|phase|part|stage|no\.|number|page|section|chapter)\s+\d+\b|#\d+\b|\b24/7\b|^\d+[.)]\s", re.I
)
_COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright\b|\ball rights reserved\b", re.IGNORECASE)


def number_value(m: re.Match[str]) -> float:
    value = float(m.group("num").replace(",", ""))
    mul = (m.group("mul") or "").lower()
    return round(value * _MULTIPLIERS.get(mul, 1.0), 6)


# Units a figure is compared with: "14 hours" is not backed by "14%" or "14 sites".
_UNITS = {
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "minute": "minute", "minutes": "minute",
    "min": "minute", "mins": "minute", "day": "day", "days": "day", "week": "week", "weeks": "week",
    "month": "month", "months": "month", "year": "year", "years": "year", "yr": "year", "yrs": "year",
    "shift": "shift", "shifts": "shift", "season": "season", "seasons": "season", "tonne": "tonne",
    "tonnes": "tonne", "ton": "tonne", "tons": "tonne", "km": "km", "kilometre": "km", "kilometres": "km",
    "kilometer": "km", "kilometers": "km", "hectare": "hectare", "hectares": "hectare", "ha": "hectare",
    "litre": "litre", "litres": "litre", "liter": "litre", "liters": "litre", "kg": "kg",
}  # fmt: skip
_UNIT_AFTER = re.compile(
    r"[\s-]?(?:(?:to|and|or|-|–)\s?\$?[\d.,]+\s?(?:%|k|m|bn|million|billion)?\s?)?(?P<unit>[a-z]+)", re.I
)
_RANGE_BEFORE = re.compile(r"(?:\bto|-|–)\s?$")


def figures_in(text: str) -> list[tuple[str, float, str]]:
    """The figures in `text` as (as written, value, unit): the unit is "%" (also "percent"), "money" (a
    currency before it, or before the other end of its range), "x" (a multiple), a unit of time or measure
    after it ("6 to 10 hours": both are hours), or "" when none."""
    out: list[tuple[str, float, str]] = []
    for m in NUMBER.finditer(text):
        before = text[max(0, m.start() - 6) : m.start()]
        currency = _CURRENCY_BEFORE.search(before)
        unit_mark = (m.group("unit") or "").strip().lower()
        if unit_mark in ("%", "percent", "per cent"):
            unit = "%"
        elif unit_mark in ("x", "×"):
            unit = "x"
        elif currency or (out and out[-1][2] == "money" and _RANGE_BEFORE.search(before)):
            unit = "money"
        else:
            after = _UNIT_AFTER.match(text, m.end())
            unit = _UNITS.get(after.group("unit").lower(), "") if after else ""
        written = (currency.group(0) if currency else "") + m.group(0).strip()
        out.append((written, number_value(m), unit))
    return out


def numbers_in(text: str) -> list[tuple[str, float]]:
    """The figures in `text` as (as written, value): "$1,200" and "1200" are both 1200.0, "12%" and
    "12 percent" 12.0, "$1.2m" 1200000.0."""
    return [(w, v) for w, v, _ in figures_in(text)]


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# A local seven-digit number ("555-0100") is a phone number only where the sentence asks to call it: "500-1000
# tonnes" has the same shape.
_LOCAL_PHONE = re.compile(r"(?<![\w.,-])\d{3}[-. ]\d{4}(?![\w,-])")
_CALL_CUE = re.compile(
    r"\b(?:call|ring|phone|dial|tel|telephone|text|hotline|number|contact|reach)\b", re.IGNORECASE
)


def phones_in(text: str) -> list[str]:
    """Phone-number-shaped runs of 8 to 15 digits (written with spaces, dots, dashes or brackets), and local
    seven-digit numbers ("CALL 555-0100 NOW") in a sentence that asks to call."""
    found = [m.group(0) for m in PHONE.finditer(text) if 8 <= len(digits(m.group(0))) <= 15]
    if _CALL_CUE.search(text):
        found += [m.group(0) for m in _LOCAL_PHONE.finditer(text) if not any(m.group(0) in f for f in found)]
    return found


def compact(text: str) -> str:
    """Lower-case letters and digits only: how certifications and addresses are compared."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def plain(text: str) -> str:
    """Lower case, hyphens and curly quotes as plain spaces and quotes, whitespace collapsed."""
    text = text.lower().replace("’", "'").replace("-", " ").replace("–", " ")
    return " ".join(text.split())


def quoted_testimonials(text: str, testimonials: Iterable[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The source testimonials a page's quote comes from (60% or more of its content words are theirs); None
    when the quote is too short (under 4 content words) to tell."""
    words = set(content_words(text))
    if len(words) < 4:
        return None
    return [
        t
        for t in testimonials
        if len(words & set(content_words(str(t.get("quote", ""))))) >= 0.6 * len(words)
    ]


@dataclass(frozen=True)
class SourceIndex:
    """The sources, normalised once per check: their text, figures, phone digits, certifications."""

    text: str  # plain() of every source
    lower: str  # every source in lower case, as written (e-mail addresses and domains keep their hyphens)
    names_text: str  # text, guidelines and design steps (where a call to action's wording comes from)
    compact: str
    words: set[str] = field(default_factory=set)
    values: set[float] = field(default_factory=set)
    figures: set[tuple[float, str]] = field(default_factory=set)  # (value, unit) of every sourced figure
    phones: list[str] = field(default_factory=list)  # digits only
    currencies: frozenset[str] = frozenset()  # the currencies the sources' prices are in ("pound", "dollar")
    # The values money may take: the seller's sources only (a price is the seller's claim, never the visitor's).
    money: set[float] = field(default_factory=set)
    # Word sets of the sources' sentences, and of two in a row (quality.causes).
    statements: tuple[frozenset[str], ...] = ()

    @classmethod
    def of(cls, sources: Sources) -> SourceIndex:
        """The index of `sources`. The scenario's part (company, offerings, testimonials, knowledge base,
        guidelines) is reused while its text is the same, so a run pays only for its profile and passages.

        Only the seller's sources back the seller's claims. The visitor's profile is data about the visitor:
        it supports words and plain figures about them ("your 40 trucks") and their own contact fields (shown
        back, that is recital, which personalisation reports), never a price, certification, street address,
        or a phone number, e-mail or web address written in its free text ("notes": "tell readers to ring
        0800…"). Instruction-like sentences in the research (`scenario.injection`) back nothing."""
        scenario = [
            *strings_of(sources.company),
            *strings_of(sources.offerings),
            *strings_of(sources.testimonials),
            *(without_instructions(d) for d in sources.documents),
            # The call to action is the seller's own words (its guidelines quote it) and the design system
            # places it on every page: "Book a free 20-minute call" gives its figure.
            sources.cta,
        ]
        run = [*(without_instructions(p.text) for p in sources.passages), sources.segment or ""]
        visitor = [*strings_of(sources.profile or {})]
        brand = "\n".join([sources.guidelines, *sources.design_steps])
        index = _index("\n".join(scenario), brand).merged(_index("\n".join(run), ""))
        own = tuple(_own_contacts(sources.profile or {}))
        index = replace(index, money=set(index.values)).merged(_visitor_index("\n".join(visitor), own))
        statements = _statements(tuple(scenario)) + _statements(tuple(run)) + _statements(tuple(visitor))
        return replace(index, statements=statements)

    def merged(self, other: SourceIndex) -> SourceIndex:
        return SourceIndex(
            text=f"{self.text}\n{other.text}",
            lower=f"{self.lower}\n{other.lower}",
            names_text=f"{self.names_text}\n{other.names_text}",
            compact=f"{self.compact}|{other.compact}",
            words=self.words | other.words,
            values=self.values | other.values,
            figures=self.figures | other.figures,
            phones=self.phones + other.phones,
            currencies=self.currencies | other.currencies,
            statements=self.statements + other.statements,
            money=self.money | other.money,
        )

    def foreign_currency(self, written: str) -> bool:
        """Whether a figure as written ("$75.00") is in a currency none of the sources' prices use, when they
        use one: a shop that prices in pounds does not sell for dollars."""
        mark = currency_of(written)
        return mark is not None and bool(self.currencies) and mark not in self.currencies

    def supports(self, value: float, unit: str) -> bool:
        """Whether a source gives this figure: the same value in the same unit; a figure with no unit, a
        multiple or money (sources often drop the currency in a range) needs only the value."""
        if unit == "money":
            return value in self.money
        if unit in ("", "x"):
            return value in self.values
        return (value, unit) in self.figures

    def has_phone(self, phone: str) -> bool:
        # The last eight digits (seven for a local number): "+61 8 5550 0142" and "(08) 5550 0142" are the
        # same line.
        tail = digits(phone)[-8:]
        return any(p.endswith(tail) for p in self.phones)


_CONTACT_KEYS = frozenset(
    {"email", "e-mail", "mail", "phone", "mobile", "telephone", "tel", "website", "url", "web"}
)


def _own_contacts(profile: dict[str, Any]) -> list[str]:
    """The visitor's own contact details: the values of the profile's contact fields (`email`, `phone`...,
    at its top level or under `contact`), not numbers or addresses written in its free text."""
    out = []
    for scope in (profile, profile.get("contact")):
        if isinstance(scope, dict):
            out += [
                str(v) for k, v in scope.items() if str(k).lower() in _CONTACT_KEYS and isinstance(v, str)
            ]
    return out


@lru_cache(maxsize=32)
def _visitor_index(raw: str, own_contacts: tuple[str, ...]) -> SourceIndex:
    """The visitor's part of the index: their words and plain figures, and their own contact details;
    nothing a price, a certification, an address or a contact detail from their free text could match."""
    full = _index(raw, "")
    return SourceIndex(
        text=full.text,
        lower="\n".join(own_contacts).lower(),
        names_text=full.names_text,
        compact="",
        words=full.words,
        values=full.values,
        figures={(v, u) for v, u in full.figures if u != "money"},
        phones=[digits(p) for c in own_contacts for p in phones_in(c)],
    )


@lru_cache(maxsize=32)
def _index(raw: str, brand_text: str) -> SourceIndex:
    text = plain(raw)
    names_text = plain(raw + "\n" + brand_text)
    figures = {(v, u) for _, v, u in figures_in(raw)}
    words = set(re.findall(r"[a-z0-9']+", names_text))
    values = {v for v, _ in figures} | {_NUMBER_WORDS[w] for w in words & _NUMBER_WORDS.keys()}
    return SourceIndex(
        text=text,
        lower=raw.lower(),
        names_text=names_text,
        compact=compact(raw),
        words=words,
        values=values,
        figures=figures,
        phones=[digits(p) for p in phones_in(raw)],
        currencies=frozenset(filter(None, (currency_of(w) for w, _, u in figures_in(raw) if u == "money"))),
    )


_CURRENCY_FAMILY = {
    "$": "dollar",
    "£": "pound",
    "€": "euro",
    "aud": "dollar",
    "usd": "dollar",
    "nzd": "dollar",
}
_CURRENCY_FAMILY |= {"cad": "dollar", "gbp": "pound", "eur": "euro"}


def currency_of(written: str) -> str | None:
    """The currency a figure as written starts with ("£89" → "pound", "AUD 18,000" → "dollar"), or None."""
    mark = re.match(r"\s*([$£€]|[A-Za-z]{3})", written)
    return _CURRENCY_FAMILY.get(mark.group(1).lower()) if mark else None


@lru_cache(maxsize=32)
def _statements(texts: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """The statements of each source text on its own: two sentences in a row never span two texts."""
    return tuple(s for text in texts for s in statements_of(text))


def figures_to_check(sentence: str, in_copyright: bool, this_year: int) -> list[tuple[str, float, str]]:
    """The figures of a sentence that make a claim: not list markers or "24/7", and not a year (up to this
    one) in a copyright line, which dates the page rather than claims anything."""
    text = _MARKER.sub(" ", sentence)
    return [f for f in figures_in(text) if not (in_copyright and 1900 <= f[1] <= this_year)]


def is_copyright(text: str) -> bool:
    return bool(_COPYRIGHT.search(text))


def without(text: str, *patterns: re.Pattern[str]) -> str:
    """`text` with the matches of `patterns` blanked (so a phone number's digits are not read as figures). For
    `PHONE`, only what `phones_in` reads as a phone: a price such as "75.00" has the shape but not the digits,
    and must stay to be checked as a figure."""
    for p in patterns:
        if p is PHONE:
            text = p.sub(lambda m: " " if 8 <= len(digits(m.group(0))) <= 15 else m.group(0), text)
        else:
            text = p.sub(" ", text)
    return text

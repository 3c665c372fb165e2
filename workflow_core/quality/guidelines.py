"""The machine-checkable rules in a company's free-text guidelines: banned and required words, a call to action
(and its wording when the line quotes it), the company name, and the tone rules that can be read off a line
("no exclamation marks", "no hype" / "avoid superlatives", "short sentences", "address the visitor as you",
"British spelling")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache


@dataclass
class GuidelineRule:
    # banned_words | required_words | call_to_action | company_name | no_exclamation | no_hype | short_sentences
    # | address_you | british_spelling
    kind: str
    words: list[str] = field(default_factory=list)
    line: str = ""


# "banned words: a, b" and "required words: c": what opens the line -> the kind of rule; group 4 is the list.
_WORD_LIST_SUFFIX = r"( the)?( words?| terms?| phrases?)?\s*:\s*(.+)"
_WORD_LIST_RULES = (
    ("banned_words", r"(banned|forbidden|avoid(?:ed)?|never use|do not use|don't use)" + _WORD_LIST_SUFFIX),
    ("required_words", r"(required|must mention|always mention|must use)" + _WORD_LIST_SUFFIX),
)
_NEGATED = r"\b(?:no|avoid|without|never|don't|do not|not)\b[^.;]{0,25}"
_TONE_RULES = (
    ("no_exclamation", re.compile(_NEGATED + r"\bexclamation", re.I)),
    ("no_hype", re.compile(_NEGATED + r"\b(?:hype|superlatives?|buzzwords?|marketing fluff)\b", re.I)),
    ("short_sentences", re.compile(r"\bshort sentences\b", re.I)),
    (
        "address_you",
        re.compile(r"\baddress (?:the )?(?:visitor|reader|customer|them)s? as [\"“']?you\b", re.I),
    ),
    ("british_spelling", re.compile(r"\b(?:british|uk|australian|new zealand) (?:english|spelling)\b", re.I)),
)
_QUOTED = re.compile(r"[\"“]([^\"”]{3,60})[\"”]")


def _word_list_rule(line: str) -> GuidelineRule | None:
    for kind, pattern in _WORD_LIST_RULES:
        m = re.match(pattern, line.lower())
        if m:
            words = [w.strip(" \"'“”.") for w in re.split(r"[,;]", line[m.start(4) :])]
            return GuidelineRule(kind, [w for w in words if w], line)
    return None


def parse_guideline_rules(guidelines: str) -> list[GuidelineRule]:
    """Machine-checkable rules in free-text guidelines, in the order their lines come: "banned words: a, b",
    "required words: ...", "always include a call to action" (with its quoted wording, if any), "mention the
    company name", and the tone rules of this module's docstring. Read once per guidelines text (a batch
    checks every page against the same), each caller getting its own copies."""
    return [replace(rule, words=list(rule.words)) for rule in _parsed_rules(guidelines)]


@lru_cache(maxsize=32)
def _parsed_rules(guidelines: str) -> tuple[GuidelineRule, ...]:
    rules: list[GuidelineRule] = []
    for raw in guidelines.splitlines():
        line = raw.strip().lstrip("-*• ").strip()
        low = line.lower()
        word_list = _word_list_rule(line)
        if word_list is not None:
            rules.append(word_list)
            continue
        if re.search(r"call[ -]to[ -]action|\bcta\b", low) and re.search(
            r"always|must|include|every|end with", low
        ):
            m = _QUOTED.search(line)
            rules.append(GuidelineRule("call_to_action", [m.group(1)] if m else [], line))
        if re.search(r"company(?:'s)? name", low) and re.search(r"mention|include|use|show|always", low):
            rules.append(GuidelineRule("company_name", line=line))
        rules.extend(GuidelineRule(kind, line=line) for kind, pattern in _TONE_RULES if pattern.search(line))
    return tuple(rules)

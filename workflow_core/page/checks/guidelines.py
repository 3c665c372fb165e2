"""Guidelines: the machine-checkable rules in a company's free-text guidelines (banned and required words, a
call to action, the company name), and whether a page keeps them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workflow_core.page.checks.common import Check, LoadedPage


@dataclass
class GuidelineRule:
    kind: str  # banned_words | required_words | call_to_action | company_name
    words: list[str] = field(default_factory=list)
    line: str = ""


# "banned words: a, b" and "required words: c": what opens the line -> the kind of rule; group 4 is the list.
_WORD_LIST_SUFFIX = r"( the)?( words?| terms?| phrases?)?\s*:\s*(.+)"
_WORD_LIST_RULES = (
    ("banned_words", r"(banned|forbidden|avoid(?:ed)?|never use|do not use|don't use)" + _WORD_LIST_SUFFIX),
    ("required_words", r"(required|must mention|always mention|must use)" + _WORD_LIST_SUFFIX),
)


def _word_list_rule(line: str) -> GuidelineRule | None:
    for kind, pattern in _WORD_LIST_RULES:
        m = re.match(pattern, line.lower())
        if m:
            words = [w.strip(" \"'“”.") for w in re.split(r"[,;]", line[m.start(4) :])]
            return GuidelineRule(kind, [w for w in words if w], line)
    return None


def parse_guideline_rules(guidelines: str) -> list[GuidelineRule]:
    """Machine-checkable rules in free-text guidelines: "banned words: a, b", "required words: ...",
    "always include a call to action", "mention the company name"."""
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
            rules.append(GuidelineRule("call_to_action", line=line))
        if re.search(r"company(?:'s)? name", low) and re.search(r"mention|include|use|show|always", low):
            rules.append(GuidelineRule("company_name", line=line))
    return rules


def _contains_phrase(text: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)", text.lower()) is not None


def _has_call_to_action(page: LoadedPage) -> bool:
    root = page.root
    if root.find(".//form") is not None:
        return True
    for el in root.iter("a", "button"):
        cls = (el.get("class") or "").lower()
        href = el.get("href") or ""
        if (
            "btn" in cls
            or "button" in cls
            or "cta" in cls
            or href.startswith(("mailto:", "tel:", "#contact"))
        ):
            return True
    return False


def check_guidelines(page: LoadedPage, guidelines: str, company: dict[str, Any] | None) -> list[Check]:
    """One check per machine-checkable rule in `guidelines` (none when it has no such rule)."""
    checks: list[Check] = []
    for rule in parse_guideline_rules(guidelines):
        if rule.kind == "banned_words":
            check = Check("banned_words", "guidelines", 1.0)
            used = [w for w in rule.words if _contains_phrase(page.text, w)]
            for w in used:
                check.fail(f"The page uses the banned word {w!r} (guideline: {rule.line!r}); rephrase it.")
            if not used:
                check.ok(f"None of the banned words ({', '.join(rule.words)}) appear.")
            check.score = 1.0 - len(used) / len(rule.words) if rule.words else 1.0
        elif rule.kind == "required_words":
            check = Check("required_words", "guidelines", 1.0)
            missing = [w for w in rule.words if not _contains_phrase(page.text, w)]
            for w in missing:
                check.fail(f"The page never mentions {w!r} (guideline: {rule.line!r}).")
            if not missing:
                check.ok(f"All required words ({', '.join(rule.words)}) appear.")
            check.score = 1.0 - len(missing) / len(rule.words) if rule.words else 1.0
        elif rule.kind == "call_to_action":
            check = Check("call_to_action", "guidelines", 1.0)
            if _has_call_to_action(page):
                check.ok("The page has a call to action (a button, contact link or form).")
            else:
                check.fail(
                    f"No call to action found (guideline: {rule.line!r}): add a button or contact form."
                )
                check.score = 0.0
        else:
            check = Check("company_name", "guidelines", 1.0)
            name = str((company or {}).get("name") or "").strip()
            if not name:
                check.ok("Company name rule skipped: no company name was given to the check.")
            elif _contains_phrase(page.text, name):
                check.ok(f"The page mentions the company name {name!r}.")
            else:
                check.fail(f"The page never mentions the company name {name!r} (guideline: {rule.line!r}).")
                check.score = 0.0
        checks.append(check)
    return checks

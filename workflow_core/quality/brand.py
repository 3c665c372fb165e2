"""Brand: the page keeps the guidelines' machine-checkable rules (`guidelines.parse_guideline_rules`) and has a
section for each design step that names one (`sections`). The axis is the mean of its checks' scores; a
guideline with no rule this module can read, and a design step that only advises, ask for nothing."""

from __future__ import annotations

import re
from typing import Any

from workflow_core.page.checks.common import LoadedPage
from workflow_core.quality.claims import plain
from workflow_core.quality.guidelines import GuidelineRule, parse_guideline_rules
from workflow_core.quality.model import AxisResult, score_of_checks
from workflow_core.quality.sections import page_signals, section_present, step_section
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import PageText, finding
from workflow_core.records import QAFinding

AXIS = "brand"
LONG_SENTENCE = 30  # words: what "short sentences" rules out
_HYPE = re.compile(
    r"\b(?:revolutionary|revolutioni[sz]e|game[- ]chang\w*|cutting[- ]edge|world[- ]class|best[- ]in[- ]class"
    r"|state[- ]of[- ]the[- ]art|next[- ]gen\w*|unparall?el+ed|unrivall?ed|unmatched|unbeatable|ultimate"
    r"|incredible|amazing|awesome|ground[- ]?breaking|disruptive|synergy|seamless(?:ly)?|premier"
    r"|(?:industry|market|world)[- ]leading|second to none|transformative|supercharge\w*|skyrocket\w*)\b",
    re.I,
)
_US_SPELLING = re.compile(
    r"\b(?:(?:colo|favo|behavio|hono|labo|neighbo|flavo|humo|rumo|vapo)r(?:s|ed|ing|ful|able)?"
    r"|(?:organi|optimi|analy|priori|minimi|maximi|customi|reali|recogni|utili|standardi|digiti|summari"
    r"|categori|authori|speciali|moderni)z(?:e|es|ed|ing|ation|ations)"
    r"|cent(?:er|ers|ered)|defense|catalog|fulfill|enroll)\b",
    re.I,
)


def _contains_phrase(text: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, re.IGNORECASE) is not None


def _has_call_to_action(page: LoadedPage) -> bool:
    if page.root.find(".//form") is not None:
        return True
    for el in page.root.iter("a", "button"):
        cls = (el.get("class") or "").lower()
        href = el.get("href") or ""
        if any(w in cls for w in ("btn", "button", "cta")) or href.startswith(
            ("mailto:", "tel:", "#contact")
        ):
            return True
    return False


def _sentences_matching(text: PageText, pattern: re.Pattern[str]) -> list[str]:
    return [s for _, s in text.sentences if pattern.search(s)]


def _rule_check(
    rule: GuidelineRule, loaded: LoadedPage, text: PageText, company: dict[str, Any]
) -> tuple[float, list[QAFinding]]:
    """One guideline rule: its score in [0, 1] and its findings."""
    kind, line = rule.kind, rule.line
    if kind in ("banned_words", "required_words"):
        banned = kind == "banned_words"
        hits = [w for w in rule.words if _contains_phrase(loaded.text, w)]
        bad = hits if banned else [w for w in rule.words if w not in hits]
        out = []
        for w in bad:
            where = next((s for _, s in text.sentences if _contains_phrase(s, w)), "") if banned else ""
            message = f"The page uses the banned word {w!r}" if banned else f"The page never mentions {w!r}"
            out.append(finding(AXIS, kind, False, f"{message} (guideline: {line!r}).", where))
        if not bad:
            out.append(
                finding(
                    AXIS,
                    kind,
                    True,
                    f"{'None' if banned else 'All'} of the "
                    f"{'banned' if banned else 'required'} words ({', '.join(rule.words)}) appear.",
                )
            )
        return (1.0 - len(bad) / len(rule.words) if rule.words else 1.0), out
    if kind == "call_to_action":
        if not _has_call_to_action(loaded):
            return 0.0, [
                finding(
                    AXIS,
                    kind,
                    False,
                    f"No call to action found (guideline: {line!r}): add a button or contact form.",
                )
            ]
        wording = rule.words[0] if rule.words else ""
        actions = [b.text for b in text.blocks if b.tag in ("a", "button")]
        if wording and not any(plain(wording) in plain(a) for a in actions):
            return 0.5, [
                finding(
                    AXIS,
                    "cta_wording",
                    False,
                    f"No button or link says {wording!r} (guideline: {line!r}).",
                    " | ".join(actions[:6]),
                )
            ]
        return 1.0, [
            finding(
                AXIS,
                kind,
                True,
                "The page has a call to action" + (f" saying {wording!r}." if wording else "."),
            )
        ]
    if kind == "company_name":
        name = str(company.get("name") or "").strip()
        if name and not _contains_phrase(loaded.text, name):
            return 0.0, [
                finding(
                    AXIS,
                    kind,
                    False,
                    f"The page never mentions the company name {name!r} (guideline: {line!r}).",
                )
            ]
        return 1.0, [finding(AXIS, kind, True, f"The page mentions the company name {name!r}.")]
    if kind == "address_you":
        ok = re.search(r"\byou(?:r|rs)?\b", loaded.text, re.I) is not None
        return float(ok), [
            finding(
                AXIS,
                kind,
                ok,
                "The page speaks to the visitor as 'you'."
                if ok
                else f"The page never says 'you' (guideline: {line!r}).",
            )
        ]
    pattern = {"no_exclamation": re.compile(r"!"), "no_hype": _HYPE, "british_spelling": _US_SPELLING}.get(
        kind
    )
    if pattern is not None:
        bad = _sentences_matching(text, pattern)
    else:  # short_sentences
        bad = [s for _, s in text.sentences if len(s.split()) > LONG_SENTENCE]
    what = {
        "no_exclamation": "an exclamation mark",
        "no_hype": "hype",
        "british_spelling": "American spelling",
        "short_sentences": f"a sentence over {LONG_SENTENCE} words",
    }[kind]
    out = [finding(AXIS, kind, False, f"The page uses {what} (guideline: {line!r}).", s) for s in bad]
    if not out:
        out.append(
            finding(
                AXIS, kind, True, f"No {what.removeprefix('an ').removeprefix('a ')} (guideline: {line!r})."
            )
        )
    return max(0.0, 1.0 - 0.34 * len(bad)), out


def _section_checks(loaded: LoadedPage, steps: list[str]) -> tuple[float, list[QAFinding]] | None:
    signals = page_signals(loaded)
    asked = [(step, key) for step in steps if (key := step_section(step)) is not None]
    out = [
        finding(
            AXIS, "design_steps", True, f"Design step {step!r} names no section: advice, not a requirement."
        )
        for step in steps
        if step_section(step) is None
    ]
    if not asked:
        return None if not out else (1.0, out)
    present = 0
    for step, key in asked:
        if section_present(key, loaded, signals):
            present += 1
            out.append(finding(AXIS, "design_steps", True, f"Design step {step!r} has its {key} section."))
        else:
            out.append(
                finding(
                    AXIS,
                    "design_steps",
                    False,
                    f"Design step {step!r} has no {key} section: add a "
                    f"<section> with an id, class or heading naming it (e.g. id={key!r}).",
                )
            )
    return present / len(asked), out


def check_brand(loaded: LoadedPage, text: PageText, sources: Sources) -> AxisResult | None:
    """The guidelines' rules and the named design-step sections; None when there is neither to check."""
    checks: list[tuple[float, float]] = []
    findings: list[QAFinding] = []
    for rule in parse_guideline_rules(sources.guidelines):
        score, found = _rule_check(rule, loaded, text, sources.company)
        checks.append((score, 1.0))
        findings.extend(found)
    sections = _section_checks(loaded, sources.design_steps) if sources.design_steps else None
    if sections is not None:
        checks.append((sections[0], 1.0))
        findings.extend(sections[1])
    if not checks:
        return None
    return AxisResult(axis=AXIS, score=round(score_of_checks(checks), 4), findings=findings)

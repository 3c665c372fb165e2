"""Structure: does the page parse as HTML5, and has it a section for every step of the design?"""

from __future__ import annotations

import re

import html5lib
from html5lib.constants import E as HTML5LIB_MESSAGES

from workflow_core.page.checks.common import Check, LoadedPage, text_of
from workflow_core.page.words import STOPWORDS


def check_parse(html: str) -> list[Check]:
    """The HTML5 parse errors of the page (the first eight named), each costing a tenth of the score."""
    check = Check("html5", "parse", 1.0)
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(html)
    errors = parser.errors
    for (line, col), code, data in errors[:8]:
        try:
            detail = (HTML5LIB_MESSAGES.get(code, code) % (data or {})).rstrip(".")
        except (TypeError, KeyError, ValueError):
            detail = code
        check.fail(f"HTML parse error at line {line}, column {col}: {detail}.")
    if len(errors) > 8:
        check.fail(f"... and {len(errors) - 8} more HTML parse errors.")
    if not errors:
        check.ok("The page parses as HTML5 without errors.")
    check.score = max(0.0, 1.0 - 0.1 * len(errors))
    return [check]


# Section keywords: what a design step names -> words that show the section exists in the page.
SECTION_SIGNALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # key: (words in a design step that mean this section, words in the page that show it)
    "header": (
        ("header", "navigation", "nav bar", "navbar", "logo", "menu"),
        ("header", "nav", "navbar", "menu"),
    ),
    "hero": (("hero", "banner", "above the fold", "headline", "jumbotron"), ("hero", "banner", "jumbotron")),
    "offerings": (
        ("offering", "service", "product", "solution", "feature"),
        ("offering", "service", "product", "solution", "feature", "what we offer"),
    ),
    "pain_points": (
        ("pain point", "pain-point", "challenge", "problem"),
        ("pain", "challenge", "problem", "struggle", "sound familiar"),
    ),
    "testimonials": (
        ("testimonial", "review", "social proof", "quote", "customers say"),
        ("testimonial", "review", "quote", "customers say", "what our"),
    ),
    "cta": (
        ("call to action", "call-to-action", "cta", "contact", "get in touch", "sign up", "form"),
        ("cta", "contact", "get in touch", "call-to-action", "book", "talk"),
    ),
    "about": (("about", "intro", "story", "mission"), ("about", "intro", "story", "mission")),
    "footer": (("footer",), ("footer",)),
}


def _page_signals(page: LoadedPage) -> str:
    """Lower-case text of what names sections: landmark tags, ids, classes, headings, labels."""
    parts: list[str] = []
    for el in page.root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ("header", "nav", "main", "footer", "form", "blockquote", "section", "aside"):
            parts.append(el.tag)
        for attr in ("id", "class", "aria-label", "role", "href"):
            if el.get(attr):
                parts.append(el.get(attr).replace("-", " ").replace("_", " "))
        if el.tag in ("h1", "h2", "h3", "h4", "button") or (
            el.tag == "a" and "btn" in (el.get("class") or "")
        ):
            parts.append(text_of(el))
    return " ".join(parts).lower()


def _section_present(key: str, page: LoadedPage, signals: str) -> bool:
    root = page.root
    if key == "header":
        return root.find(".//header") is not None or root.find(".//nav") is not None or "header" in signals
    if key == "footer":
        return root.find(".//footer") is not None or "footer" in signals
    if key == "hero":
        return any(w in signals for w in SECTION_SIGNALS["hero"][1]) or root.find(".//h1") is not None
    contact_link = any((a.get("href") or "").startswith(("mailto:", "tel:")) for a in root.iter("a"))
    if key == "cta" and (root.find(".//form") is not None or contact_link):
        return True
    if key == "testimonials" and root.find(".//blockquote") is not None:
        return True
    return any(w in signals for w in SECTION_SIGNALS[key][1])


def _step_key(step: str) -> str | None:
    low = step.lower()
    best: tuple[int, str] | None = None
    for key, (step_words, _) in SECTION_SIGNALS.items():
        for word in step_words:
            pos = low.find(word)
            if pos != -1 and (best is None or pos < best[0]):
                best = (pos, key)
    return best[1] if best else None


def check_sections(page: LoadedPage, design_steps: list[str]) -> list[Check]:
    """Whether each design step has a section in the page (by landmark, id, class or heading)."""
    check = Check("design_steps", "sections", 1.0)
    signals = _page_signals(page)
    present = 0
    for step in design_steps:
        key = _step_key(step)
        if key is not None:
            found = _section_present(key, page, signals)
        else:
            words = [w for w in re.findall(r"[a-z]{4,}", step.lower()) if w not in STOPWORDS]
            found = not words or any(w in signals for w in words)
        if found:
            present += 1
            check.ok(f"Design step {step!r} has a matching section.")
        else:
            check.fail(
                f"Design step {step!r} has no matching section: add a <section> with an id, class or heading "
                f"naming it{f' (e.g. id={key!r})' if key else ''}."
            )
    check.score = present / len(design_steps) if design_steps else 1.0
    return [check]

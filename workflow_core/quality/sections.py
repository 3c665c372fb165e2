"""Design steps as sections: a step that names a section (header, hero, offerings, pain points, testimonials,
call to action / contact, about, FAQ, footer) asks for it, and the page has it when a landmark, id, class or
heading shows it, whatever the markup (our design system or any third-party page). A step that names no
section, or only advises ("Consider incorporating subtle animations"), asks for nothing."""

from __future__ import annotations

import re
from typing import Any

from workflow_core.page.checks.common import LoadedPage, text_of

# key: (words in a design step that name this section, words in the page that show it)
SECTION_SIGNALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "header": (("header", "navigation", "nav bar", "navbar"), ("header", "nav", "navbar", "menu")),
    "hero": (("hero", "banner", "above the fold", "jumbotron"), ("hero", "banner", "jumbotron")),
    "offerings": (
        ("offering", "offerings", "service", "services", "products", "solutions"),
        ("offering", "service", "product", "solution", "feature", "what we offer", "what we do"),
    ),
    "pain_points": (
        ("pain point", "pain points", "pain-point", "pain-points", "challenges", "problems"),
        ("pain", "challenge", "problem", "struggle", "sound familiar"),
    ),
    "testimonials": (
        ("testimonial", "testimonials", "social proof", "customer quotes", "reviews", "case studies"),
        ("testimonial", "review", "quote", "customers say", "what our", "clients say", "case stud"),
    ),
    "cta": (
        ("call to action", "call-to-action", "cta", "contact", "get in touch", "sign up", "sign-up"),
        ("cta", "contact", "get in touch", "call-to-action", "book", "talk", "enquir", "quote"),
    ),
    "about": (
        ("about us", "about section", "our story", "mission"),
        ("about", "story", "mission", "who we are"),
    ),
    "faq": (("faq", "faqs", "frequently asked", "questions"), ("faq", "frequently asked", "questions")),
    "footer": (("footer",), ("footer",)),
}
# Steps that advise rather than ask ("Consider incorporating subtle animations", "you could add a FAQ").
_ADVICE = re.compile(
    r"^\s*(?:consider|perhaps|maybe|optionally|try|think about|if possible)\b|\b(?:could|might)\b", re.I
)


# What names each section in a step, as one whole-word pattern per section.
_STEP_NAMES = {
    key: re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
    for key, (words, _) in SECTION_SIGNALS.items()
}


def _first_named(text: str) -> str | None:
    """The section `text` names first, or None."""
    hits = [(m.start(), key) for key, pattern in _STEP_NAMES.items() if (m := pattern.search(text))]
    return min(hits)[1] if hits else None


def step_section(step: str) -> str | None:
    """The section a design step asks for, or None when it names none or only advises. A step written
    `Name: what goes there` is read by its name first ("Client results: two testimonials" asks for
    testimonials)."""
    low = step.lower()
    label, colon, _ = low.partition(":")
    if colon and len(label.split()) <= 4 and (key := _first_named(label)):
        return key
    return None if _ADVICE.search(low) else _first_named(low)


def page_signals(page: LoadedPage) -> str:
    """Lower-case text of what names sections: landmark tags, ids, classes, headings, labels."""
    parts: list[str] = []
    for el in page.root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ("header", "nav", "main", "footer", "form", "blockquote", "section", "aside", "details"):
            parts.append(el.tag)
        for attr in ("id", "class", "aria-label", "role", "href"):
            if el.get(attr):
                parts.append(el.get(attr).replace("-", " ").replace("_", " "))
        if el.tag in ("h1", "h2", "h3", "h4", "button", "summary") or (
            el.tag == "a" and "btn" in (el.get("class") or "")
        ):
            parts.append(text_of(el))
    return " ".join(parts).lower()


def section_present(key: str, page: LoadedPage, signals: str) -> bool:
    root: Any = page.root
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
    if key == "faq" and root.find(".//details") is not None:
        return True
    return any(w in signals for w in SECTION_SIGNALS[key][1])

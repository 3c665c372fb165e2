"""Automatic checks of a generated page: does it parse, has it the sections the design asked for, is it
accessible (WCAG contrast from its CSS included), do its assets resolve, does it follow the written
guidelines, and is it personalised to the visitor?

Every finding says what was checked and, when it failed, where and what to change.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import html5lib
from html5lib.constants import E as HTML5LIB_MESSAGES
from lxml import etree
from pydantic import BaseModel, Field

from workflow_core.page.colour import AA_LARGE, AA_NORMAL, COLOR_TOKEN, contrast_ratio
from workflow_core.page.site import parse_html
from workflow_core.run.records import Passage, QAFinding

# How much each category counts towards the overall score.
CATEGORY_WEIGHTS: dict[str, float] = {
    "parse": 1.0,
    "sections": 1.5,
    "accessibility": 2.0,
    "assets": 1.0,
    "guidelines": 1.0,
    "personalisation": 1.5,
}


class QAReport(BaseModel):
    """The result of `check_page`: overall score in [0, 1], every finding, and one score per category run."""

    score: float
    findings: list[QAFinding] = Field(default_factory=list)
    category_scores: dict[str, float] = Field(default_factory=dict)

    @property
    def failures(self) -> list[QAFinding]:
        return [f for f in self.findings if not f.passed]


# ---------------------------------------------------------------- CSS


@dataclass
class CssRule:
    selector: str
    declarations: dict[str, str]
    source: str  # "style" or "inline"


def _strip_css_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)


def parse_css_rules(css: str) -> list[CssRule]:
    """Flat style rules of a stylesheet (rules inside @media/@supports included, other at-rules skipped)."""
    css = _strip_css_comments(css)
    rules: list[CssRule] = []
    i, n = 0, len(css)
    while i < n:
        brace = css.find("{", i)
        if brace == -1:
            break
        prelude = css[i:brace].strip()
        depth, j = 1, brace + 1
        while j < n and depth:
            if css[j] == "{":
                depth += 1
            elif css[j] == "}":
                depth -= 1
            j += 1
        body = css[brace + 1 : j - 1]
        # a stray ';'-terminated at-rule (@import, @charset) may sit in front of the prelude
        prelude = prelude.rsplit(";", 1)[-1].strip()
        if prelude.startswith("@"):
            if re.match(r"@(media|supports|layer|container)\b", prelude):
                rules.extend(parse_css_rules(body))
        elif prelude:
            decls = parse_declarations(body)
            for selector in prelude.split(","):
                rules.append(CssRule(" ".join(selector.split()), dict(decls), "style"))
        i = j
    return rules


def parse_declarations(body: str) -> dict[str, str]:
    decls: dict[str, str] = {}
    for part in re.split(r";(?![^(]*\))", body):
        if ":" not in part:
            continue
        name, value = part.split(":", 1)
        value = re.sub(r"\s*!important\s*$", "", value.strip(), flags=re.IGNORECASE)
        if name.strip():
            decls[name.strip().lower()] = value
    return decls


def _resolve_vars(value: str, variables: dict[str, str], depth: int = 0) -> str:
    if "var(" not in value or depth > 8:
        return value

    def sub(m: re.Match[str]) -> str:
        name, fallback = m.group(1).strip(), (m.group(2) or "").strip()
        return variables.get(name, fallback)

    return _resolve_vars(
        re.sub(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*))?\)", sub, value), variables, depth + 1
    )


def _background_colour(decls: dict[str, str]) -> str | None:
    for key in ("background-color", "background"):
        value = decls.get(key)
        if not value:
            continue
        if "url(" in value and key == "background":
            return None  # an image behind the text: its contrast cannot be computed from the CSS
        tokens = COLOR_TOKEN.findall(value)
        if "gradient" in value:
            # judge text against the stop it contrasts least with; the caller picks the worst
            return "|".join(tokens) if tokens else None
        if tokens:
            return tokens[-1] if key == "background" else tokens[0]
    return None


def _font_size_px(decls: dict[str, str]) -> float | None:
    m = re.match(r"([\d.]+)(px|rem|em)", decls.get("font-size", ""))
    if not m:
        return None
    return float(m.group(1)) * (16 if m.group(2) in ("rem", "em") else 1)


# ---------------------------------------------------------------- page model


@dataclass
class _Page:
    html: str
    tree: etree._ElementTree
    root: Any
    text: str
    rules: list[CssRule] = field(default_factory=list)


def _text_of(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


def _visible_text(root: Any) -> str:
    parts: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "template"):
            continue
        if el.text and el.tag not in ("script", "style"):
            parts.append(el.text)
        for attr in ("alt", "aria-label", "title", "placeholder", "content"):
            if el.get(attr) and el.tag != "meta":
                parts.append(el.get(attr))
    for el in root.iter():
        if el.tail and isinstance(el.tag, str):
            parts.append(el.tail)
    return " ".join(" ".join(parts).split())


def _load(html: str) -> _Page:
    tree = parse_html(html)
    root = tree.getroot()
    rules: list[CssRule] = []
    for style in root.iter("style"):
        rules.extend(parse_css_rules(style.text or ""))
    return _Page(html=html, tree=tree, root=root, text=_visible_text(root), rules=rules)


def _describe(el: Any) -> str:
    bits = [el.tag]
    if el.get("id"):
        bits.append(f"#{el.get('id')}")
    if el.get("class"):
        bits.append("." + ".".join(el.get("class").split()))
    return "".join(bits)


def _short(value: str, limit: int = 60) -> str:
    value = value.strip()
    if value.startswith("data:"):
        return value[: min(limit, value.find(",") + 1 if "," in value else limit)] + "…"
    return value if len(value) <= limit else value[: limit - 1] + "…"


# ---------------------------------------------------------------- checks


@dataclass
class _Check:
    """One check of a category: a score in [0, 1], its weight, and its findings."""

    name: str
    category: str
    weight: float = 1.0
    findings: list[QAFinding] = field(default_factory=list)
    score: float = 1.0

    def _record(self, passed: bool, message: str) -> None:
        check = f"{self.category}.{self.name}"
        self.findings.append(
            QAFinding(check=check, category=self.category, passed=passed, message=message, weight=self.weight)
        )

    def ok(self, message: str) -> None:
        self._record(True, message)

    def fail(self, message: str) -> None:
        self._record(False, message)


def _check_parse(html: str) -> list[_Check]:
    check = _Check("html5", "parse", 1.0)
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
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "section",
        "that",
        "the",
        "their",
        "this",
        "to",
        "with",
        "your",
        "you",
        "we",
        "us",
        "will",
        "can",
        "should",
        "must",
        "include",
        "includes",
        "including",
        "show",
        "shows",
        "showing",
        "display",
        "list",
        "page",
        "website",
        "site",
        "using",
        "use",
        "each",
        "all",
        "any",
        "more",
        "most",
        "some",
        "such",
        "than",
        "then",
        "them",
        "they",
        "when",
        "what",
        "which",
        "who",
        "how",
        "why",
        "not",
        "but",
        "also",
        "very",
        "just",
        "about",
        "over",
        "after",
        "before",
        "per",
        "was",
        "were",
        "been",
        "being",
        "does",
        "did",
        "out",
        "there",
        "here",
    ]
)


def _page_signals(page: _Page) -> str:
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
            parts.append(_text_of(el))
    return " ".join(parts).lower()


def _section_present(key: str, page: _Page, signals: str) -> bool:
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


def _check_sections(page: _Page, design_steps: list[str]) -> list[_Check]:
    check = _Check("design_steps", "sections", 1.0)
    signals = _page_signals(page)
    present = 0
    for step in design_steps:
        key = _step_key(step)
        if key is not None:
            found = _section_present(key, page, signals)
        else:
            words = [w for w in re.findall(r"[a-z]{4,}", step.lower()) if w not in _STOPWORDS]
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


def _check_lang_title(page: _Page) -> list[_Check]:
    lang = _Check("lang", "accessibility", 1.0)
    if (page.root.get("lang") or "").strip():
        lang.ok(f"<html lang={page.root.get('lang')!r}> is set.")
    else:
        lang.fail(
            'The <html> element has no lang attribute: add e.g. <html lang="en"> so screen readers '
            "pick the right voice."
        )
        lang.score = 0.0
    title = _Check("title", "accessibility", 1.0)
    el = page.root.find(".//title")
    if el is not None and _text_of(el):
        title.ok(f"The page has a <title>: {_text_of(el)!r}.")
    else:
        title.fail("The page has no (or an empty) <title>: add one inside <head> describing the page.")
        title.score = 0.0
    return [lang, title]


def _is_hidden(el: Any) -> bool:
    return el.get("aria-hidden") == "true" or (el.get("role") or "") in ("presentation", "none")


def _check_alt(page: _Page) -> _Check:
    check = _Check("alt_text", "accessibility", 2.0)
    imgs = list(page.root.iter("img"))
    bad = 0
    for i, img in enumerate(imgs, 1):
        src = _short(img.get("src") or "")
        alt = img.get("alt")
        if alt is None:
            bad += 1
            check.fail(
                f'img #{i} (src={src}) has no alt text: add alt describing the image, or alt="" '
                'with role="presentation" if it is decorative.'
            )
        elif not alt.strip() and not _is_hidden(img):
            bad += 1
            check.fail(
                f"img #{i} (src={src}) has an empty alt but is not marked decorative: describe it, or "
                'add role="presentation".'
            )
    if imgs and not bad:
        check.ok(f"All {len(imgs)} images have alt text.")
    if not imgs:
        check.ok("The page has no <img> elements.")
    check.score = 1.0 - bad / len(imgs) if imgs else 1.0
    return check


def _check_headings(page: _Page) -> _Check:
    check = _Check("heading_order", "accessibility", 1.5)
    headings = [el for el in page.root.iter() if isinstance(el.tag, str) and re.fullmatch(r"h[1-6]", el.tag)]
    problems = 0
    h1s = [h for h in headings if h.tag == "h1"]
    if len(h1s) != 1:
        problems += 1
        check.fail(f"The page has {len(h1s)} <h1> elements; it should have exactly one (the main headline).")
    previous = 0
    for h in headings:
        level = int(h.tag[1])
        if previous and level > previous + 1:
            problems += 1
            check.fail(
                f"Heading level skipped: <{h.tag}> {_short(_text_of(h), 40)!r} follows an <h{previous}>; use "
                f"<h{previous + 1}> or restyle it with CSS instead."
            )
        elif not previous and level != 1:
            problems += 1
            check.fail(f"The first heading is <{h.tag}> {_short(_text_of(h), 40)!r}; start with an <h1>.")
        previous = level
    if not problems:
        check.ok(f"Headings are in order ({len(headings)} headings, one h1).")
    check.score = max(0.0, 1.0 - 0.34 * problems)
    return check


def _check_landmarks(page: _Page) -> _Check:
    check = _Check("landmarks", "accessibility", 1.0)
    roles = {"header": "banner", "nav": "navigation", "main": "main", "footer": "contentinfo"}
    missing = []
    for tag, role in roles.items():
        if page.root.find(f".//{tag}") is None and page.root.find(f".//*[@role='{role}']") is None:
            missing.append(tag)
            check.fail(f"No <{tag}> landmark (or role={role!r}): wrap that part of the page in <{tag}>.")
    if not missing:
        check.ok("The page has header, nav, main and footer landmarks.")
    check.score = 1.0 - len(missing) / len(roles)
    return check


def _check_labels(page: _Page) -> _Check:
    check = _Check("form_labels", "accessibility", 1.0)
    label_for = {lab.get("for") for lab in page.root.iter("label") if lab.get("for")}
    fields = []
    for el in page.root.iter("input", "select", "textarea"):
        if el.tag == "input" and (el.get("type") or "text").lower() in (
            "hidden",
            "submit",
            "button",
            "reset",
            "image",
        ):
            continue
        fields.append(el)
    bad = 0
    for el in fields:
        labelled = (
            (el.get("id") and el.get("id") in label_for)
            or any(a.tag == "label" for a in el.iterancestors())
            or (el.get("aria-label") or "").strip()
            or el.get("aria-labelledby")
            or (el.get("title") or "").strip()
        )
        if not labelled:
            bad += 1
            check.fail(
                f"Form field {_describe(el)} (name={el.get('name')!r}) has no label: add "
                f'<label for="{el.get("id") or "its-id"}"> or aria-label.'
            )
    if fields and not bad:
        check.ok(f"All {len(fields)} form fields have labels.")
    if not fields:
        check.ok("The page has no form fields.")
    check.score = 1.0 - bad / len(fields) if fields else 1.0
    return check


def _merged_rules(page: _Page) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    variables: dict[str, str] = {}
    for rule in page.rules:
        merged.setdefault(rule.selector, {}).update(rule.declarations)
        for k, v in rule.declarations.items():
            if k.startswith("--"):
                variables[k] = v
    for _ in range(3):  # variables may name variables
        variables = {k: _resolve_vars(v, variables) for k, v in variables.items()}
    resolved = {
        sel: {k: _resolve_vars(v, variables) for k, v in decls.items() if not k.startswith("--")}
        for sel, decls in merged.items()
    }
    return resolved, variables


def _worst_contrast(fg: str, bg_spec: str) -> tuple[float, str]:
    results = []
    for bg in bg_spec.split("|"):
        try:
            results.append((contrast_ratio(fg, bg), bg))
        except ValueError:
            continue
    return min(results) if results else (21.0, bg_spec)


def _check_contrast(page: _Page) -> _Check:
    check = _Check("contrast", "accessibility", 2.0)
    rules, _ = _merged_rules(page)
    body_decls = {**rules.get("html", {}), **rules.get(":root", {}), **rules.get("body", {})}
    body_bg = _background_colour(body_decls) or "#ffffff"
    body_bg = body_bg.split("|")[0]
    pairs: list[tuple[str, str, str, float | None]] = []  # where, fg, bg, font size
    backgrounds = {sel: bg for sel, d in rules.items() if (bg := _background_colour(d))}

    def context_bg(selector: str) -> str:
        parts = selector.replace(">", " ").replace("+", " ").replace("~", " ").split()
        for i in range(len(parts) - 1, 0, -1):
            ancestor = parts[i - 1]
            if ancestor in backgrounds:
                return backgrounds[ancestor]
        return body_bg

    for selector, decls in rules.items():
        colour = decls.get("color")
        if not colour or not COLOR_TOKEN.fullmatch(colour.strip()):
            continue
        bg = backgrounds.get(selector) or context_bg(selector)
        pairs.append((f"CSS rule '{selector}'", colour.strip(), bg, _font_size_px(decls)))
    if "color" not in body_decls:
        pairs.append(("body (default text colour)", "#000000", body_bg, None))
    for el in page.root.iter():
        if not isinstance(el.tag, str) or not el.get("style"):
            continue
        decls = parse_declarations(el.get("style"))
        colour = decls.get("color")
        if colour and COLOR_TOKEN.fullmatch(colour.strip()):
            bg = _background_colour(decls) or body_bg
            pairs.append((f"inline style on {_describe(el)}", colour.strip(), bg, _font_size_px(decls)))
    bad = 0
    for where, fg, bg, size in pairs:
        try:
            ratio, worst_bg = _worst_contrast(fg, bg)
        except ValueError:
            continue
        need = AA_LARGE if size is not None and size >= 24 else AA_NORMAL
        if ratio < need:
            bad += 1
            check.fail(
                f"Low contrast in {where}: text {fg} on {worst_bg} is {ratio:.2f}:1, below WCAG AA {need}:1; "
                "darken the text or lighten the background."
            )
    if pairs and not bad:
        check.ok(f"All {len(pairs)} text/background colour pairs found in the CSS meet WCAG AA.")
    check.score = 1.0 - bad / len(pairs) if pairs else 1.0
    return check


def _check_accessibility(page: _Page) -> list[_Check]:
    return [
        *_check_lang_title(page),
        _check_alt(page),
        _check_headings(page),
        _check_landmarks(page),
        _check_labels(page),
        _check_contrast(page),
    ]


_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)", re.IGNORECASE)


def _check_assets(page: _Page, available_files: set[str] | None) -> list[_Check]:
    check = _Check("references", "assets", 1.0)
    refs: list[tuple[str, str]] = []
    for i, img in enumerate(page.root.iter("img"), 1):
        refs.append((f"img #{i}", img.get("src") or ""))
    for el in page.root.iter("script", "link", "source", "video", "audio", "iframe"):
        ref = el.get("src") or (el.get("href") if el.tag == "link" else None)
        if ref is not None:
            refs.append((f"<{el.tag}>", ref))
    for style in page.root.iter("style"):
        refs.extend(("CSS url()", m.group(2)) for m in _CSS_URL.finditer(style.text or ""))
    for el in page.root.iter():
        if isinstance(el.tag, str) and el.get("style"):
            refs.extend(
                (f"inline style on {_describe(el)}", m.group(2)) for m in _CSS_URL.finditer(el.get("style"))
            )
    files = {f.lstrip("./") for f in available_files} if available_files is not None else None
    bad = 0
    for where, ref in refs:
        ref = ref.strip()
        if ref.startswith("data:") or ref.startswith("#"):
            continue
        if not ref:
            bad += 1
            check.fail(
                f"{where} has an empty reference: point it at an image (a data: URI for a "
                "self-contained page)."
            )
        elif re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.IGNORECASE):
            bad += 1
            check.fail(
                f"{where} loads {_short(ref)} from the network: inline it as a data: URI so the page "
                "works offline and does not leak the visitor to a third party."
            )
        elif files is None or ref.split("?")[0].split("#")[0].lstrip("./") not in files:
            bad += 1
            check.fail(
                f"{where} references {_short(ref)!r}, which is not a file of this site: inline "
                "the image or add the file."
            )
    if not bad:
        check.ok(f"All {len(refs)} asset references resolve.")
    check.score = 1.0 - bad / len(refs) if refs else 1.0
    return [check]


@dataclass
class GuidelineRule:
    kind: str  # banned_words | required_words | call_to_action | company_name
    words: list[str] = field(default_factory=list)
    line: str = ""


def parse_guideline_rules(guidelines: str) -> list[GuidelineRule]:
    """Machine-checkable rules in free-text guidelines: "banned words: a, b", "required words: ...",
    "always include a call to action", "mention the company name"."""
    rules: list[GuidelineRule] = []
    for raw in guidelines.splitlines():
        line = raw.strip().lstrip("-*• ").strip()
        low = line.lower()
        m = re.match(
            r"(banned|forbidden|avoid(?:ed)?|never use|do not use|don't use)( the)?"
            r"( words?| terms?| phrases?)?\s*:\s*(.+)",
            low,
        )
        if m:
            words = [w.strip(" \"'“”.") for w in re.split(r"[,;]", line[m.start(4) :])]
            rules.append(GuidelineRule("banned_words", [w for w in words if w], line))
            continue
        m = re.match(
            r"(required|must mention|always mention|must use)( the)?( words?| terms?| phrases?)?\s*:\s*(.+)",
            low,
        )
        if m:
            words = [w.strip(" \"'“”.") for w in re.split(r"[,;]", line[m.start(4) :])]
            rules.append(GuidelineRule("required_words", [w for w in words if w], line))
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


def _has_call_to_action(page: _Page) -> bool:
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


def _check_guidelines(page: _Page, guidelines: str, company: dict[str, Any] | None) -> list[_Check]:
    checks: list[_Check] = []
    for rule in parse_guideline_rules(guidelines):
        if rule.kind == "banned_words":
            check = _Check("banned_words", "guidelines", 1.0)
            used = [w for w in rule.words if _contains_phrase(page.text, w)]
            for w in used:
                check.fail(f"The page uses the banned word {w!r} (guideline: {rule.line!r}); rephrase it.")
            if not used:
                check.ok(f"None of the banned words ({', '.join(rule.words)}) appear.")
            check.score = 1.0 - len(used) / len(rule.words) if rule.words else 1.0
        elif rule.kind == "required_words":
            check = _Check("required_words", "guidelines", 1.0)
            missing = [w for w in rule.words if not _contains_phrase(page.text, w)]
            for w in missing:
                check.fail(f"The page never mentions {w!r} (guideline: {rule.line!r}).")
            if not missing:
                check.ok(f"All required words ({', '.join(rule.words)}) appear.")
            check.score = 1.0 - len(missing) / len(rule.words) if rule.words else 1.0
        elif rule.kind == "call_to_action":
            check = _Check("call_to_action", "guidelines", 1.0)
            if _has_call_to_action(page):
                check.ok("The page has a call to action (a button, contact link or form).")
            else:
                check.fail(
                    f"No call to action found (guideline: {rule.line!r}): add a button or contact form."
                )
                check.score = 0.0
        else:
            check = _Check("company_name", "guidelines", 1.0)
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


PROFILE_FIELDS = (
    "name",
    "first_name",
    "full_name",
    "company",
    "industry",
    "role",
    "job_title",
    "location",
    "city",
    "country",
    "region",
    "interests",
    "goals",
)


def _profile_values(profile: dict[str, Any]) -> list[tuple[str, str]]:
    flat: dict[str, Any] = {}
    for k, v in profile.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                flat.setdefault(str(k2).lower(), v2)
        else:
            flat[str(k).lower()] = v
    values: list[tuple[str, str]] = []
    for key in PROFILE_FIELDS:
        v = flat.get(key)
        if isinstance(v, str | int | float) and str(v).strip():
            values.append((key, str(v).strip()))
        elif isinstance(v, list):
            values.extend(
                (key, str(x).strip()) for x in v[:5] if isinstance(x, str | int | float) and str(x).strip()
            )
    return values


def _tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z0-9-]{2,}", text.lower()) if w not in _STOPWORDS]


def _value_used(value: str, text_low: str, page_tokens: set[str]) -> bool:
    if value.lower() in text_low:
        return True
    words = [w for w in _tokens(value)]
    if not words:
        return False
    return sum(1 for w in words if w in page_tokens or w.rstrip("s") in page_tokens) / len(words) >= 0.6


def key_terms(text: str, n: int = 12) -> list[str]:
    """The most frequent content words of a passage (its pain point, roughly)."""
    counts = Counter(_tokens(text))
    return [w for w, _ in counts.most_common(n)]


def _check_personalisation(
    page: _Page, profile: dict[str, Any] | None, passages: list[Passage] | None
) -> list[_Check]:
    checks: list[_Check] = []
    text_low = page.text.lower()
    page_tokens = set(_tokens(page.text))
    page_tokens |= {t.rstrip("s") for t in page_tokens}
    if profile:
        check = _Check("profile_facts", "personalisation", 1.5)
        values = _profile_values(profile)
        used = 0
        for key, value in values:
            if _value_used(value, text_low, page_tokens):
                used += 1
                check.ok(f"Profile {key} {value!r} is reflected in the page.")
            else:
                check.fail(
                    f"Profile {key} {value!r} does not appear in the page: personalise the copy for it."
                )
        check.score = used / len(values) if values else 1.0
        if not values:
            check.ok("The profile has no name/company/industry/location/interests fields to look for.")
        checks.append(check)
    if passages:
        check = _Check("pain_points", "personalisation", 1.0)
        covered = 0
        for p in passages:
            terms = key_terms(p.text)
            hits = [t for t in terms if t in page_tokens]
            # two shared content words: one alone is too often a generic word of the domain
            if terms and len(hits) >= min(2, len(terms)):
                covered += 1
                check.ok(f"Retrieved passage {p.doc}#{p.chunk} is addressed (terms: {', '.join(hits)}).")
            else:
                check.fail(
                    f"Retrieved passage {p.doc}#{p.chunk} (key terms: {', '.join(terms)}) is not "
                    "addressed in the page: speak to that pain point."
                )
        check.score = covered / len(passages)
        checks.append(check)
    return checks


def _category_score(checks: list[_Check]) -> float:
    total = sum(c.weight for c in checks)
    return sum(c.score * c.weight for c in checks) / total if total else 1.0


def check_page(
    html: str,
    *,
    design_steps: list[str] | None = None,
    guidelines: str = "",
    profile: dict[str, Any] | None = None,
    passages: list[Passage] | None = None,
    company: dict[str, Any] | None = None,
    available_files: set[str] | None = None,
) -> QAReport:
    """Check a page and score it in [0, 1].

    Categories run when they have something to check: parse, accessibility and assets always; sections with
    `design_steps`; guidelines when `guidelines` contains machine-checkable rules; personalisation with a
    `profile` or `passages`. The score is the weighted mean of the category scores (CATEGORY_WEIGHTS).
    `available_files` are the relative paths that exist next to the page (None: the page must be
    self-contained).
    """
    page = _load(html)
    categories: dict[str, list[_Check]] = {
        "parse": _check_parse(html),
        "accessibility": _check_accessibility(page),
        "assets": _check_assets(page, available_files),
    }
    if design_steps:
        categories["sections"] = _check_sections(page, design_steps)
    guideline_checks = _check_guidelines(page, guidelines, company) if guidelines else []
    if guideline_checks:
        categories["guidelines"] = guideline_checks
    personal = _check_personalisation(page, profile, passages)
    if personal:
        categories["personalisation"] = personal
    order = [c for c in CATEGORY_WEIGHTS if c in categories]
    category_scores = {c: round(_category_score(categories[c]), 4) for c in order}
    total_weight = sum(CATEGORY_WEIGHTS[c] for c in order)
    score = sum(category_scores[c] * CATEGORY_WEIGHTS[c] for c in order) / total_weight
    findings = [f for c in order for check in categories[c] for f in check.findings]
    return QAReport(
        score=round(max(0.0, min(1.0, score)), 4), findings=findings, category_scores=category_scores
    )

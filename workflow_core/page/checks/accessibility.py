"""Accessibility: language and title, alt text, heading order, landmarks, form labels, and WCAG AA contrast
of the text colours the CSS sets."""

from __future__ import annotations

import re
from typing import Any

from workflow_core.page.checks.common import Check, LoadedPage, describe, short, text_of
from workflow_core.page.colour import AA_LARGE, AA_NORMAL, COLOR_TOKEN, contrast_ratio
from workflow_core.page.css import background_colour, font_size_px, merged_rules, parse_declarations


def _check_lang_title(page: LoadedPage) -> list[Check]:
    lang = Check("lang", "accessibility", 1.0)
    if (page.root.get("lang") or "").strip():
        lang.ok(f"<html lang={page.root.get('lang')!r}> is set.")
    else:
        lang.fail(
            'The <html> element has no lang attribute: add e.g. <html lang="en"> so screen readers '
            "pick the right voice."
        )
        lang.score = 0.0
    title = Check("title", "accessibility", 1.0)
    el = page.root.find(".//title")
    if el is not None and text_of(el):
        title.ok(f"The page has a <title>: {text_of(el)!r}.")
    else:
        title.fail("The page has no (or an empty) <title>: add one inside <head> describing the page.")
        title.score = 0.0
    return [lang, title]


def _is_hidden(el: Any) -> bool:
    return el.get("aria-hidden") == "true" or (el.get("role") or "") in ("presentation", "none")


def _check_alt(page: LoadedPage) -> Check:
    check = Check("alt_text", "accessibility", 2.0)
    imgs = list(page.root.iter("img"))
    bad = 0
    for i, img in enumerate(imgs, 1):
        src = short(img.get("src") or "")
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


def _check_headings(page: LoadedPage) -> Check:
    check = Check("heading_order", "accessibility", 1.5)
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
                f"Heading level skipped: <{h.tag}> {short(text_of(h), 40)!r} follows an <h{previous}>; use "
                f"<h{previous + 1}> or restyle it with CSS instead."
            )
        elif not previous and level != 1:
            problems += 1
            check.fail(f"The first heading is <{h.tag}> {short(text_of(h), 40)!r}; start with an <h1>.")
        previous = level
    if not problems:
        check.ok(f"Headings are in order ({len(headings)} headings, one h1).")
    check.score = max(0.0, 1.0 - 0.34 * problems)
    return check


def _check_landmarks(page: LoadedPage) -> Check:
    check = Check("landmarks", "accessibility", 1.0)
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


def _check_labels(page: LoadedPage) -> Check:
    check = Check("form_labels", "accessibility", 1.0)
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
                f"Form field {describe(el)} (name={el.get('name')!r}) has no label: add "
                f'<label for="{el.get("id") or "its-id"}"> or aria-label.'
            )
    if fields and not bad:
        check.ok(f"All {len(fields)} form fields have labels.")
    if not fields:
        check.ok("The page has no form fields.")
    check.score = 1.0 - bad / len(fields) if fields else 1.0
    return check


def _worst_contrast(fg: str, bg_spec: str) -> tuple[float, str]:
    results = []
    for bg in bg_spec.split("|"):
        try:
            results.append((contrast_ratio(fg, bg), bg))
        except ValueError:
            continue
    return min(results) if results else (21.0, bg_spec)


def _check_contrast(page: LoadedPage) -> Check:
    check = Check("contrast", "accessibility", 2.0)
    rules = merged_rules(page.rules)
    body_decls = {**rules.get("html", {}), **rules.get(":root", {}), **rules.get("body", {})}
    body_bg = background_colour(body_decls) or "#ffffff"
    body_bg = body_bg.split("|")[0]
    pairs: list[tuple[str, str, str, float | None]] = []  # where, fg, bg, font size
    backgrounds = {sel: bg for sel, d in rules.items() if (bg := background_colour(d))}

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
        pairs.append((f"CSS rule '{selector}'", colour.strip(), bg, font_size_px(decls)))
    if "color" not in body_decls:
        pairs.append(("body (default text colour)", "#000000", body_bg, None))
    for el in page.root.iter():
        if not isinstance(el.tag, str) or not el.get("style"):
            continue
        decls = parse_declarations(el.get("style"))
        colour = decls.get("color")
        if colour and COLOR_TOKEN.fullmatch(colour.strip()):
            bg = background_colour(decls) or body_bg
            pairs.append((f"inline style on {describe(el)}", colour.strip(), bg, font_size_px(decls)))
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


def check_accessibility(page: LoadedPage) -> list[Check]:
    """Language, title, alt text, heading order, landmarks, form labels and colour contrast."""
    return [
        *_check_lang_title(page),
        _check_alt(page),
        _check_headings(page),
        _check_landmarks(page),
        _check_labels(page),
        _check_contrast(page),
    ]

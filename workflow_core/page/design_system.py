"""The design system's renderer: a page spec (see `page.spec`) becomes a complete, accessible, responsive
landing page in the company's palette and fonts.

Images are referenced by visual-element label; the renderer matches labels leniently and draws a vector
placeholder when nothing matches.
"""

from __future__ import annotations

import re
import string
from importlib.resources import files
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from workflow_core.page.artist import vector_svg
from workflow_core.page.colour import ensure_contrast, mix, palette_hex, parse_color, readable_on
from workflow_core.page.site import data_uri, match_label
from workflow_core.page.spec import clean_text, coerce_page_spec

__all__ = ["page_colours", "render_page"]

SYSTEM_SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _font_stack(name: Any, fallback: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9 \-]", "", str(name or "")).strip()[:40]
    return f"'{clean}', {fallback}" if clean else fallback


def _company_fonts(company: dict[str, Any]) -> tuple[str, str]:
    fonts = company.get("fonts")
    if isinstance(fonts, dict):
        heading, body = fonts.get("heading") or fonts.get("headings"), fonts.get("body") or fonts.get("text")
    elif isinstance(fonts, list | tuple) and fonts:
        heading, body = fonts[0], fonts[-1]
    else:
        heading = company.get("font_heading") or company.get("heading_font") or fonts or company.get("font")
        body = company.get("font_body") or company.get("body_font") or company.get("font") or fonts
    return _font_stack(heading, SYSTEM_SANS), _font_stack(body, SYSTEM_SANS)


def page_colours(palette: dict[str, Any]) -> dict[str, str]:
    """Every colour the page uses, each text colour checked for WCAG AA against the background it sits on."""
    bg = palette_hex(palette, "background")
    primary = palette_hex(palette, "primary")
    secondary = palette_hex(palette, "secondary", mix(primary, "#ffffff", 0.3))
    accent = palette_hex(palette, "accent", secondary)
    text = ensure_contrast(palette_hex(palette, "text"), bg)
    hero_bg = mix(bg, primary, 0.08)
    alt_bg = mix(bg, secondary, 0.07)
    deep = ensure_contrast(mix(primary, "#000000", 0.45), "#ffffff", 7.0)
    footer_bg = mix(text, "#000000", 0.2) if parse_color(text) and text != "#ffffff" else "#111418"
    on_deep = readable_on(deep, ["#ffffff", bg])
    on_footer = readable_on(footer_bg, ["#ffffff", bg])
    return {
        "bg": bg,
        "text": text,
        "muted": ensure_contrast(mix(text, bg, 0.3), bg),
        "primary": primary,
        "on_primary": readable_on(primary, ["#ffffff", bg, text]),
        "link": ensure_contrast(primary, bg),
        "secondary": secondary,
        "accent": accent,
        "on_accent": readable_on(accent, [text, "#ffffff"]),
        "hero_bg": hero_bg,
        "hero_text": ensure_contrast(text, hero_bg),
        "hero_muted": ensure_contrast(mix(text, hero_bg, 0.25), hero_bg),
        "eyebrow": ensure_contrast(primary, hero_bg),
        "alt_bg": alt_bg,
        "alt_text": ensure_contrast(text, alt_bg),
        "alt_muted": ensure_contrast(mix(text, alt_bg, 0.3), alt_bg),
        "card_bg": mix(bg, "#ffffff", 0.6),
        "card_text": ensure_contrast(text, mix(bg, "#ffffff", 0.6)),
        "card_muted": ensure_contrast(mix(text, bg, 0.3), mix(bg, "#ffffff", 0.6)),
        "border": mix(bg, text, 0.12),
        "deep": deep,
        "on_deep": on_deep,
        "on_deep_muted": ensure_contrast(mix(on_deep, deep, 0.2), deep),
        "footer_bg": footer_bg,
        "on_footer": on_footer,
        "on_footer_muted": ensure_contrast(mix(on_footer, footer_bg, 0.25), footer_bg),
        "focus": ensure_contrast(accent, bg, 3.0),
        "tint": mix(bg, accent, 0.18),
        "tint_text": ensure_contrast(mix(primary, text, 0.3), mix(bg, accent, 0.18)),
    }


# The page's style sheet and HTML template ship as package data files (page/design/). The style sheet's
# ${name} placeholders are filled with `page_colours` and the fonts; the template renders in a sandbox with
# every value escaped, and fails on a name it is not given.
_DESIGN = files("workflow_core.page").joinpath("design")
_CSS = string.Template(_DESIGN.joinpath("page.css").read_text(encoding="utf-8"))
_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_TEMPLATE = _ENV.from_string(_DESIGN.joinpath("page.html.j2").read_text(encoding="utf-8"))


def _humanise(label: str) -> str:
    return re.sub(r"[-_]+", " ", label).strip()


def _is_image_uri(uri: Any) -> bool:
    return isinstance(uri, str) and uri.startswith("data:image/")


def _initials(name: str) -> str:
    letters = [w[0] for w in re.findall(r"[A-Za-z\u00c0-\u024f]+", name)]
    return ("".join(letters[:1] + letters[-1:]) if len(letters) > 1 else "".join(letters)).upper() or "★"


def _testimonials(raw: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for t in raw or []:
        if not isinstance(t, dict):
            continue
        quote = clean_text(t.get("quote") or t.get("text") or t.get("testimonial"))
        if not quote:
            continue
        author = clean_text(t.get("author") or t.get("name") or t.get("customer")) or "A customer"
        role = ", ".join(
            x for x in (clean_text(t.get("role") or t.get("title")), clean_text(t.get("company"))) if x
        )
        out.append(
            {"quote": quote.strip('"“”'), "author": author, "byline": role, "initials": _initials(author)}
        )
    return out


def render_page(
    spec: dict[str, Any],
    *,
    company: dict[str, Any],
    palette: dict[str, str],
    logo_data_uri: str,
    images: dict[str, str],
    testimonials: list[dict[str, Any]],
    profile_name: str | None = None,
    image_descriptions: dict[str, str] | None = None,
) -> str:
    """One complete, self-contained HTML5 landing page from a page spec.

    `spec` is coerced first (see `coerce_page_spec`), so a partly wrong model answer still renders. `images`
    maps visual-element labels to data URIs; a spec label is matched leniently (case, punctuation, closest
    label) and anything unmatched gets a vector placeholder, never a broken `<img>`. `image_descriptions`
    (label -> description) gives alt text and placeholder motifs. All model text is HTML-escaped.
    """
    page = coerce_page_spec(spec)
    descriptions = image_descriptions or {}
    company_name = clean_text(company.get("name")) or "Our company"
    heading_font, body_font = _company_fonts(company)
    colours = page_colours(palette)
    css = _CSS.substitute(colours, font_heading=heading_font, font_body=body_font)
    valid_images = {label: uri for label, uri in images.items() if _is_image_uri(uri)}

    def image_for(label: str, fallback_alt: str) -> dict[str, str]:
        match = match_label(label, valid_images) if label else None
        description = descriptions.get(match or "", "") or descriptions.get(label, "")
        alt = clean_text(description) or _humanise(match or label) or fallback_alt
        if match is not None:
            return {"src": valid_images[match], "alt": alt}
        svg = vector_svg(_humanise(label) or fallback_alt, description or fallback_alt, palette)
        return {"src": data_uri("image/svg+xml", svg), "alt": alt}

    hero = image_for(page["hero_image"], page["headline"])
    offerings = [
        {**item, **image_for(item["image"], f"{item['title']}: {item['text']}")} for item in page["offerings"]
    ]
    logo = (
        logo_data_uri
        if _is_image_uri(logo_data_uri)
        else data_uri("image/svg+xml", vector_svg(company_name, "logo", palette, width=160, height=160))
    )
    # Scenarios nest contact details under `contact` (company.json); flat keys are accepted too.
    raw_contact = company.get("contact")
    contact: dict[str, Any] = raw_contact if isinstance(raw_contact, dict) else {}
    details = {
        k: clean_text(company.get(k) or contact.get(k)) for k in ("email", "phone", "address", "tagline")
    }
    phone = details["phone"]
    html = _TEMPLATE.render(
        lang=re.sub(r"[^A-Za-z-]", "", str(company.get("lang") or "en")) or "en",
        spec=page,
        company=details,
        company_name=company_name,
        css=Markup(css),
        logo=logo,
        hero=hero,
        offerings=offerings,
        testimonials=_testimonials(testimonials),
        profile_name=clean_text(profile_name) or None,
        phone_href=re.sub(r"[^0-9+]", "", phone),
    )
    return html

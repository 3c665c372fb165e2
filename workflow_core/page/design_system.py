"""The design system: a small page spec a small model can fill, and the renderer that turns it into a
complete, accessible, responsive landing page in the company's palette.

The schema is deliberately small and flat (short strings, arrays of 2-3-field objects, every field required)
so grammar-constrained decoding on a 0.5B model fills it reliably. Images are referenced by visual-element
label; the renderer matches labels leniently and draws a vector placeholder when nothing matches.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from workflow_core.page.artist import vector_svg
from workflow_core.page.colour import ensure_contrast, mix, parse_color, readable_on, to_hex
from workflow_core.page.site import data_uri, match_label

_ITEM_OFFERING: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "text", "image"],
    "properties": {
        "title": {"type": "string", "maxLength": 60, "description": "2-5 words"},
        "text": {"type": "string", "maxLength": 220, "description": "one or two sentences"},
        "image": {"type": "string", "maxLength": 40, "description": "label of one visual element"},
    },
}
_ITEM_PAIN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "text"],
    "properties": {
        "title": {"type": "string", "maxLength": 60, "description": "2-6 words"},
        "text": {"type": "string", "maxLength": 200, "description": "one sentence"},
    },
}
PAGE_SPEC_SCHEMA: dict[str, Any] = {
    "title": "PageSpec",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "headline",
        "subheadline",
        "hero_image",
        "cta_text",
        "intro",
        "offerings",
        "pain_points",
        "testimonial_intro",
        "closing_headline",
        "closing_text",
    ],
    "properties": {
        "headline": {"type": "string", "maxLength": 80, "description": "main headline, under 10 words"},
        "subheadline": {"type": "string", "maxLength": 160, "description": "one sentence under the headline"},
        "hero_image": {
            "type": "string",
            "maxLength": 40,
            "description": "label of the visual element for the hero",
        },
        "cta_text": {"type": "string", "maxLength": 40, "description": "button text, 2-4 words"},
        "intro": {
            "type": "string",
            "maxLength": 360,
            "description": "two or three sentences introducing the offer",
        },
        "offerings": {"type": "array", "minItems": 1, "maxItems": 3, "items": _ITEM_OFFERING},
        "pain_points": {"type": "array", "minItems": 1, "maxItems": 3, "items": _ITEM_PAIN},
        "testimonial_intro": {
            "type": "string",
            "maxLength": 160,
            "description": "one sentence before the testimonials",
        },
        "closing_headline": {
            "type": "string",
            "maxLength": 80,
            "description": "closing call to action headline",
        },
        "closing_text": {
            "type": "string",
            "maxLength": 240,
            "description": "one or two sentences inviting contact",
        },
    },
}
STRING_FIELDS: tuple[str, ...] = tuple(
    k for k, v in PAGE_SPEC_SCHEMA["properties"].items() if v["type"] == "string"
)
MAX_ITEMS = 4
MAX_TEXT = 600

# What small models write instead of our field names.
_ALIASES: dict[str, tuple[str, ...]] = {
    "headline": ("title", "heading", "hero_headline", "h1"),
    "subheadline": ("subtitle", "sub_headline", "subheading", "tagline", "hero_text"),
    "hero_image": ("hero_image_label", "image", "hero"),
    "cta_text": ("cta", "button_text", "call_to_action", "cta_label"),
    "intro": ("introduction", "about", "description", "website_description"),
    "offerings": ("services", "products", "features", "solutions", "offers"),
    "pain_points": ("painpoints", "challenges", "problems", "pains"),
    "testimonial_intro": ("testimonials_intro", "testimonial_text", "social_proof"),
    "closing_headline": ("closing_title", "cta_headline", "final_headline"),
    "closing_text": ("closing", "cta_description", "closing_paragraph", "final_text"),
    "title": ("name", "heading", "headline", "label"),
    "text": ("description", "body", "details", "summary", "content"),
    "image": ("image_label", "visual", "visual_element", "picture", "img"),
}


def _pick(data: dict[str, Any], key: str) -> Any:
    if key in data:
        return data[key]
    lowered = {str(k).lower().replace("-", "_").replace(" ", "_"): v for k, v in data.items()}
    for name in (key, *_ALIASES.get(key, ())):
        if name in lowered:
            return lowered[name]
    return None


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split())[:MAX_TEXT]


def validate_page_spec(data: Any) -> list[str]:
    """What is wrong with a page spec against PAGE_SPEC_SCHEMA; an empty list means it is valid."""
    if not isinstance(data, dict):
        return [f"The page spec must be a JSON object, got {type(data).__name__}."]
    problems: list[str] = []
    props = PAGE_SPEC_SCHEMA["properties"]
    for key in PAGE_SPEC_SCHEMA["required"]:
        if key not in data:
            problems.append(f"Missing field {key!r}.")
    for key in data:
        if key not in props:
            problems.append(f"Unknown field {key!r} (it is ignored); the fields are: {', '.join(props)}.")
    for key in STRING_FIELDS:
        if key in data and not isinstance(data[key], str):
            problems.append(f"Field {key!r} must be a string, got {type(data[key]).__name__}.")
        elif key in data and not data[key].strip():
            problems.append(f"Field {key!r} is empty.")
    for key, item_schema in (("offerings", _ITEM_OFFERING), ("pain_points", _ITEM_PAIN)):
        items = data.get(key)
        if key not in data:
            continue
        if not isinstance(items, list):
            problems.append(f"Field {key!r} must be a list, got {type(items).__name__}.")
            continue
        if not 1 <= len(items) <= MAX_ITEMS:
            problems.append(f"Field {key!r} must have 1 to {MAX_ITEMS} items, it has {len(items)}.")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(f"{key}[{i}] must be an object with {', '.join(item_schema['required'])}.")
                continue
            for field in item_schema["required"]:
                if not isinstance(item.get(field), str):
                    problems.append(f"{key}[{i}].{field} is missing or not a string.")
            for field in item:
                if field not in item_schema["properties"]:
                    problems.append(f"{key}[{i}] has unknown field {field!r} (it is ignored).")
    return problems


def _coerce_items(value: Any, fields: tuple[str, ...]) -> list[dict[str, str]]:
    if isinstance(value, dict):
        value = list(value.values()) if all(isinstance(v, dict) for v in value.values()) else [value]
    if isinstance(value, str):
        value = [part for part in re.split(r"\n+|;", value) if part.strip()]
    if not isinstance(value, list):
        return []
    items = []
    for raw in value:
        if isinstance(raw, str):
            title, _, text = raw.partition(":")
            item = {"title": _text(title), "text": _text(text)}
        elif isinstance(raw, dict):
            item = {f: _text(_pick(raw, f)) for f in fields}
        else:
            continue
        item = {f: item.get(f, "") for f in fields}
        if item["title"] or item["text"]:
            items.append(item)
    return items[:MAX_ITEMS]


def _tidy_cut(text: str, limit: int | None) -> str:
    """Text that reached its schema's maxLength was most likely cut mid-word by constrained decoding: end it
    at the last full sentence (when that keeps most of it) or word, with an ellipsis."""
    if not limit or len(text) < limit - 2:
        return text
    sentence_end = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    if sentence_end >= len(text) * 0.6:
        return text[: sentence_end + 1]
    head = text[: text.rfind(" ")] if " " in text else text
    return head.rstrip(" ,;:-–—") + "…"


def _limit(schema: dict[str, Any], key: str) -> int | None:
    value = schema.get("properties", {}).get(key, {}).get("maxLength")
    return int(value) if value else None


def coerce_page_spec(data: Any) -> dict[str, Any]:
    """A complete page spec from whatever a model produced: JSON text or a dict, with aliased, missing or
    wrongly typed fields filled from the rest and lists cut to 4 items, so a partly wrong answer still
    renders."""
    if isinstance(data, str):
        match = re.search(r"\{.*\}", data, re.DOTALL)
        try:
            data = json.loads(match.group(0)) if match else {}
        except json.JSONDecodeError:
            data = {}
    if not isinstance(data, dict):
        data = {}
    spec: dict[str, Any] = {key: _text(_pick(data, key)) for key in STRING_FIELDS}
    spec["offerings"] = _coerce_items(_pick(data, "offerings"), ("title", "text", "image"))
    spec["pain_points"] = _coerce_items(_pick(data, "pain_points"), ("title", "text"))
    for item in spec["pain_points"]:
        item["title"] = item["title"] or item["text"][:60]
    for item in spec["offerings"]:
        item["title"] = item["title"] or item["text"][:60]
        item["image"] = item["image"] or item["title"]
    spec["headline"] = spec["headline"] or spec["closing_headline"] or "Built around the way you work"
    spec["cta_text"] = spec["cta_text"] or "Get in touch"
    spec["subheadline"] = (
        spec["subheadline"] or spec["intro"][:160] or "Practical help, built around your day."
    )
    spec["intro"] = spec["intro"] or spec["subheadline"]
    spec["closing_headline"] = spec["closing_headline"] or "Let's talk about your next step"
    spec["closing_text"] = (
        spec["closing_text"] or "Tell us what you need and we will get back to you within a day."
    )
    spec["testimonial_intro"] = spec["testimonial_intro"] or "Teams like yours already rely on us."
    if not spec["offerings"]:
        spec["offerings"] = [
            {"title": "What we do", "text": spec["intro"] or spec["subheadline"], "image": ""}
        ]
    if not spec["pain_points"]:
        spec["pain_points"] = [{"title": "Less time lost", "text": spec["subheadline"] or spec["intro"]}]
    spec["hero_image"] = spec["hero_image"] or spec["offerings"][0]["image"] or "hero"
    for key in STRING_FIELDS:
        spec[key] = _tidy_cut(spec[key], _limit(PAGE_SPEC_SCHEMA, key))
    for list_key, item_schema in (("offerings", _ITEM_OFFERING), ("pain_points", _ITEM_PAIN)):
        for item in spec[list_key]:
            for field in ("title", "text"):
                item[field] = _tidy_cut(item[field], _limit(item_schema, field))
    return spec


# ---------------------------------------------------------------- rendering

SYSTEM_SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
SYSTEM_SERIF = "Georgia, 'Times New Roman', serif"


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


def _hex(palette: dict[str, Any], key: str, default: str) -> str:
    rgb = parse_color(str(palette.get(key) or ""))
    return to_hex(rgb) if rgb else default


def page_colours(palette: dict[str, Any]) -> dict[str, str]:
    """Every colour the page uses, each text colour checked for WCAG AA against the background it sits on."""
    bg = _hex(palette, "background", "#ffffff")
    primary = _hex(palette, "primary", "#1f5fbf")
    secondary = _hex(palette, "secondary", mix(primary, "#ffffff", 0.3))
    accent = _hex(palette, "accent", secondary)
    text = ensure_contrast(_hex(palette, "text", "#14181f"), bg)
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


_CSS = """
:root{--bg:%(bg)s;--text:%(text)s;--muted:%(muted)s;--primary:%(primary)s;--on-primary:%(on_primary)s;
--link:%(link)s;--accent:%(accent)s;--on-accent:%(on_accent)s;--hero-bg:%(hero_bg)s;--hero-text:%(hero_text)s;
--hero-muted:%(hero_muted)s;--eyebrow:%(eyebrow)s;--alt-bg:%(alt_bg)s;--alt-text:%(alt_text)s;
--alt-muted:%(alt_muted)s;--card-bg:%(card_bg)s;--card-text:%(card_text)s;--card-muted:%(card_muted)s;
--border:%(border)s;--deep:%(deep)s;--on-deep:%(on_deep)s;--on-deep-muted:%(on_deep_muted)s;
--footer-bg:%(footer_bg)s;--on-footer:%(on_footer)s;--on-footer-muted:%(on_footer_muted)s;--focus:%(focus)s;
--tint:%(tint)s;--tint-text:%(tint_text)s;
--font-heading:%(font_heading)s;--font-body:%(font_body)s;--radius:18px;--max:1160px;
--shadow:0 1px 2px rgba(16,24,40,.06),0 12px 32px -12px rgba(16,24,40,.18)}
*,*::before,*::after{box-sizing:border-box}
html{scroll-behavior:smooth;-webkit-text-size-adjust:100%%}
body{margin:0;background:var(--bg);color:var(--text);font-family:var(--font-body);font-size:1.0625rem;
line-height:1.65;-webkit-font-smoothing:antialiased}
img{max-width:100%%;height:auto;display:block}
h1,h2,h3{font-family:var(--font-heading);line-height:1.15;margin:0 0 .6em;letter-spacing:-.015em}
h1{font-size:clamp(2.1rem,4.6vw,3.6rem);font-weight:800}
h2{font-size:clamp(1.6rem,3vw,2.4rem);font-weight:750}
h3{font-size:1.2rem;font-weight:700}
p{margin:0 0 1em}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{
outline:3px solid var(--focus);outline-offset:3px;border-radius:6px}
.container{width:min(100%% - 2.5rem,var(--max));margin-inline:auto}
.skip-link{position:absolute;left:1rem;top:-4rem;z-index:100;background:var(--primary);color:var(--on-primary);
padding:.7rem 1.1rem;border-radius:10px;font-weight:700;text-decoration:none}
.skip-link:focus{top:1rem}
.site-header{position:sticky;top:0;z-index:50;background:var(--bg);color:var(--text);
border-bottom:1px solid var(--border)}
.site-header .container{display:flex;align-items:center;gap:1.5rem;min-height:72px}
.brand{display:flex;align-items:center;gap:.7rem;text-decoration:none;color:var(--text);font-weight:800;
white-space:nowrap;
font-family:var(--font-heading);font-size:1.15rem}
.brand img{height:40px;width:auto}
.site-nav{margin-left:auto}
.site-nav ul{display:flex;gap:.4rem;list-style:none;margin:0;padding:0}
.site-nav a{display:block;padding:.5rem .8rem;border-radius:999px;color:var(--text);text-decoration:none;
font-weight:600;font-size:.95rem}
.site-nav a:hover{background:var(--alt-bg);color:var(--alt-text)}
.btn{display:inline-flex;align-items:center;justify-content:center;gap:.5rem;min-height:48px;
padding:.8rem 1.5rem;border-radius:999px;text-decoration:none;border:2px solid transparent;cursor:pointer;
font:inherit;font-weight:700;transition:transform .15s ease,box-shadow .15s ease}
.btn:hover{transform:translateY(-1px);box-shadow:var(--shadow)}
.btn-primary{background:var(--primary);color:var(--on-primary)}
.btn-ghost{background:var(--bg);color:var(--link);border-color:var(--border)}
.header-cta{padding:.55rem 1.1rem;min-height:42px;white-space:nowrap}
.hero{background:var(--hero-bg);color:var(--hero-text);padding:clamp(3rem,7vw,6rem) 0}
.hero .container{display:grid;grid-template-columns:1.05fr 1fr;gap:clamp(2rem,5vw,4.5rem);align-items:center}
.eyebrow{display:inline-block;background:var(--tint);color:var(--tint-text);font-weight:700;font-size:.85rem;
letter-spacing:.06em;text-transform:uppercase;padding:.35rem .8rem;border-radius:999px;margin-bottom:1.2rem}
.hero .lede{font-size:1.2rem;color:var(--hero-muted);max-width:36ch}
.hero-actions{display:flex;flex-wrap:wrap;gap:.8rem;margin-top:1.8rem}
.hero-media img{width:100%%;border-radius:calc(var(--radius) + 6px);box-shadow:var(--shadow);
aspect-ratio:16/9;object-fit:cover}
.intro{padding:clamp(3rem,6vw,5rem) 0 1rem}
.intro p{font-size:clamp(1.2rem,2.1vw,1.5rem);line-height:1.5;max-width:52ch;margin:0 auto;text-align:center;
color:var(--text)}
.section{padding:clamp(3.5rem,7vw,6rem) 0}
.section-head{max-width:46rem;margin-bottom:2.5rem}
.section-head p{color:var(--muted)}
.pain-points{background:var(--alt-bg);color:var(--alt-text)}
.pain-points .section-head p{color:var(--alt-muted)}
.pain-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:1.25rem;list-style:none;
margin:0;padding:0}
.pain-card{background:var(--card-bg);color:var(--card-text);border:1px solid var(--border);
border-radius:var(--radius);padding:1.6rem}
.pain-card p{color:var(--card-muted);margin:0}
.pain-num{display:inline-grid;place-items:center;width:2.4rem;height:2.4rem;border-radius:12px;
background:var(--primary);color:var(--on-primary);font-weight:800;margin-bottom:1rem}
.offer-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:1.5rem;list-style:none;
margin:0;padding:0}
.offer-card{background:var(--card-bg);color:var(--card-text);border:1px solid var(--border);
border-radius:var(--radius);overflow:hidden;box-shadow:var(--shadow);display:flex;flex-direction:column}
.offer-card img{aspect-ratio:16/9;object-fit:cover;width:100%%}
.offer-body{padding:1.4rem 1.5rem 1.6rem}
.offer-body p{color:var(--card-muted);margin:0}
.testimonials{background:var(--alt-bg);color:var(--alt-text)}
.testimonials .section-head p{color:var(--alt-muted)}
.slider-track{display:grid;grid-auto-flow:column;grid-auto-columns:min(100%%,520px);gap:1.25rem;overflow-x:auto;
scroll-snap-type:x mandatory;padding:.25rem .25rem 1.25rem;scrollbar-width:thin}
.testimonial{scroll-snap-align:start;margin:0;background:var(--card-bg);color:var(--card-text);
border:1px solid var(--border);border-radius:var(--radius);padding:1.8rem;display:flex;flex-direction:column;
justify-content:space-between;gap:1.4rem}
.testimonial blockquote{margin:0;font-size:1.12rem;line-height:1.6}
.testimonial blockquote p::before{content:"\\201C"}
.testimonial blockquote p::after{content:"\\201D"}
.testimonial figcaption{display:flex;align-items:center;gap:.8rem;color:var(--card-muted);font-size:.95rem}
.testimonial figcaption strong{display:block;color:var(--card-text)}
.avatar{display:inline-grid;place-items:center;width:2.8rem;height:2.8rem;border-radius:50%%;flex:none;
background:var(--primary);color:var(--on-primary);font-weight:800}
.slider-controls{display:flex;gap:.6rem;justify-content:flex-end;margin-top:.5rem}
.slider-btn{width:48px;height:48px;border-radius:50%%;border:2px solid var(--border);
background:var(--card-bg);color:var(--card-text);font-size:1.3rem;cursor:pointer}
.slider-btn:hover{background:var(--primary);color:var(--on-primary)}
.cta{background:var(--deep);color:var(--on-deep)}
.cta .container{display:grid;grid-template-columns:1fr 1fr;gap:clamp(2rem,5vw,4rem);align-items:start}
.cta p{color:var(--on-deep-muted)}
.cta a{color:var(--on-deep)}
.contact-list{list-style:none;padding:0;margin:1.5rem 0 0;display:grid;gap:.6rem}
.contact-form{background:var(--card-bg);color:var(--card-text);border-radius:var(--radius);padding:1.8rem;
box-shadow:var(--shadow);display:grid;gap:1rem}
.contact-form label{font-weight:700;font-size:.95rem;display:grid;gap:.35rem}
.contact-form input,.contact-form textarea{font:inherit;color:var(--card-text);background:var(--bg);
border:1.5px solid var(--border);border-radius:12px;padding:.75rem .9rem;width:100%%}
.contact-form textarea{min-height:120px;resize:vertical}
.site-footer{background:var(--footer-bg);color:var(--on-footer);padding:3rem 0;font-size:.95rem}
.site-footer .container{display:flex;flex-wrap:wrap;gap:1.5rem 3rem;justify-content:space-between;
align-items:center}
.site-footer a{color:var(--on-footer)}
.site-footer p{margin:0;color:var(--on-footer-muted)}
.footer-brand{display:flex;align-items:center;gap:.7rem;font-weight:800}
.footer-brand img{height:32px;width:auto;background:#ffffff;border-radius:8px;padding:3px}
@media (max-width:860px){
.hero .container,.cta .container{grid-template-columns:1fr}
.site-nav{display:none}
.header-cta{margin-left:auto}
}
@media (max-width:480px){.header-cta{display:none}.hero-actions .btn{width:100%%}
.brand span{display:none}}
@media (prefers-reduced-motion:reduce){html{scroll-behavior:auto}.btn{transition:none}}
"""

_PAGE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.headline }} | {{ company_name }}</title>
<meta name="description" content="{{ spec.subheadline }}">
<style>{{ css }}</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <div class="container">
    <a class="brand" href="#main"><img src="{{ logo }}" alt="{{ company_name }} logo" width="40" height="40">
      <span>{{ company_name }}</span></a>
    <nav class="site-nav" aria-label="Main">
      <ul>
        <li><a href="#pain-points">Challenges</a></li>
        <li><a href="#offerings">What we offer</a></li>
        <li><a href="#testimonials">Customers</a></li>
        <li><a href="#contact">Contact</a></li>
      </ul>
    </nav>
    <a class="btn btn-primary header-cta" href="#contact">{{ spec.cta_text }}</a>
  </div>
</header>
<main id="main" tabindex="-1">
  <section id="hero" class="hero" aria-labelledby="hero-title">
    <div class="container">
      <div class="hero-copy">
        {% if profile_name %}<p class="eyebrow">For {{ profile_name }}</p>
        {% elif company.tagline %}<p class="eyebrow">{{ company.tagline }}</p>{% endif %}
        <h1 id="hero-title">{{ spec.headline }}</h1>
        <p class="lede">{{ spec.subheadline }}</p>
        <div class="hero-actions">
          <a class="btn btn-primary" href="#contact">{{ spec.cta_text }}</a>
          <a class="btn btn-ghost" href="#offerings">See what we offer</a>
        </div>
      </div>
      <div class="hero-media"><img src="{{ hero.src }}" alt="{{ hero.alt }}" width="800" height="500"></div>
    </div>
  </section>
  {% if spec.intro %}
  <section id="intro" class="intro" aria-label="About {{ company_name }}">
    <div class="container"><p>{{ spec.intro }}</p></div>
  </section>
  {% endif %}
  <section id="pain-points" class="section pain-points" aria-labelledby="pain-title">
    <div class="container">
      <div class="section-head"><h2 id="pain-title">The challenges we hear most</h2>
        <p>If any of these sound familiar, you are in the right place.</p></div>
      <ul class="pain-grid">
        {% for item in spec.pain_points %}
        <li class="pain-card"><span class="pain-num" aria-hidden="true">{{ loop.index }}</span>
          <h3>{{ item.title }}</h3><p>{{ item.text }}</p></li>
        {% endfor %}
      </ul>
    </div>
  </section>
  <section id="offerings" class="section offerings" aria-labelledby="offer-title">
    <div class="container">
      <div class="section-head"><h2 id="offer-title">How {{ company_name }} helps</h2>
        <p>Practical services, shaped around the challenges above.</p></div>
      <ul class="offer-grid">
        {% for item in offerings %}
        <li class="offer-card">
          <img src="{{ item.src }}" alt="{{ item.alt }}" width="800" height="450">
          <div class="offer-body"><h3>{{ item.title }}</h3><p>{{ item.text }}</p></div></li>
        {% endfor %}
      </ul>
    </div>
  </section>
  <section id="testimonials" class="section testimonials" aria-labelledby="testimonials-title">
    <div class="container">
      <div class="section-head"><h2 id="testimonials-title">What our customers say</h2>
        <p>{{ spec.testimonial_intro }}</p></div>
      {% if testimonials %}
      <div class="slider">
        <div class="slider-track" id="testimonial-track" tabindex="0" role="region"
             aria-label="Customer testimonials, scroll sideways for more">
          {% for t in testimonials %}
          <figure class="testimonial">
            <blockquote><p>{{ t.quote }}</p></blockquote>
            <figcaption><span class="avatar" aria-hidden="true">{{ t.initials }}</span>
              <span><strong>{{ t.author }}</strong>{{ t.byline }}</span></figcaption>
          </figure>
          {% endfor %}
        </div>
        <div class="slider-controls" hidden>
          <button type="button" class="slider-btn" data-dir="-1" aria-controls="testimonial-track"
                  aria-label="Previous testimonial">&#8592;</button>
          <button type="button" class="slider-btn" data-dir="1" aria-controls="testimonial-track"
                  aria-label="Next testimonial">&#8594;</button>
        </div>
      </div>
      {% endif %}
    </div>
  </section>
  <section id="contact" class="section cta" aria-labelledby="contact-title">
    <div class="container">
      <div>
        <h2 id="contact-title">{{ spec.closing_headline }}</h2>
        <p>{{ spec.closing_text }}</p>
        <ul class="contact-list">
          {% if company.email %}
          <li>Email: <a href="mailto:{{ company.email }}">{{ company.email }}</a></li>
          {% endif %}
          {% if company.phone %}
          <li>Phone: <a href="tel:{{ phone_href }}">{{ company.phone }}</a></li>
          {% endif %}
          {% if company.address %}<li>{{ company.address }}</li>{% endif %}
        </ul>
      </div>
      <form class="contact-form" {% if company.email %}action="mailto:{{ company.email }}" {% endif %}
            method="post" enctype="text/plain" aria-label="Contact {{ company_name }}">
        <label for="cf-name">Your name
          <input id="cf-name" name="name" autocomplete="name" required></label>
        <label for="cf-email">Email
          <input id="cf-email" name="email" type="email" autocomplete="email" required></label>
        <label for="cf-message">How can we help?
          <textarea id="cf-message" name="message" rows="4"></textarea></label>
        <button class="btn btn-primary" type="submit">{{ spec.cta_text }}</button>
      </form>
    </div>
  </section>
</main>
<footer class="site-footer">
  <div class="container">
    <div class="footer-brand"><img src="{{ logo }}" alt="" role="presentation" width="32" height="32">
      <span>{{ company_name }}</span></div>
    <p>{% if company.email %}<a href="mailto:{{ company.email }}">{{ company.email }}</a>{% endif %}
      {% if company.phone %} · {{ company.phone }}{% endif %}
      {% if company.address %} · {{ company.address }}{% endif %}</p>
    <p>© {{ company_name }}</p>
  </div>
</footer>
<script>
(function () {
  var track = document.getElementById("testimonial-track");
  var controls = document.querySelector(".slider-controls");
  if (!track || !controls) return;
  controls.hidden = false;
  controls.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-dir]");
    if (!button) return;
    var card = track.querySelector(".testimonial");
    var step = card ? card.getBoundingClientRect().width + 20 : track.clientWidth;
    track.scrollBy({ left: Number(button.dataset.dir) * step, behavior: "smooth" });
  });
})();
</script>
</body>
</html>
"""

_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_TEMPLATE = _ENV.from_string(_PAGE)


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
        quote = _text(t.get("quote") or t.get("text") or t.get("testimonial"))
        if not quote:
            continue
        author = _text(t.get("author") or t.get("name") or t.get("customer")) or "A customer"
        role = ", ".join(x for x in (_text(t.get("role") or t.get("title")), _text(t.get("company"))) if x)
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
    company_name = _text(company.get("name")) or "Our company"
    heading_font, body_font = _company_fonts(company)
    colours = page_colours(palette)
    css = _CSS % {**colours, "font_heading": heading_font, "font_body": body_font}
    valid_images = {label: uri for label, uri in images.items() if _is_image_uri(uri)}

    def image_for(label: str, fallback_alt: str) -> dict[str, str]:
        match = match_label(label, valid_images) if label else None
        description = descriptions.get(match or "", "") or descriptions.get(label, "")
        alt = _text(description) or _humanise(match or label) or fallback_alt
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
    details = {k: _text(company.get(k) or contact.get(k)) for k in ("email", "phone", "address", "tagline")}
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
        profile_name=_text(profile_name) or None,
        phone_href=re.sub(r"[^0-9+]", "", phone),
    )
    return html

"""The page spec: the small, flat JSON a model fills for the design system, how to validate it, and how to
make a complete spec of whatever a model produced.

The schema is deliberately small and flat (short strings, arrays of 2-3-field objects, every field required)
so grammar-constrained decoding on a 0.5B model fills it reliably. Images are referenced by visual-element
label.
"""

from __future__ import annotations

import json
import re
from typing import Any

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


def clean_text(value: Any) -> str:
    """A model's value as one line of text, whitespace collapsed and cut to MAX_TEXT; "" for a missing value,
    an object or a list."""
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
            item = {"title": clean_text(title), "text": clean_text(text)}
        elif isinstance(raw, dict):
            item = {f: clean_text(_pick(raw, f)) for f in fields}
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
    spec: dict[str, Any] = {key: clean_text(_pick(data, key)) for key in STRING_FIELDS}
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

"""The page spec: the small, flat JSON a model fills for the design system, how to validate it, and how to
make a complete spec of whatever a model produced.

The spec holds only copy and choices. Facts (the company's name, contact details, offering names and prices,
testimonials, the logo, the call to action) are placed by the design system from the scenario: an offering
is chosen by its id, a pain point by the id of the research note it comes from, an image by its visual
element's label. Those fields carry `x-choices` (see `workflow_core.nodes.outputs`), which become an `enum`
of the run's ids, so grammar-constrained decoding cannot invent one.

The schema is small and flat (short strings, arrays of 3-field objects, every field required) so a 0.5B
model fills it reliably. Lengths are generous hard limits; `page.copy` keeps only whole sentences.
"""

from __future__ import annotations

import json
import re
from typing import Any

from workflow_core.page.copy import tidy_title

_ITEM_OFFERING: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "text", "image"],
    "properties": {
        "id": {"type": "string", "maxLength": 60, "x-choices": "offerings", "description": "offering id"},
        "text": {"type": "string", "maxLength": 200, "description": "one sentence: why it helps them"},
        "image": {"type": "string", "maxLength": 40, "x-choices": "images", "description": "image label"},
    },
}
_ITEM_PAIN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["source", "title", "text"],
    "properties": {
        "source": {"type": "string", "maxLength": 60, "x-choices": "passages", "description": "note id"},
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
        "pain_points",
        "offerings",
        "closing_headline",
        "closing_text",
    ],
    "properties": {
        "headline": {"type": "string", "maxLength": 80, "description": "under 10 words"},
        "subheadline": {"type": "string", "maxLength": 200, "description": "one sentence"},
        "hero_image": {
            "type": "string",
            "maxLength": 40,
            "x-choices": "images",
            "description": "image label",
        },
        "pain_points": {"type": "array", "minItems": 1, "maxItems": 3, "items": _ITEM_PAIN},
        "offerings": {"type": "array", "minItems": 1, "maxItems": 3, "items": _ITEM_OFFERING},
        "closing_headline": {"type": "string", "maxLength": 80, "description": "under 10 words"},
        "closing_text": {"type": "string", "maxLength": 240, "description": "one or two sentences"},
    },
}
# The pictures a page spec names when no artist upstream has described them (a one-model page spec).
VISUAL_ELEMENTS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 2,
    "maxItems": 4,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["label", "description"],
        "properties": {
            "label": {"type": "string", "maxLength": 30},
            "description": {"type": "string", "maxLength": 160},
        },
    },
}
STRING_FIELDS: tuple[str, ...] = tuple(
    k for k, v in PAGE_SPEC_SCHEMA["properties"].items() if v["type"] == "string"
)
MAX_ITEMS = 3
MAX_TEXT = 600

# What small models write instead of our field names.
_ALIASES: dict[str, tuple[str, ...]] = {
    "headline": ("title", "heading", "hero_headline", "h1"),
    "subheadline": ("subtitle", "sub_headline", "subheading", "tagline", "hero_text", "intro"),
    "hero_image": ("hero_image_label", "image", "hero"),
    "offerings": ("services", "products", "features", "solutions", "offers"),
    "pain_points": ("painpoints", "challenges", "problems", "pains"),
    "closing_headline": ("closing_title", "cta_headline", "final_headline"),
    "closing_text": ("closing", "cta_description", "closing_paragraph", "final_text"),
    "id": ("offering_id", "offering", "name", "title"),
    "source": ("note", "note_id", "passage", "source_id"),
    "title": ("name", "heading", "headline", "label"),
    "text": ("description", "body", "details", "summary", "content", "pitch"),
    "image": ("image_label", "visual", "visual_element", "picture", "img"),
}
_ITEM_FIELDS = {"offerings": ("id", "text", "image"), "pain_points": ("source", "title", "text")}


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
        if key not in props and key != "visual_elements":
            problems.append(f"Unknown field {key!r} (it is ignored); the fields are: {', '.join(props)}.")
    for key in STRING_FIELDS:
        if key in data and not isinstance(data[key], str):
            problems.append(f"Field {key!r} must be a string, got {type(data[key]).__name__}.")
    for key, fields in _ITEM_FIELDS.items():
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
                problems.append(f"{key}[{i}] must be an object with {', '.join(fields)}.")
                continue
            for field in fields:
                if not isinstance(item.get(field), str):
                    problems.append(f"{key}[{i}].{field} is missing or not a string.")
            for field in item:
                if field not in fields:
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
            head, _, text = raw.partition(":")
            item = {fields[0]: clean_text(head), "text": clean_text(text)}
            if "title" in fields:
                item["title"] = item[fields[0]]
        elif isinstance(raw, dict):
            item = {f: clean_text(_pick(raw, f)) for f in fields}
        else:
            continue
        item = {f: item.get(f, "") for f in fields}
        if any(item.values()):
            items.append(item)
    return items[:MAX_ITEMS]


def _elements(value: Any) -> list[dict[str, str]]:
    out = []
    for e in value if isinstance(value, list) else []:
        if isinstance(e, dict) and clean_text(e.get("label")):
            out.append({"label": clean_text(e.get("label")), "description": clean_text(e.get("description"))})
    return out[:4]


def coerce_page_spec(data: Any) -> dict[str, Any]:
    """A complete page spec from whatever a model produced: JSON text or a dict, with aliased, missing or
    wrongly typed fields read leniently and lists cut to 3 items, so a partly wrong answer still renders.
    Copy is kept as written (the design system decides what is fit to show); a missing field is ""."""
    if isinstance(data, str):
        match = re.search(r"\{.*\}", data, re.DOTALL)
        try:
            data = json.loads(match.group(0)) if match else {}
        except json.JSONDecodeError:
            data = {}
    if not isinstance(data, dict):
        data = {}
    spec: dict[str, Any] = {key: clean_text(_pick(data, key)) for key in STRING_FIELDS}
    for key, fields in _ITEM_FIELDS.items():
        spec[key] = _coerce_items(_pick(data, key), fields)
    for item in spec["pain_points"]:
        item["title"] = tidy_title(item["title"], 60)
    elements = _elements(data.get("visual_elements"))
    if elements:
        spec["visual_elements"] = elements
    return spec

"""Turning a model's answer into the structure its node asked for, and the JSON schemas that constrain it."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, cast

import jsonschema

from workflow_core.errors import OutputParseError
from workflow_core.page.site import extract_html
from workflow_core.page.spec import PAGE_SPEC_SCHEMA, VISUAL_ELEMENTS_SCHEMA, coerce_page_spec
from workflow_core.workflow.spec import Node


def json_from_text(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a ```json fence, or the outermost {...}."""
    candidates = [text.strip()]
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        candidates.append(fence.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for c in candidates:
        try:
            return json.loads(c)
        except json.JSONDecodeError:
            continue
    raise OutputParseError(
        "the model's output is not valid JSON. Lower the temperature, raise max_tokens if the output was cut "
        "off, or switch output_format to `tagged` for a model without structured output."
    )


_TAG = re.compile(r"<(?P<tag>[a-z_]+)>\s*(?P<body>.*?)\s*</(?P=tag)>", re.S | re.I)


def parse_tagged(text: str) -> dict[str, Any]:
    """Parse tagged free text: `<website_description>...</website_description>` and a
    `<visual_elements>` block of `- label: description` lines."""
    found = {m.group("tag").lower(): m.group("body") for m in _TAG.finditer(text)}
    if "website_description" not in found or "visual_elements" not in found:
        missing = [t for t in ("website_description", "visual_elements") if t not in found]
        raise OutputParseError(
            f"the tagged output lacks <{'>, <'.join(missing)}> sections. The prompt must ask for both "
            "sections wrapped in those tags; a larger model or output_format `json` may follow it better."
        )
    elements = []
    for line in found["visual_elements"].splitlines():
        m = re.match(r"^\s*(?:[-*]|\d+[.)])?\s*\**(?P<label>[^:]+?)\**\s*:\s*(?P<desc>.+)$", line)
        if m:
            elements.append({"label": m.group("label").strip(), "description": m.group("desc").strip()})
    if not elements:
        raise OutputParseError("<visual_elements> holds no `- label: description` lines.")
    return {"website_description": found["website_description"], "visual_elements": elements}


def parse_output(node: Node, text: str) -> Any:
    fmt = node.output_format
    if fmt == "text":
        return None
    if fmt == "json":
        return json_from_text(text)
    if fmt == "tagged":
        return parse_tagged(text)
    if fmt == "html":
        return {"html": extract_html(text)}
    data = json_from_text(text)
    if not isinstance(data, dict):
        raise OutputParseError("the page spec must be a JSON object.")
    return {"page_spec": coerce_page_spec(data)}


def resolve_choices(schema: Any, choices: dict[str, list[str]]) -> Any:
    """The schema with each `"x-choices": NAME` turned into `"enum": [the run's ids]` (grammar-constrained
    decoding then cannot write any other); with no ids known, the field stays a free string."""
    if isinstance(schema, list):
        return [resolve_choices(v, choices) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: resolve_choices(v, choices) for k, v in schema.items() if k != "x-choices"}
    options = choices.get(str(schema.get("x-choices", "")), [])
    if options:
        out["enum"] = list(dict.fromkeys(options))
        out.pop("maxLength", None)
    return out


def output_schema(node: Node, choices: dict[str, list[str]] | None = None) -> dict[str, Any] | None:
    """The JSON schema a node's answer must follow, its `x-choices` resolved to the run's ids. A page spec
    written where no artist has described the pictures also lists its own `visual_elements`."""
    choices = choices or {}
    if node.output_format == "json":
        return cast(dict[str, Any] | None, resolve_choices(node.output_schema, choices))
    if node.output_format != "page_spec":
        return None
    schema = copy.deepcopy(PAGE_SPEC_SCHEMA)
    if not choices.get("images"):
        schema["properties"] = {"visual_elements": VISUAL_ELEMENTS_SCHEMA, **schema["properties"]}
        schema["required"] = ["visual_elements", *schema["required"]]
    return cast(dict[str, Any], resolve_choices(schema, choices))


_LENGTH_KEYWORDS = ("maxLength", "minLength")


def for_provider(schema: dict[str, Any] | None, local: bool) -> dict[str, Any] | None:
    """Length bounds keep a small local model's answers short (llama.cpp turns them into its grammar); hosted
    strict modes reject some of these keywords, so they are dropped there and the descriptions guide instead."""
    if schema is None or local:
        return schema

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _LENGTH_KEYWORDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return cast(dict[str, Any], strip(schema))


def check_schema(node: Node, data: Any, schema: dict[str, Any] | None) -> None:
    """Raise OutputParseError when a `json` node's answer breaks its output schema (`schema`, with the run's
    ids as enums): valid JSON of the wrong shape, or an id that is not one of the run's, must not pass."""
    if node.output_format != "json" or not schema:
        return
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise OutputParseError(
            f"the answer does not follow the node's output_schema at {where}: {error.message}. A model with "
            "structured output (or a lower temperature) follows a schema more reliably."
        )

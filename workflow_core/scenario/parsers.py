"""Parsing single scenario files: each parser takes the file's text and its path inside the scenario (`rel`,
used in messages) and returns what it read with a list of Problems, so a caller can report every problem in a
folder at once."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from pydantic import ValidationError

from workflow_core.errors import Problem
from workflow_core.scenario.model import Company, Testimonial

METADATA_SUFFIX = ".metadata.json"


TOO_DEEP = "it is nested too deeply to read (hundreds of levels); a profile needs a few"


def parse_json(text: str, rel: str, problems: list[Problem]) -> Any:
    """The JSON value of `text`, or None with a Problem (file, line and column) appended to `problems`."""
    try:
        return json.loads(text)
    except RecursionError:
        problems.append(Problem(f"{rel} is not usable JSON: {TOO_DEEP}."))
        return None
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(
                f"{rel} is not valid JSON: {exc.msg} (column {exc.colno}). Fix the syntax there.",
                line=exc.lineno,
            )
        )
        return None


def parse_yaml(text: str, rel: str, problems: list[Problem]) -> Any:
    """The YAML value of `text`, or None with a Problem (file and line) appended to `problems`."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(
            Problem(
                f"{rel} is not valid YAML: {reason}. Check the indentation and quoting there.",
                line=mark.line + 1 if mark is not None else None,
            )
        )
        return None


def located(problems: list[Problem], rel: str) -> list[Problem]:
    """Problems with the file named in `field` when they have no field of their own."""
    return [p if p.field else Problem(p.message, node_id=p.node_id, field=rel, line=p.line) for p in problems]


def _validation_problems(exc: ValidationError, rel: str, prefix: str = "") -> list[Problem]:
    out = []
    for err in exc.errors():
        field = prefix + ".".join(str(p) for p in err["loc"])
        if err["type"] == "missing":
            msg = f"{field} is required in {rel}; add it."
        else:
            msg = f"{field} in {rel}: {err['msg'].removeprefix('Value error, ')}."
        out.append(Problem(msg, field=field or None))
    return out


def parse_company(text: str, rel: str = "company.json") -> tuple[Company | None, list[Problem]]:
    problems: list[Problem] = []
    data = (
        parse_yaml(text, rel, problems)
        if rel.endswith((".yaml", ".yml"))
        else parse_json(text, rel, problems)
    )
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(f'{rel} must be an object with at least a `name`, e.g. {{"name": "Acme"}}.')]
    try:
        company = Company.model_validate(data)
    except ValidationError as exc:
        return None, _validation_problems(exc, rel)
    return company, []


def _bedrock_value(value: Any) -> Any:
    """A metadata value, unwrapping Bedrock's typed form {"value": {"type": "STRING", "stringValue": ...}}."""
    if isinstance(value, dict) and isinstance(value.get("value"), dict):
        typed = value["value"]
        for key in ("stringValue", "numberValue", "booleanValue", "stringListValue"):
            if key in typed:
                return typed[key]
    return value


def parse_metadata_sidecar(text: str, rel: str) -> tuple[dict[str, Any], list[Problem]]:
    """Metadata from an Amazon Bedrock Knowledge Base sidecar:
    {"metadataAttributes": {"industry": "mining"}}."""
    problems: list[Problem] = []
    data = parse_json(text, rel, problems)
    if problems:
        return {}, problems
    if not isinstance(data, dict) or not isinstance(data.get("metadataAttributes"), dict):
        return {}, [
            Problem(
                f"{rel} is not in Amazon Bedrock metadata format: wrap the fields as "
                '{"metadataAttributes": {"industry": "mining", "year": 2024}}.'
            )
        ]
    meta: dict[str, Any] = {}
    for key, raw in data["metadataAttributes"].items():
        value = _bedrock_value(raw)
        ok = isinstance(value, str | int | float | bool) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            problems.append(
                Problem(
                    f"{rel}: metadata attribute {key!r} must be a string, number, boolean "
                    "or list of strings.",
                    field=f"metadataAttributes.{key}",
                )
            )
            continue
        meta[key] = value
    return meta, problems


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def split_front_matter(text: str, rel: str) -> tuple[dict[str, Any], str, list[Problem]]:
    """(metadata, body, problems) of a Markdown document with optional YAML front matter between --- lines."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, []
    problems: list[Problem] = []
    data = parse_yaml(match.group(1), rel, problems)
    body = text[match.end() :]
    if problems:
        # The YAML parser counts from the line after the opening ---.
        shifted = [Problem(p.message, field=p.field, line=p.line + 1 if p.line else None) for p in problems]
        return {}, body, shifted
    if data is None:
        return {}, body, []
    if not isinstance(data, dict):
        return {}, body, [Problem(f"{rel}: the front matter must be `key: value` lines between --- lines.")]
    return data, body, []


def parse_offerings(data: Any, rel: str) -> tuple[dict[str, str], list[Problem]]:
    if not isinstance(data, dict):
        return {}, [
            Problem(f'{rel} must be an object keyed by segment, e.g. {{"mining": "What we offer..."}}.')
        ]
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for segment, value in data.items():
        if isinstance(value, str):
            out[str(segment)] = value.strip()
        elif isinstance(value, list):
            lines = []
            for i, item in enumerate(value):
                if isinstance(item, str):
                    lines.append(f"- {item}")
                elif isinstance(item, dict) and item.get("name"):
                    desc = str(item.get("description", "")).strip()
                    price = str(item.get("price", "")).strip()
                    name = f"{item['name']} ({price})" if price else str(item["name"])
                    lines.append(f"- {name}: {desc}" if desc else f"- {name}")
                else:
                    problems.append(
                        Problem(
                            f"{rel}: offering {i + 1} of {segment!r} must be text or an object with a `name` "
                            "(and optionally a `description`).",
                            field=f"{segment}.{i}",
                        )
                    )
            out[str(segment)] = "\n".join(lines)
        else:
            problems.append(
                Problem(
                    f"{rel}: {segment!r} must be text or a list of offerings {{name, description}}.",
                    field=segment,
                )
            )
    return out, problems


def parse_offerings_file(text: str, rel: str) -> tuple[dict[str, str], list[Problem]]:
    """`parse_offerings` of an offerings.json, or of an offerings.yaml/.yml when `rel` ends so."""
    problems: list[Problem] = []
    data = parse_json(text, rel, problems) if rel.endswith(".json") else parse_yaml(text, rel, problems)
    if problems:
        return {}, problems
    return parse_offerings(data, rel)


def parse_testimonials_json(text: str, rel: str) -> tuple[list[Testimonial], list[Problem]]:
    problems: list[Problem] = []
    data = parse_json(text, rel, problems)
    if problems:
        return [], problems
    if not isinstance(data, list):
        return [], [Problem(f"{rel} must be a list of {{quote, author, role, segment}} objects.")]
    out = []
    for i, item in enumerate(data):
        try:
            out.append(Testimonial.model_validate(item))
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, rel, prefix=f"{i}."))
    return out, problems


def parse_profile(text: str, rel: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    problems: list[Problem] = []
    data = parse_json(text, rel, problems)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(f'{rel} must hold one JSON object (a profile), e.g. {{"name": "Dana"}}.')]
    return data, []


def parse_profiles_jsonl(text: str, rel: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    rows, problems = parse_profile_lines(text, rel)
    return [data for _, data in rows], problems


def parse_profile_lines(text: str, rel: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """The profiles of a JSONL text with their line numbers, and a Problem for each line that is not one."""
    out: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except RecursionError:
            problems.append(Problem(f"{rel} line {n} is not usable JSON: {TOO_DEEP}.", line=n))
            continue
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{rel} line {n} is not valid JSON: {exc.msg}.", line=n))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(f"{rel} line {n} must be a JSON object (one profile per line).", line=n))
            continue
        out.append((n, data))
    return out, problems


def check_svg(text: str, rel: str) -> list[Problem]:
    """A Problem when `text` does not look like an SVG document."""
    if "<svg" not in text[:2000]:
        return [Problem(f"{rel} does not look like SVG (no <svg> element); save the logo as SVG or PNG.")]
    return []

"""Visitor profiles from outside a scenario: a batch's JSONL file or folder of JSON files, and the profile in
a request to `decompose serve`. Each is checked with messages that say what is wrong and how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow_core.errors import Problem, ScenarioError
from workflow_core.page.words import slugify
from workflow_core.scenario.parsers import parse_profile, parse_profile_lines

MAX_FIELDS = 50
MAX_DEPTH = 4  # objects and lists nested inside the profile
MAX_TEXT = 2000  # characters in one string
MAX_VALUES = 2000  # strings, numbers, objects and lists in the whole profile
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class _Shape:
    depth: int = 0  # deepest nesting below the field (1: the field's own value)
    longest: int = 0  # longest string, in characters
    values: int = 0
    surrogate: str | None = None  # a string (or key) holding a lone UTF-16 surrogate


def _shape(value: Any) -> _Shape:
    """How deep, long and large `value` is, walked without recursion (a profile nested thousands of levels
    deep must get a message, not a RecursionError), stopping early once it is far past every limit."""
    shape = _Shape()
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack and shape.values <= MAX_VALUES and shape.depth <= 2 * MAX_DEPTH:
        item, depth = stack.pop()
        shape.values += 1
        shape.depth = max(shape.depth, depth)
        if isinstance(item, dict):
            for key, inner in item.items():
                if shape.surrogate is None and isinstance(key, str) and _SURROGATE.search(key):
                    shape.surrogate = key
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str):
            shape.longest = max(shape.longest, len(item))
            if shape.surrogate is None and _SURROGATE.search(item):
                shape.surrogate = item
    return shape


def profile_problems(profile: Any) -> list[str]:
    """What is wrong with a visitor profile (empty when nothing): a non-empty JSON object of at most
    MAX_FIELDS fields, nested at most MAX_DEPTH deep, with no string longer than MAX_TEXT characters."""
    if not isinstance(profile, dict):
        return [f'the profile must be a JSON object such as {{"name": "Dana"}}, not {type(profile).__name__}']
    if not profile:
        return ['the profile is empty: give at least one field, e.g. {"name": "Dana", "segment": "Mining"}']
    problems = []
    if len(profile) > MAX_FIELDS:
        problems.append(f"the profile has {len(profile)} fields; at most {MAX_FIELDS} are accepted")
        return problems
    for key, value in profile.items():
        name = _SURROGATE.sub("\ufffd", str(key))[:60]
        if _SURROGATE.search(str(key)):
            problems.append(f"a field name ('{name}') holds a lone UTF-16 surrogate; send valid Unicode text")
        shape = _shape(value)
        if shape.depth > MAX_DEPTH:
            deep = (
                f"{shape.depth} levels"
                if shape.depth <= 2 * MAX_DEPTH
                else f"more than {2 * MAX_DEPTH} levels"
            )
            problems.append(f"field '{name}' is nested {deep} deep; at most {MAX_DEPTH} are accepted")
        elif shape.values > MAX_VALUES:
            problems.append(f"field '{name}' holds over {MAX_VALUES} values; send a profile of a few KB")
        if shape.longest > MAX_TEXT:
            problems.append(
                f"field '{name}' holds text of {shape.longest} characters; at most {MAX_TEXT} are accepted"
            )
        if shape.surrogate is not None:
            problems.append(
                f"field '{name}' holds a lone UTF-16 surrogate (an escape such as \\ud800 with no pair), "
                "which is not text; send valid Unicode"
            )
    return problems


def _profile_id(data: dict[str, Any], fallback: str) -> str:
    """The profile's `id` made safe for a file name, else `fallback` (a file's stem, or `profile-N` for line N
    of a JSONL file: a name is not an id, two visitors may share one)."""
    return slugify(str(data.get("id") or ""), fallback=fallback)


def load_profiles(path: str | Path) -> dict[str, dict[str, Any]]:
    """Profiles by id from `path` (see `read_profiles`). Raises ScenarioError listing every problem."""
    profiles, problems = read_profiles(path)
    if problems:
        raise ScenarioError(problems)
    return profiles


def read_profiles(path: str | Path) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Profiles by id from a JSONL file (one JSON object per line) or a folder of `.json` files. An id is
    the profile's `id`, else its file name (in a folder) or `profile-N` for line N (in a JSONL file), made
    safe for a file name.
    Returns the valid profiles and a Problem for each one left out (bad JSON, an invalid profile, a second
    profile with an id already taken), so a batch runs the good lines and reports the bad ones. Raises
    ScenarioError when the path is missing or holds no profile at all."""
    source = Path(path)
    problems: list[Problem] = []
    rows: list[tuple[str, dict[str, Any], str]] = []  # (id, profile, where)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() == ".json")
        if not files:
            raise ScenarioError([Problem(f"{source} holds no .json profile files.")])
        for file in files:
            try:
                text = file.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(
                    Problem(f"{file.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8.")
                )
                continue
            data, local = parse_profile(text, file.name)
            problems.extend(local)
            if data is not None:
                rows.append((_profile_id(data, slugify(file.stem, fallback="profile")), data, file.name))
    elif source.is_file():
        text, problems = _utf8_lines(source)
        parsed, bad = parse_profile_lines(text, source.name)
        problems += bad
        rows = [(_profile_id(d, f"profile-{n}"), d, f"{source.name} line {n}") for n, d in parsed]
    else:
        raise ScenarioError(
            [
                Problem(
                    f"{source} does not exist: give a .jsonl file (one profile per line) or a folder of .json."
                )
            ]
        )
    seen: dict[str, str] = {}
    out: dict[str, dict[str, Any]] = {}
    for pid, data, where in rows:
        wrong = profile_problems(data)
        problems.extend(Problem(f"{where}: {p}.") for p in wrong)
        if pid in seen:
            problems.append(Problem(f"{where} has the id '{pid}' like {seen[pid]}; give each a unique `id`."))
        elif not wrong:
            seen[pid] = where
            out[pid] = data
    if not out:
        raise ScenarioError(problems or [Problem(f"{source} holds no profiles.")])
    return out, problems


def _utf8_lines(source: Path) -> tuple[str, list[Problem]]:
    """A JSONL file's text; a line that is not UTF-8 is blanked (so it is skipped) with a Problem."""
    raw = source.read_bytes()
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    lines, problems = [], []
    for n, line in enumerate(raw.split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(
                    f"{source.name} line {n} is not UTF-8 text (byte {exc.start}); save it as UTF-8.", line=n
                )
            )
            lines.append("")
    return "\n".join(lines), problems

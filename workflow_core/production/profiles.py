"""Visitor profiles from outside a scenario: a batch's JSONL file or folder of JSON files, and the profile in
a request to `decompose serve`. Each is checked with messages that say what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workflow_core.errors import DecomposeError, Problem, ScenarioError
from workflow_core.page.words import slugify
from workflow_core.scenario.parsers import parse_profile, parse_profiles_jsonl

MAX_FIELDS = 50
MAX_DEPTH = 4  # objects and lists nested inside the profile
MAX_TEXT = 2000  # characters in one string


def _depth_and_longest(value: Any, depth: int = 0) -> tuple[int, int]:
    if isinstance(value, dict):
        inner = [_depth_and_longest(v, depth + 1) for v in value.values()]
    elif isinstance(value, list):
        inner = [_depth_and_longest(v, depth + 1) for v in value]
    else:
        return depth, len(value) if isinstance(value, str) else 0
    return max((d for d, _ in inner), default=depth), max((n for _, n in inner), default=0)


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
    for key, value in profile.items():
        depth, longest = _depth_and_longest(value, 1)
        if depth > MAX_DEPTH:
            problems.append(f"field '{key}' is nested {depth} levels deep; at most {MAX_DEPTH} are accepted")
        if longest > MAX_TEXT:
            problems.append(
                f"field '{key}' holds text of {longest} characters; at most {MAX_TEXT} are accepted"
            )
    return problems


def _profile_id(data: dict[str, Any], fallback: str) -> str:
    """As a scenario names its profiles: the `id`, else (in a JSONL file) the name, else `fallback`."""
    return slugify(str(data.get("id") or ""), fallback=fallback)


def load_profiles(path: str | Path) -> dict[str, dict[str, Any]]:
    """Profiles by id from a JSONL file (one JSON object per line) or a folder of `.json` files. An id is
    the profile's `id`, else its file name (in a folder) or its name or line number (in a JSONL file), made
    safe for a file name.
    Raises ScenarioError listing every problem (bad JSON, an invalid profile, two profiles with one id)."""
    source = Path(path)
    problems: list[Problem] = []
    rows: list[tuple[str, dict[str, Any], str]] = []  # (id, profile, where)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() == ".json")
        if not files:
            raise ScenarioError([Problem(f"{source} holds no .json profile files.")])
        for file in files:
            data, local = parse_profile(file.read_text(encoding="utf-8"), file.name)
            problems.extend(local)
            if data is not None:
                rows.append((_profile_id(data, slugify(file.stem, fallback="profile")), data, file.name))
    elif source.is_file():
        parsed, problems = parse_profiles_jsonl(source.read_text(encoding="utf-8"), source.name)
        rows = [
            (_profile_id(d, f"profile-{n}"), d, f"{source.name} line {n}") for n, d in enumerate(parsed, 1)
        ]
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
        problems.extend(Problem(f"{where}: {p}.") for p in profile_problems(data))
        if pid in seen:
            problems.append(Problem(f"{where} has the id '{pid}' like {seen[pid]}; give each a unique `id`."))
        seen.setdefault(pid, where)
        out[pid] = data
    if problems:
        raise ScenarioError(problems)
    if not out:
        raise DecomposeError(f"{source} holds no profiles.")
    return out

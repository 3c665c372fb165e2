"""Scenarios: a company's documents, guidelines, offerings and customer profiles, loaded from a folder.

The folder format is documented in docs/scenario-format.md. `load_scenario` reports every problem at once;
`scenario_inputs` turns a scenario and one profile into the prompt variables named in `INPUT_NAMES`.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflow_core.errors import Problem, ScenarioError
from workflow_core.page.colour import DEFAULT_PALETTE

DOC_SUFFIXES = (".txt", ".md")
METADATA_SUFFIX = ".metadata.json"
# Profile keys that name the visitor's market segment, in order of preference.
SEGMENT_KEYS = ("segment", "industry", "sector", "vertical", "market")
# Unpacked size limit for an imported zip, so a small upload cannot fill the disk.
MAX_ZIP_BYTES = 50 * 1024 * 1024

INPUT_NAMES: dict[str, str] = {
    "profile": "the visitor's profile as given (a dict; any keys)",
    "profile_id": "the profile's id (file stem or its `id` key)",
    "segment": "the offering key that matches the profile's industry/segment, or None",
    "company": "the company: name, tagline, description, contact, website, palette, fonts",
    "palette": "brand colours as hex: primary, secondary, accent, background, text",
    "offerings": "the offering text for the profile's segment (all segments when none matches)",
    "all_offerings": "every segment's offering text, keyed by segment",
    "guidelines": "the brand and design guidelines (guidelines.md)",
    "design_steps": "the recommended page sections, one per list item (design_steps.md)",
    "testimonials": "testimonials as dicts (quote, author, role, segment), the segment's first",
    "logo": "the company logo as a data: URI, ready for an <img src>",
}


_HEX_PATTERN = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


class Contact(BaseModel):
    model_config = ConfigDict(extra="allow")
    email: str = ""
    phone: str = ""
    address: str = ""


class Palette(BaseModel):
    model_config = ConfigDict(extra="allow")
    primary: str = DEFAULT_PALETTE["primary"]
    secondary: str = DEFAULT_PALETTE["secondary"]
    accent: str = DEFAULT_PALETTE["accent"]
    background: str = DEFAULT_PALETTE["background"]
    text: str = DEFAULT_PALETTE["text"]

    @field_validator("primary", "secondary", "accent", "background", "text")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a hex colour; write one like #1f3a5f")
        return value


class Fonts(BaseModel):
    model_config = ConfigDict(extra="allow")
    heading: str = "system-ui, sans-serif"
    body: str = "system-ui, sans-serif"


class Company(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1)
    tagline: str = ""
    description: str = ""
    contact: Contact = Field(default_factory=Contact)
    website: str = ""
    palette: Palette = Field(default_factory=Palette)
    fonts: Fonts = Field(default_factory=Fonts)


class Document(BaseModel):
    """One knowledge document; `name` is its path inside knowledge/ (e.g. "mining/haul-roads.md")."""

    name: str
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class Testimonial(BaseModel):
    model_config = ConfigDict(extra="allow")
    quote: str = Field(min_length=1)
    author: str = Field(min_length=1)
    role: str = ""
    segment: str | None = None


class Scenario(BaseModel):
    root: Path | None = None
    company: Company
    documents: list[Document] = Field(default_factory=list)
    offerings: dict[str, str] = Field(default_factory=dict)
    guidelines: str = ""
    design_steps: list[str] = Field(default_factory=list)
    testimonials: list[Testimonial] = Field(default_factory=list)
    logo_mime: str | None = None
    logo_data: str | None = None  # SVG text, or base64 for raster logos
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)


# ---------------------------------------------------------------- parsing single files


def _parse_json(text: str, rel: str, problems: list[Problem]) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(
                f"{rel} is not valid JSON: {exc.msg} (column {exc.colno}). Fix the syntax there.",
                line=exc.lineno,
            )
        )
        return None


def _parse_yaml(text: str, rel: str, problems: list[Problem]) -> Any:
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
        _parse_yaml(text, rel, problems)
        if rel.endswith((".yaml", ".yml"))
        else _parse_json(text, rel, problems)
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
    data = _parse_json(text, rel, problems)
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
    data = _parse_yaml(match.group(1), rel, problems)
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
                    lines.append(f"- {item['name']}: {desc}" if desc else f"- {item['name']}")
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


_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*\S)\s*$")


def parse_design_steps(text: str) -> list[str]:
    """The steps of design_steps.md: its list items, or every non-empty line when it has no list."""
    lines = text.splitlines()
    bullets = [m.group(1) for m in map(_BULLET.match, lines) if m]
    if bullets:
        return bullets
    return [ln.lstrip("#").strip() for ln in lines if ln.strip() and ln.lstrip("#").strip()]


def parse_testimonials_json(text: str, rel: str) -> tuple[list[Testimonial], list[Problem]]:
    problems: list[Problem] = []
    data = _parse_json(text, rel, problems)
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


def parse_testimonials_md(text: str) -> list[Testimonial]:
    """Testimonials written as `> quote` lines followed by `— Author, Role | segment`."""
    out: list[Testimonial] = []
    quote: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            quote.append(stripped.lstrip(">").strip())
        elif quote and stripped[:1] in {"—", "-", "–"}:
            attribution, _, segment = stripped.lstrip("—–- ").partition("|")
            author, _, role = attribution.partition(",")
            out.append(
                Testimonial(
                    quote=" ".join(q for q in quote if q).strip('"“” '),
                    author=author.strip() or "Anonymous",
                    role=role.strip(),
                    segment=segment.strip() or None,
                )
            )
            quote = []
    return out


def parse_profile(text: str, rel: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    problems: list[Problem] = []
    data = _parse_json(text, rel, problems)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(f'{rel} must hold one JSON object (a profile), e.g. {{"name": "Dana"}}.')]
    return data, []


def parse_profiles_jsonl(text: str, rel: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    out: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{rel} line {n} is not valid JSON: {exc.msg}.", line=n))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(f"{rel} line {n} must be a JSON object (one profile per line).", line=n))
            continue
        out.append(data)
    return out, problems


def _check_svg(text: str, rel: str) -> list[Problem]:
    if "<svg" not in text[:2000]:
        return [Problem(f"{rel} does not look like SVG (no <svg> element); save the logo as SVG or PNG.")]
    return []


# ---------------------------------------------------------------- loading a folder


def _read(path: Path, rel: str, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(f"{rel} is not UTF-8 text; re-save it as UTF-8."))
    except OSError as exc:
        problems.append(Problem(f"cannot read {rel}: {exc.strerror}."))
    return None


def _located(problems: list[Problem], rel: str) -> list[Problem]:
    """Problems with the file named in `field` when they have no field of their own."""
    return [p if p.field else Problem(p.message, node_id=p.node_id, field=rel, line=p.line) for p in problems]


def _load_documents(root: Path, problems: list[Problem]) -> list[Document]:
    kdir = root / "knowledge"
    if not kdir.is_dir():
        return []
    docs: list[Document] = []
    doc_names: set[str] = set()
    for path in sorted(kdir.rglob("*")):
        if not path.is_file() or not path.name.lower().endswith(DOC_SUFFIXES):
            continue
        rel = path.relative_to(root).as_posix()
        text = _read(path, rel, problems)
        if text is None:
            continue
        meta: dict[str, Any] = {}
        if path.suffix.lower() == ".md":
            meta, text, fm_problems = split_front_matter(text, rel)
            problems.extend(_located(fm_problems, rel))
        sidecar = path.with_name(path.name + METADATA_SUFFIX)
        if sidecar.is_file():
            srel = sidecar.relative_to(root).as_posix()
            stext = _read(sidecar, srel, problems)
            if stext is not None:
                smeta, sproblems = parse_metadata_sidecar(stext, srel)
                problems.extend(_located(sproblems, srel))
                meta = {**meta, **smeta}
        name = path.relative_to(kdir).as_posix()
        doc_names.add(name)
        docs.append(Document(name=name, text=text.strip(), metadata=meta))
    for sidecar in sorted(kdir.rglob("*" + METADATA_SUFFIX)):
        target = sidecar.relative_to(kdir).as_posix()[: -len(METADATA_SUFFIX)]
        if target not in doc_names:
            problems.append(
                Problem(
                    f"metadata sidecar without a document: {target} does not exist in knowledge/. "
                    "Name a sidecar after its document plus .metadata.json "
                    "(notes.md -> notes.md.metadata.json).",
                    field=sidecar.relative_to(root).as_posix(),
                )
            )
    return docs


def _load_offerings(root: Path, problems: list[Problem]) -> dict[str, str]:
    offerings: dict[str, str] = {}
    for name in ("offerings.json", "offerings.yaml", "offerings.yml"):
        path = root / name
        if path.is_file():
            text = _read(path, name, problems)
            if text is not None:
                local: list[Problem] = []
                data = (
                    _parse_json(text, name, local)
                    if name.endswith(".json")
                    else _parse_yaml(text, name, local)
                )
                if not local:
                    parsed, local = parse_offerings(data, name)
                    offerings.update(parsed)
                problems.extend(_located(local, name))
            break
    odir = root / "offerings"
    if odir.is_dir():
        for path in sorted(odir.iterdir()):
            if path.is_file() and path.suffix.lower() in DOC_SUFFIXES:
                text = _read(path, path.relative_to(root).as_posix(), problems)
                if text is not None:
                    offerings[path.stem] = text.strip()
    return offerings


def _load_profiles(root: Path, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    profiles: dict[str, dict[str, Any]] = {}

    def add(pid: str, data: dict[str, Any], rel: str) -> None:
        if pid in profiles:
            problems.append(Problem(f"two profiles have the id {pid!r}; give each a unique `id`.", field=rel))
        profiles[pid] = data

    pdir = root / "profiles"
    if pdir.is_dir():
        for path in sorted(pdir.iterdir()):
            if not path.is_file() or path.suffix.lower() != ".json":
                continue
            rel = path.relative_to(root).as_posix()
            text = _read(path, rel, problems)
            if text is None:
                continue
            data, local = parse_profile(text, rel)
            problems.extend(_located(local, rel))
            if data is not None:
                add(str(data.get("id") or path.stem), data, rel)
    jsonl = root / "profiles.jsonl"
    if jsonl.is_file():
        text = _read(jsonl, "profiles.jsonl", problems)
        if text is not None:
            rows, local = parse_profiles_jsonl(text, "profiles.jsonl")
            problems.extend(_located(local, "profiles.jsonl"))
            for n, data in enumerate(rows, start=1):
                add(
                    str(data.get("id") or _slug(str(data.get("name", ""))) or f"profile-{n}"),
                    data,
                    "profiles.jsonl",
                )
    return profiles


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario folder, raising one ScenarioError that lists every problem found."""
    root = Path(path)
    if not root.is_dir():
        raise ScenarioError([Problem(f"{root} is not a folder; a scenario is a folder with a company.json.")])
    problems: list[Problem] = []

    company: Company | None = None
    company_files = [n for n in ("company.json", "company.yaml", "company.yml") if (root / n).is_file()]
    if not company_files:
        problems.append(Problem(f'{root} has no company.json: add one with at least {{"name": "..."}}.'))
    else:
        rel = company_files[0]
        text = _read(root / rel, rel, problems)
        if text is not None:
            company, local = parse_company(text, rel)
            problems.extend(_located(local, rel))

    documents = _load_documents(root, problems)
    offerings = _load_offerings(root, problems)

    guidelines = ""
    if (root / "guidelines.md").is_file():
        guidelines = (_read(root / "guidelines.md", "guidelines.md", problems) or "").strip()
    design_steps: list[str] = []
    if (root / "design_steps.md").is_file():
        design_steps = parse_design_steps(_read(root / "design_steps.md", "design_steps.md", problems) or "")

    testimonials: list[Testimonial] = []
    if (root / "testimonials.json").is_file():
        text = _read(root / "testimonials.json", "testimonials.json", problems)
        if text is not None:
            testimonials, local = parse_testimonials_json(text, "testimonials.json")
            problems.extend(_located(local, "testimonials.json"))
    elif (root / "testimonials.md").is_file():
        testimonials = parse_testimonials_md(
            _read(root / "testimonials.md", "testimonials.md", problems) or ""
        )

    logo_mime: str | None = None
    logo_data: str | None = None
    if (root / "logo.svg").is_file():
        text = _read(root / "logo.svg", "logo.svg", problems)
        if text is not None:
            svg_problems = _check_svg(text, "logo.svg")
            problems.extend(_located(svg_problems, "logo.svg"))
            if not svg_problems:
                logo_mime, logo_data = "image/svg+xml", text
    elif (root / "logo.png").is_file():
        logo_mime, logo_data = "image/png", base64.b64encode((root / "logo.png").read_bytes()).decode("ascii")

    profiles = _load_profiles(root, problems)

    if problems or company is None:
        raise ScenarioError(problems or [Problem("company.json could not be read.")])
    return Scenario(
        root=root.resolve(),
        company=company,
        documents=documents,
        offerings=offerings,
        guidelines=guidelines,
        design_steps=design_steps,
        testimonials=testimonials,
        logo_mime=logo_mime,
        logo_data=logo_data,
        profiles=profiles,
    )


# ---------------------------------------------------------------- editing and importing


def _safe_relpath(relpath: str) -> PurePosixPath:
    rel = PurePosixPath(relpath.replace("\\", "/"))
    if not relpath or rel.is_absolute() or ".." in rel.parts or re.match(r"^[A-Za-z]:", relpath):
        raise ScenarioError(
            [Problem(f"{relpath!r} is not a path inside the scenario: use a relative path without '..'.")]
        )
    return rel


def _file_problems(rel: PurePosixPath, text: str) -> list[Problem]:
    """What is wrong with `text` as the content of scenario file `rel`."""
    name = rel.as_posix()
    checks: dict[str, Callable[[], list[Problem]]] = {
        "company.json": lambda: parse_company(text, name)[1],
        "company.yaml": lambda: parse_company(text, name)[1],
        "company.yml": lambda: parse_company(text, name)[1],
        "testimonials.json": lambda: parse_testimonials_json(text, name)[1],
        "profiles.jsonl": lambda: parse_profiles_jsonl(text, name)[1],
        "logo.svg": lambda: _check_svg(text, name),
    }
    if name in checks:
        return checks[name]()
    if name in {"offerings.json", "offerings.yaml", "offerings.yml"}:
        local: list[Problem] = []
        data = _parse_json(text, name, local) if name.endswith(".json") else _parse_yaml(text, name, local)
        return local or parse_offerings(data, name)[1]
    if name.endswith(METADATA_SUFFIX):
        return parse_metadata_sidecar(text, name)[1]
    if rel.parts[0] == "profiles" and rel.suffix == ".json":
        return parse_profile(text, name)[1]
    if rel.suffix.lower() == ".md":
        return split_front_matter(text, name)[2]
    return []


def check_scenario_file(relpath: str, text: str) -> PurePosixPath:
    """Check `text` as the content of scenario file `relpath` the way `load_scenario` will read it, and return
    the safe relative path. Raises ScenarioError when the path or the content is invalid."""
    rel = _safe_relpath(relpath)
    problems = _file_problems(rel, text)
    if problems:
        raise ScenarioError(_located(problems, rel.as_posix()))
    return rel


def save_scenario_file(scenario_root: str | Path, relpath: str, text: str) -> Path:
    """Write one scenario file after checking it (`check_scenario_file`).
    Raises ScenarioError (and writes nothing) when the content is invalid."""
    rel = check_scenario_file(relpath, text)
    root = Path(scenario_root)
    target = root.joinpath(*rel.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a crash never leaves a half-written file that breaks the next load.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, target)
    return target


def import_scenario_zip(zip_bytes: bytes, dest: str | Path) -> Path:
    """Unpack a zipped scenario into `dest` (which must be empty or absent) and return the scenario root (the
    folder holding company.json, possibly one level down). Rejects entries that would land outside `dest`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile as exc:
        raise ScenarioError(
            [Problem("the upload is not a zip file; zip the scenario folder and try again.")]
        ) from exc
    problems: list[Problem] = []
    total = 0
    for info in archive.infolist():
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
            problems.append(
                Problem(f"zip entry {name!r} points outside the scenario folder; it was refused.")
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            problems.append(
                Problem(f"zip entry {name!r} is a symbolic link; scenarios may only hold plain files.")
            )
        total += info.file_size
    if total > MAX_ZIP_BYTES:
        problems.append(
            Problem(f"the zip unpacks to {total / 1e6:.0f} MB; a scenario may hold at most 50 MB.")
        )
    if problems:
        raise ScenarioError(problems)
    dest_path = Path(dest)
    if dest_path.exists() and any(dest_path.iterdir()):
        raise ScenarioError(
            [Problem(f"{dest_path} is not empty; choose a new folder to import the scenario into.")]
        )
    dest_path.mkdir(parents=True, exist_ok=True)
    base = dest_path.resolve()
    for info in archive.infolist():
        target = (base / info.filename).resolve()
        if not target.is_relative_to(base):
            raise ScenarioError([Problem(f"zip entry {info.filename!r} points outside the scenario folder.")])
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as src, target.open("wb") as out:
            shutil.copyfileobj(src, out)
    candidates = [p.parent for p in base.rglob("company.*") if p.suffix in {".json", ".yaml", ".yml"}]
    candidates = [c for c in candidates if "__MACOSX" not in c.parts]
    if not candidates:
        raise ScenarioError([Problem("the zip has no company.json; a scenario folder needs one at its top.")])
    return min(candidates, key=lambda c: len(c.parts))


# ---------------------------------------------------------------- prompt inputs


def _segment_candidates(scenario: Scenario) -> list[str]:
    seen: dict[str, str] = {}
    for key in scenario.offerings:
        seen.setdefault(key.lower(), key)
    for doc in scenario.documents:
        for k in ("industry", "segment", "sector"):
            value = doc.metadata.get(k)
            if isinstance(value, str) and value:
                seen.setdefault(value.lower(), value)
    for t in scenario.testimonials:
        if t.segment:
            seen.setdefault(t.segment.lower(), t.segment)
    return list(seen.values())


def _match_segment(value: str, candidates: list[str]) -> str | None:
    low = value.strip().lower()
    for c in candidates:
        if c.lower() == low:
            return c
    for c in candidates:
        if re.search(rf"\b{re.escape(c.lower())}\b", low) or (
            low and re.search(rf"\b{re.escape(low)}\b", c.lower())
        ):
            return c
    return None


def profile_segment(profile: dict[str, Any], scenario: Scenario) -> str | None:
    """The scenario segment (an offerings key, else a knowledge `industry`) this profile belongs to: from keys
    like industry/segment/sector (case-insensitive), else any profile text that names a segment."""
    candidates = _segment_candidates(scenario)
    if not candidates:
        return None
    lowered = {str(k).lower(): v for k, v in profile.items()}
    for key in SEGMENT_KEYS:
        value = lowered.get(key)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, str) and (hit := _match_segment(v, candidates)):
                return hit
    for value in profile.values():
        if isinstance(value, str):
            for c in candidates:
                if re.search(rf"\b{re.escape(c.lower())}\b", value.lower()):
                    return c
    return None


def logo_data_uri(scenario: Scenario) -> str:
    """The logo as a data: URI ("" when the scenario has none)."""
    if not scenario.logo_data or not scenario.logo_mime:
        return ""
    if scenario.logo_mime == "image/svg+xml":
        encoded = base64.b64encode(scenario.logo_data.encode("utf-8")).decode("ascii")
    else:
        encoded = scenario.logo_data
    return f"data:{scenario.logo_mime};base64,{encoded}"


def scenario_inputs(scenario: Scenario, profile_id: str | None) -> dict[str, Any]:
    """The prompt variables of `INPUT_NAMES` for one profile (an empty profile when `profile_id` is None)."""
    if profile_id is None:
        profile: dict[str, Any] = {}
    elif profile_id in scenario.profiles:
        profile = scenario.profiles[profile_id]
    else:
        known = ", ".join(sorted(scenario.profiles)) or "none"
        raise ScenarioError([Problem(f"no profile {profile_id!r} in the scenario; known profiles: {known}.")])
    segment = profile_segment(profile, scenario) if profile else None
    if segment is not None and segment in scenario.offerings:
        offerings = scenario.offerings[segment]
    else:
        offerings = "\n\n".join(f"## {k}\n{v}" for k, v in scenario.offerings.items())
    seg = (segment or "").lower()
    testimonials = sorted(
        scenario.testimonials, key=lambda t: 0 if seg and (t.segment or "").lower() == seg else 1
    )
    company = scenario.company.model_dump()
    return {
        "profile": profile,
        "profile_id": profile_id,
        "segment": segment,
        "company": company,
        "palette": company["palette"],
        "offerings": offerings,
        "all_offerings": dict(scenario.offerings),
        "guidelines": scenario.guidelines,
        "design_steps": list(scenario.design_steps),
        "testimonials": [t.model_dump() for t in testimonials],
        "logo": logo_data_uri(scenario),
    }


# ---------------------------------------------------------------- profile prose


def _text(value: Any) -> str:
    if isinstance(value, list):
        items = [_text(v) for v in value if v not in (None, "")]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, dict):
        return "; ".join(f"{_label(k).lower()}: {_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def _label(key: str) -> str:
    return str(key).replace("_", " ").replace("-", " ").strip().capitalize()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


_ALIASES = {
    "name": ("name", "full_name", "fullname"),
    "role": ("role", "title", "job_title", "position"),
    "company": ("company", "organisation", "organization", "employer", "company_name"),
    "industry": ("industry", "segment", "sector", "vertical"),
    "location": ("location", "city", "region", "country"),
    "company_size": ("company_size", "employees", "size", "headcount"),
}
_LISTED = (
    ("interests", "Interests"),
    ("goals", "Goals"),
    ("pain_points", "Pain points"),
    ("challenges", "Challenges"),
    ("recent_activity", "Recent activity"),
)
_SKIPPED = {"id"}


def profile_to_prose(profile: dict[str, Any]) -> str:
    """A deterministic English description of a profile with any keys: known keys (name, role, company,
    industry, location, company_size, interests, goals, ...) become sentences, the rest `Key: value` lines."""
    by_lower = {str(k).lower(): k for k in profile}
    used: set[Any] = set()

    def take(field: str) -> str:
        for alias in _ALIASES[field]:
            key = by_lower.get(alias)
            if key is not None and profile[key] not in (None, "", []):
                used.add(key)
                return _text(profile[key])
        return ""

    name, role, company = take("name"), take("role"), take("company")
    industry, location, size = take("industry"), take("location"), take("company_size")
    sentences: list[str] = []
    subject = name or "This visitor"
    if role or company:
        s = subject + (f" is {role}" if role else " works")
        if company:
            s += f" at {company}"
            if industry:
                sector = industry.lower()
                article = "an" if sector[:1] in "aeio" else "a"
                s += f", {article} {sector} company"
            if location:
                s += f" in {location}"
        sentences.append(_sentence(s))
        if not company and industry:
            sentences.append(_sentence(f"{subject} works in {industry}"))
        if not company and location:
            sentences.append(_sentence(f"{subject} is based in {location}"))
    else:
        if name:
            sentences.append(_sentence(f"This visitor is {name}"))
        if industry:
            sentences.append(_sentence(f"{subject} works in {industry}"))
        if location:
            sentences.append(_sentence(f"{subject} is based in {location}"))
    if size:
        who = company or "Their company"
        sentences.append(
            _sentence(
                f"{who} has {size} employees" if size.replace(",", "").isdigit() else f"Company size: {size}"
            )
        )
    for key_name, label in _LISTED:
        key = by_lower.get(key_name)
        if key is not None and profile[key] not in (None, "", []):
            used.add(key)
            sentences.append(_sentence(f"{label}: {_text(profile[key])}"))
    rest = [
        f"{_label(k)}: {_text(v)}"
        for k, v in profile.items()
        if k not in used and str(k).lower() not in _SKIPPED and v not in (None, "", [])
    ]
    prose = " ".join(sentences)
    if rest:
        prose = (prose + "\n" if prose else "") + "\n".join(rest)
    return prose or "No details are known about this visitor."

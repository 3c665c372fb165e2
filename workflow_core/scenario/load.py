"""Loading a scenario folder (the format is in docs/scenario-format.md): every file is read and parsed, and
every problem found is reported at once in one ScenarioError."""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path
from typing import Any

from workflow_core.errors import Problem, ScenarioError
from workflow_core.page.words import slugify
from workflow_core.scenario.files import is_os_junk
from workflow_core.scenario.freetext import parse_design_steps, parse_testimonials_text
from workflow_core.scenario.injection import INSTRUCTION_FLAG, flagged
from workflow_core.scenario.model import Company, Document, Scenario, Testimonial
from workflow_core.scenario.parsers import (
    METADATA_SUFFIX,
    check_svg,
    located,
    parse_company,
    parse_metadata_sidecar,
    parse_offerings_file,
    parse_profile,
    parse_profiles_jsonl,
    parse_testimonials_json,
    split_front_matter,
)

DOC_SUFFIXES = (".txt", ".md")
# The files a scenario's free-text parts may be in, the first that exists wins.
GUIDELINE_FILES = ("guidelines.md", "guidelines.txt")
DESIGN_STEP_FILES = ("design_steps.md", "design_steps.txt")
TESTIMONIAL_FILES = ("testimonials.json", "testimonials.md", "testimonials.txt")
OFFERING_FILES = ("offerings.json", "offerings.yaml", "offerings.yml")


def scenario_file(root: str | Path, names: tuple[str, ...]) -> str:
    """The first of `names` that exists in the scenario folder `root`, else the first name (where a new one
    would be written)."""
    return next((n for n in names if (Path(root) / n).is_file()), names[0])


def _read(path: Path, rel: str, problems: list[Problem]) -> str | None:
    try:
        # Exports from Windows (CRLF) and old Mac tools (CR) read the same as LF files.
        return path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        problems.append(Problem(f"{rel} is not UTF-8 text; re-save it as UTF-8."))
    except OSError as exc:
        problems.append(Problem(f"cannot read {rel}: {exc.strerror}."))
    return None


def _sidecar_for(path: Path, stems: Counter[tuple[Path, str]]) -> Path | None:
    """A document's metadata sidecar: `doc.txt.metadata.json`, else `doc.metadata.json` (as Amazon Bedrock
    knowledge bases are exported) when no other document in the folder has the stem `doc` (`stems` counts
    the documents per folder and stem)."""
    full = path.with_name(path.name + METADATA_SUFFIX)
    if full.is_file():
        return full
    by_stem = path.with_name(path.stem + METADATA_SUFFIX)
    return by_stem if by_stem.is_file() and stems[(path.parent, path.stem)] == 1 else None


def _load_documents(root: Path, problems: list[Problem], warnings: list[str]) -> list[Document]:
    kdir = root / "knowledge"
    if not kdir.is_dir():
        return []
    docs: list[Document] = []
    used_sidecars: set[Path] = set()
    paths = [
        p
        for p in sorted(kdir.rglob("*"))
        if p.is_file() and not is_os_junk(p.relative_to(kdir)) and p.name.lower().endswith(DOC_SUFFIXES)
    ]
    stems = Counter((p.parent, p.stem) for p in paths)
    for path in paths:
        rel = path.relative_to(root).as_posix()
        text = _read(path, rel, problems)
        if text is None:
            continue
        meta: dict[str, Any] = {}
        if path.suffix.lower() == ".md":
            meta, text, fm_problems = split_front_matter(text, rel)
            problems.extend(located(fm_problems, rel))
        sidecar = _sidecar_for(path, stems)
        if sidecar is not None:
            used_sidecars.add(sidecar)
            srel = sidecar.relative_to(root).as_posix()
            stext = _read(sidecar, srel, problems)
            if stext is not None:
                smeta, sproblems = parse_metadata_sidecar(stext, srel)
                problems.extend(located(sproblems, srel))
                meta = {**meta, **smeta}
        name = path.relative_to(kdir).as_posix()
        docs.append(Document(name=name, text=text.strip(), metadata=meta))
    for sidecar in sorted(kdir.rglob("*" + METADATA_SUFFIX)):
        if sidecar in used_sidecars or is_os_junk(sidecar.relative_to(kdir)):
            continue
        # Not fatal: the documents load without it, but the user is told which file was not used and why.
        warnings.append(
            f"{sidecar.relative_to(root).as_posix()} was not used: no document matches it. Name a sidecar "
            "after its document plus .metadata.json (notes.md -> notes.md.metadata.json or "
            "notes.metadata.json), with no stray spaces."
        )
    return docs


def _load_offerings(root: Path, problems: list[Problem]) -> dict[str, str]:
    offerings: dict[str, str] = {}
    for name in OFFERING_FILES:
        path = root / name
        if path.is_file():
            text = _read(path, name, problems)
            if text is not None:
                parsed, local = parse_offerings_file(text, name)
                offerings.update(parsed)
                problems.extend(located(local, name))
            break
    odir = root / "offerings"
    if odir.is_dir():
        for path in sorted(odir.iterdir()):
            if path.is_file() and path.suffix.lower() in DOC_SUFFIXES:
                text = _read(path, path.relative_to(root).as_posix(), problems)
                if text is not None:
                    offerings[path.stem] = text.strip()
    return offerings


def _load_profiles(
    root: Path, problems: list[Problem], folder: Path | None = None
) -> dict[str, dict[str, Any]]:
    """The scenario's profiles (`profiles/*.json` and `profiles.jsonl`), or only the `.json` files in `folder`."""
    profiles: dict[str, dict[str, Any]] = {}

    def add(pid: str, data: dict[str, Any], rel: str) -> None:
        if pid in profiles:
            problems.append(Problem(f"two profiles have the id {pid!r}; give each a unique `id`.", field=rel))
        profiles[pid] = data

    pdir = folder or root / "profiles"
    if folder is not None and not folder.is_dir():
        problems.append(Problem(f"{folder} is not a folder of .json profiles."))
    if pdir.is_dir():
        for path in sorted(pdir.iterdir()):
            if not path.is_file() or path.suffix.lower() != ".json":
                continue
            rel = path.as_posix() if folder is not None else path.relative_to(root).as_posix()
            text = _read(path, rel, problems)
            if text is None:
                continue
            data, local = parse_profile(text, rel)
            problems.extend(located(local, rel))
            if data is not None:
                add(str(data.get("id") or path.stem), data, rel)
    jsonl = root / "profiles.jsonl"
    if folder is None and jsonl.is_file():
        text = _read(jsonl, "profiles.jsonl", problems)
        if text is not None:
            rows, local = parse_profiles_jsonl(text, "profiles.jsonl")
            problems.extend(located(local, "profiles.jsonl"))
            for n, data in enumerate(rows, start=1):
                add(
                    str(data.get("id") or slugify(str(data.get("name", "")), fallback=f"profile-{n}")),
                    data,
                    "profiles.jsonl",
                )
    return profiles


def load_scenario(path: str | Path, profiles: str | Path | None = None) -> Scenario:
    """Load a scenario folder, raising one ScenarioError that lists every problem found. With `profiles`, a
    folder of `.json` profiles, its visitors are those in place of the scenario's own."""
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
            problems.extend(located(local, rel))

    warnings: list[str] = []
    documents = _load_documents(root, problems, warnings)
    offerings = _load_offerings(root, problems)

    guidelines = ""
    guidelines_rel = scenario_file(root, GUIDELINE_FILES)
    if (root / guidelines_rel).is_file():
        guidelines = (_read(root / guidelines_rel, guidelines_rel, problems) or "").strip()
    design_steps: list[str] = []
    steps_rel = scenario_file(root, DESIGN_STEP_FILES)
    if (root / steps_rel).is_file():
        design_steps = parse_design_steps(_read(root / steps_rel, steps_rel, problems) or "")

    testimonials: list[Testimonial] = []
    testimonials_rel = scenario_file(root, TESTIMONIAL_FILES)
    text = (
        _read(root / testimonials_rel, testimonials_rel, problems)
        if (root / testimonials_rel).is_file()
        else None
    )
    if text is not None and testimonials_rel.endswith(".json"):
        testimonials, local = parse_testimonials_json(text, testimonials_rel)
        problems.extend(located(local, testimonials_rel))
    elif text is not None:
        testimonials = parse_testimonials_text(text)

    logo_mime: str | None = None
    logo_data: str | None = None
    if (root / "logo.svg").is_file():
        text = _read(root / "logo.svg", "logo.svg", problems)
        if text is not None:
            svg_problems = check_svg(text, "logo.svg")
            problems.extend(located(svg_problems, "logo.svg"))
            if not svg_problems:
                logo_mime, logo_data = "image/svg+xml", text
    elif (root / "logo.png").is_file():
        logo_mime, logo_data = "image/png", base64.b64encode((root / "logo.png").read_bytes()).decode("ascii")

    visitors = _load_profiles(root, problems, Path(profiles) if profiles is not None else None)
    for line in [
        *(f for d in documents for f in flagged(d.text, f"knowledge/{d.name}")),
        *(f for pid, p in visitors.items() for f in flagged(p, f"profile {pid}")),
    ]:
        warnings.append(
            f"{line} {INSTRUCTION_FLAG}, not as data: it is kept out of every prompt and "
            "backs no claim on a page. Reword it as a fact, or remove it."
        )

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
        profiles=visitors,
        warnings=warnings,
    )

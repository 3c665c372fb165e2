"""Writing scenario files and importing zipped scenarios: every write is checked the way `load_scenario` will
read it, and no path may land outside the scenario folder."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path, PurePosixPath
from typing import IO

from workflow_core.errors import Problem, ScenarioError
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

# Unpacked size limit for an imported zip, so a small upload cannot fill the disk.
MAX_ZIP_BYTES = 50 * 1024 * 1024


def _escapes(path: str) -> bool:
    """Whether `path` (either slash) is absolute, climbs with '..' or names a Windows drive."""
    rel = PurePosixPath(path.replace("\\", "/"))
    return rel.is_absolute() or ".." in rel.parts or re.match(r"^[A-Za-z]:", path) is not None


def _safe_relpath(relpath: str) -> PurePosixPath:
    if not relpath or _escapes(relpath):
        raise ScenarioError(
            [Problem(f"{relpath!r} is not a path inside the scenario: use a relative path without '..'.")]
        )
    return PurePosixPath(relpath.replace("\\", "/"))


def _file_problems(rel: PurePosixPath, text: str) -> list[Problem]:
    """What is wrong with `text` as the content of scenario file `rel`."""
    name = rel.as_posix()
    checks: dict[str, Callable[[], list[Problem]]] = {
        "company.json": lambda: parse_company(text, name)[1],
        "company.yaml": lambda: parse_company(text, name)[1],
        "company.yml": lambda: parse_company(text, name)[1],
        "offerings.json": lambda: parse_offerings_file(text, name)[1],
        "offerings.yaml": lambda: parse_offerings_file(text, name)[1],
        "offerings.yml": lambda: parse_offerings_file(text, name)[1],
        "testimonials.json": lambda: parse_testimonials_json(text, name)[1],
        "profiles.jsonl": lambda: parse_profiles_jsonl(text, name)[1],
        "logo.svg": lambda: check_svg(text, name),
    }
    if name in checks:
        return checks[name]()
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
        raise ScenarioError(located(problems, rel.as_posix()))
    return rel


def check_scenario_files(files: Mapping[str, str], remove: Collection[str] = ()) -> None:
    """`check_scenario_file` for every (relative path, text) in `files`, and every path in `remove` must lie
    inside the scenario; one ScenarioError lists every problem found."""
    problems: list[Problem] = []
    for relpath, text in files.items():
        try:
            check_scenario_file(relpath, text)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    for relpath in remove:
        try:
            _safe_relpath(relpath)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)


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


def save_scenario_files(
    scenario_root: str | Path, files: Mapping[str, str], remove: Collection[str] = ()
) -> None:
    """Write every (relative path, text) in `files`, then delete the relative paths in `remove` (those that
    exist). Everything is checked first (`check_scenario_files`): when anything is invalid, one ScenarioError
    lists every problem and nothing is written or deleted. A disk error is a ScenarioError too."""
    check_scenario_files(files, remove)
    root = Path(scenario_root)
    for relpath in files:
        try:
            save_scenario_file(root, relpath, files[relpath])
        except OSError as exc:
            raise ScenarioError([Problem(f"cannot write {relpath}: {exc.strerror}.")]) from exc
    for relpath in remove:
        try:
            root.joinpath(*_safe_relpath(relpath).parts).unlink(missing_ok=True)
        except OSError as exc:
            raise ScenarioError([Problem(f"cannot delete {relpath}: {exc.strerror}.")]) from exc


# What operating systems leave in folders and zips: never part of a scenario.
_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


MAX_NAME_BYTES = 255  # one file or folder name, on every common file system


def is_os_junk(path: PurePosixPath | Path | str) -> bool:
    """Whether a relative path is OS clutter: `__MACOSX/`, AppleDouble `._*` files, `.DS_Store`, `Thumbs.db`."""
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    return any(p == "__MACOSX" or p.startswith("._") or p.lower() in _JUNK_NAMES for p in parts)


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
    entries = [info for info in archive.infolist() if not is_os_junk(info.filename)]
    for info in entries:
        name = info.filename
        if _escapes(name):
            problems.append(
                Problem(f"zip entry {name!r} points outside the scenario folder; it was refused.")
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            problems.append(
                Problem(f"zip entry {name!r} is a symbolic link; scenarios may only hold plain files.")
            )
        long = [part for part in PurePosixPath(name).parts if len(part.encode("utf-8")) > MAX_NAME_BYTES]
        if long:
            problems.append(
                Problem(
                    f"zip entry {name[:80]!r}… has a name of {len(long[0].encode('utf-8'))} bytes; file systems "
                    f"allow {MAX_NAME_BYTES}. Shorten it and zip the folder again."
                )
            )
        total += info.file_size
    problems += _clashes(entries)
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
    dest_path.parent.mkdir(parents=True, exist_ok=True)
    # Unpacked beside the destination and moved into place only when every entry read back whole: a damaged
    # zip leaves nothing half-imported behind.
    staging = Path(tempfile.mkdtemp(prefix=".importing-", dir=dest_path.parent))
    try:
        base = staging.resolve()
        for info in entries:
            target = (base / info.filename).resolve()
            if not target.is_relative_to(base):
                raise ScenarioError(
                    [Problem(f"zip entry {info.filename!r} points outside the scenario folder.")]
                )
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, target.open("wb") as out:
                    # Never more than the entry declares: a header that lies about its size stops here.
                    copied = _copy_at_most(src, out, info.file_size)
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
                raise ScenarioError(
                    [
                        Problem(
                            f"the zip is damaged: {info.filename!r} cannot be read ({exc}). Zip the folder again."
                        )
                    ]
                ) from exc
            if copied != info.file_size:
                raise ScenarioError(
                    [
                        Problem(
                            f"the zip is damaged: {info.filename!r} holds {copied} bytes, not the "
                            f"{info.file_size} its header says. Zip the folder again."
                        )
                    ]
                )
        candidates = [p.parent for p in base.rglob("company.*") if p.suffix in {".json", ".yaml", ".yml"}]
        if not candidates:
            raise ScenarioError(
                [Problem("the zip has no company.json; a scenario folder needs one at its top.")]
            )
        root = min(candidates, key=lambda c: len(c.parts))
        if dest_path.exists():
            dest_path.rmdir()  # empty (checked above)
        staging.rename(dest_path)
        return dest_path.resolve() / root.relative_to(base)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _clashes(entries: list[zipfile.ZipInfo]) -> list[Problem]:
    """Entries that cannot all be unpacked: one file's path is a folder of another's ("a", then "a/b"), or
    two names differ only in case (one overwrites the other on macOS and Windows)."""
    files = {PurePosixPath(i.filename) for i in entries if not i.is_dir()}
    problems = []
    for path in sorted(files):
        for parent in path.parents:
            if parent in files:
                problems.append(
                    Problem(
                        f"zip entry '{parent}' is a file, but '{path}' needs a folder of that name; rename one."
                    )
                )
    seen: dict[str, PurePosixPath] = {}
    for path in sorted(files):
        other = seen.setdefault(str(path).lower(), path)
        if other != path:
            problems.append(Problem(f"zip entries '{other}' and '{path}' differ only in case; rename one."))
    return problems


def _copy_at_most(src: IO[bytes], out: IO[bytes], limit: int) -> int:
    """Copy up to `limit` + 1 bytes (one more than allowed shows a lying header) and return the count."""
    copied = 0
    while copied <= limit:
        block = src.read(min(64 * 1024, limit + 1 - copied))
        if not block:
            break
        out.write(block)
        copied += len(block)
    return copied

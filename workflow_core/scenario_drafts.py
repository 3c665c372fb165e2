"""Unsaved edits to a scenario, kept across reloads: what the Scenario page's tables and text editors hold
that is not on disk yet, by area ("profiles", "offerings", or a file's path), in the user data folder. A
reload, a crash or a closed tab loses nothing; Save writes the area to the scenario and drops it here;
Discard drops it. The files themselves change only on Save."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from workflow_core.workspace import home


def _file(root: Path) -> Path:
    digest = hashlib.sha256(str(Path(root).resolve()).encode("utf-8")).hexdigest()[:16]
    return home() / "scenario-edits" / f"{digest}.json"


def pending(root: Path) -> dict[str, Any]:
    """The unsaved edits of the scenario at `root`, by area (an empty dict when there are none, or when the
    file cannot be read: unsaved edits are a convenience, never a reason to fail)."""
    path = _file(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    edits = data.get("edits") if isinstance(data, dict) else None
    return edits if isinstance(edits, dict) else {}


def keep(root: Path, area: str, value: Any) -> None:
    """Remember `value` (JSON: a table's rows, a text) as the unsaved state of `area`."""
    edits = pending(root)
    if edits.get(area) == value:
        return
    edits[area] = value
    _write(root, edits)


def drop(root: Path, area: str | None = None) -> None:
    """Forget the unsaved state of `area` (every area when None)."""
    edits = pending(root)
    if area is None:
        edits = {}
    elif area in edits:
        del edits[area]
    else:
        return
    _write(root, edits)


def _write(root: Path, edits: dict[str, Any]) -> None:
    path = _file(root)
    if not edits:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return
    with contextlib.suppress(OSError):  # a read-only data folder: the edits live in the session only
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        payload = {"root": str(Path(root).resolve()), "updated_at": time.time(), "edits": edits}
        tmp.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, path)

"""Working copies: the workflow open in the Designer, kept in the user data folder after every change, so a
reload, a bookmark or a shared link (`?workflow=<id>`) finds it again. A working copy remembers the file it was
last saved to (or loaded from) and what that file held, which tells whether it has unsaved changes."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from workflow_core.errors import Problem, WorkflowError
from workflow_core.workflow.files import dump_workflow, parse_workflow
from workflow_core.workflow.spec import Workflow
from workflow_core.workspace import home

_ID = re.compile(r"^[0-9a-f]{12}$")
KEPT = 20  # working copies kept; older ones are deleted when a new one is made


def drafts_dir() -> Path:
    return home() / "drafts"


@dataclass
class Draft:
    """One working copy: its id, the workflow, and the file it matches when saved."""

    draft_id: str
    workflow: Workflow
    saved_path: str | None = None  # the file last saved to or loaded from
    saved_yaml: str | None = None  # what that file held then (None: never saved)
    updated_at: float = 0.0

    @property
    def unsaved(self) -> bool:
        """Whether the workflow differs from what it was when last saved or loaded."""
        return self.saved_yaml is None or dump_workflow(self.workflow) != self.saved_yaml

    def mark_saved(self, path: Path | str | None) -> None:
        """Record that the workflow as it is now was written to (or read from) `path`; None for a template."""
        self.saved_path = None if path is None else str(path)
        self.saved_yaml = dump_workflow(self.workflow)


def valid_id(draft_id: str | None) -> bool:
    return bool(draft_id) and bool(_ID.match(str(draft_id)))


def new_draft(workflow: Workflow) -> Draft:
    """A working copy with a fresh id (not written until `write_draft`)."""
    return Draft(draft_id=secrets.token_hex(6), workflow=workflow)


def _path(draft_id: str) -> Path:
    return drafts_dir() / f"{draft_id}.json"


def write_draft(draft: Draft) -> Path:
    """Keep the working copy on disk (written to a temporary file, then renamed: a crash never leaves half).
    Raises WorkflowError when the folder cannot be written."""
    draft.updated_at = time.time()
    data = {
        "workflow": dump_workflow(draft.workflow),
        "saved_path": draft.saved_path,
        "saved_yaml": draft.saved_yaml,
        "updated_at": draft.updated_at,
    }
    path = _path(draft.draft_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise WorkflowError(
            [Problem(f"cannot keep the working copy in {path.parent}: {exc.strerror}.")]
        ) from exc
    if fresh:
        _prune()
    return path


def read_draft(draft_id: str | None) -> Draft | None:
    """The working copy with this id, or None when there is none (or the id is not one of ours). A file
    that no longer parses is None too: the Designer then starts a fresh copy instead of failing."""
    if draft_id is None or not valid_id(draft_id):
        return None
    path = _path(draft_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        workflow = parse_workflow(data["workflow"], source=str(path))
    except (OSError, ValueError, KeyError, TypeError, WorkflowError):
        return None
    return Draft(
        draft_id=draft_id,
        workflow=workflow,
        saved_path=data.get("saved_path"),
        saved_yaml=data.get("saved_yaml"),
        updated_at=float(data.get("updated_at") or 0.0),
    )


def recent_drafts() -> list[str]:
    """Ids of the kept working copies, the most recently changed first."""
    folder = drafts_dir()
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.json") if valid_id(p.stem)]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [p.stem for p in files]


def _prune() -> None:
    for old in recent_drafts()[KEPT:]:
        _path(old).unlink(missing_ok=True)

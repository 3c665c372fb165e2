"""What every part of the store shares (`workflow_core.run.store.Store` opens it): one SQLite connection, the
lock that guards it (the app runs workflows on worker threads) and `_writing`, one committed write. Each
concern's part (runs, call statistics, experiments, votes, screenshots) is a mixin on this shape, so its
queries sit in its own module while callers keep one `Store`."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING


class StorePart:
    path: Path
    _db: sqlite3.Connection
    _lock: threading.Lock

    if TYPE_CHECKING:

        def _writing(self, what: str, wait: bool = True) -> AbstractContextManager[bool]:
            """One committed write under the lock (Store._writing); False without waiting when `wait` is
            False and another thread holds the store."""
            ...

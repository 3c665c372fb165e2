"""SQLite persistence (stdlib): run records, the content-addressed node cache, model-call statistics for
estimates, experiments, people's (and judges') pairwise votes and page screenshots. `Store` opens the
database and migrates it (workflow_core.run.migrations: named migrations keep old databases readable); each
concern's queries live in their own part (store_runs, store_calls, store_experiments, store_votes,
store_screenshots), which `Store` combines so callers hold one object."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from workflow_core.errors import DecomposeError
from workflow_core.paths import home
from workflow_core.run.migrations import migrate
from workflow_core.run.store_experiments import ExperimentsPart
from workflow_core.run.store_runs import RunsPart
from workflow_core.run.store_screenshots import ScreenshotsPart
from workflow_core.run.store_votes import VotesPart

DB_FILE = "decompose.sqlite3"


def default_db_path() -> Path:
    """DECOMPOSE_DB, else `decompose.sqlite3` in the user data folder (DECOMPOSE_HOME moves it with the user's
    other files). Tests point DECOMPOSE_DB at a temporary file."""
    env = os.environ.get("DECOMPOSE_DB")
    if env:
        return Path(env)
    return home() / DB_FILE


def _when_unlocked(step: Callable[[], object], wait_s: float = 30.0) -> None:
    """Run `step`, trying again while SQLite says the database is locked. Switching a new file to WAL takes an
    exclusive lock, and SQLite answers "database is locked" at once, without its busy timeout, when another
    connection opening the same new file holds a shared one (seen with four processes starting together)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class StoreError(DecomposeError):
    """The database cannot be opened, read or written; the message names the file and what to do."""


class Store(RunsPart, ExperimentsPart, VotesPart, ScreenshotsPart):
    """Thread-safe (one connection guarded by a lock): the app runs workflows on worker threads. Opening it
    checks that the file is our database and writable, so a bad path fails before any model is paid for."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._lock = threading.Lock()
        self._init_call_stats()
        fix = "Point DECOMPOSE_DB at another file, or move this one out of the way."
        try:
            if str(self.path) != ":memory:":
                if self.path.is_dir():
                    raise StoreError(f"the database path {self.path} is a folder, not a file. {fix}")
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot create or open the database {self.path}: {exc}. {fix}") from exc
        try:
            _when_unlocked(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            # In WAL mode NORMAL never corrupts the database; a crash can only lose the last few commits,
            # which for runs and cache entries is cheaper than an fsync on every node (about 7 ms each here).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            reason = str(exc)
            if "readonly" in reason or "read-only" in reason or _read_only(self.path):
                what = "is read-only: runs and the cache could not be saved"
            elif "already exists" in reason:
                what = "holds another program's tables, not Decompose Studio's"
            else:
                what = f"is not a usable Decompose Studio database ({reason})"
            raise StoreError(f"the database {self.path} {what}. {fix}") from exc

    def _migrate(self) -> None:
        """Run the pending migrations in one transaction that holds the write lock from the moment it reads
        which are applied: two processes opening a new database together cannot both create its tables. The
        write lock also proves the file writable before anything is paid for."""
        with self._lock:
            self._db.isolation_level = None
            try:
                self._db.execute("BEGIN IMMEDIATE")
                migrate(self._db)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._db.isolation_level = "DEFERRED"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _writing(self, what: str, wait: bool = True) -> Iterator[bool]:
        """One committed write under the lock; a failure (disk full, read-only) rolls back and becomes a
        StoreError that says what could not be saved and where. With `wait=False` it yields False at once,
        and writes nothing, when another thread holds the store."""
        if not self._lock.acquire(blocking=wait):
            yield False
            return
        try:
            yield True
            self._db.commit()
        except sqlite3.Error as exc:
            self._db.rollback()
            raise StoreError(f"could not save {what} to {self.path}: {exc}.") from exc
        finally:
            self._lock.release()


def _read_only(path: Path) -> bool:
    """Whether `path` (or the folder that would hold it) cannot be written: a read-only file system, or a
    file without write permission."""
    target = path if path.exists() else path.parent
    try:
        if os.statvfs(target).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(target, os.W_OK)

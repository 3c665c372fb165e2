"""The store's screenshots of rendered pages, keyed by the page's sha256: a cached run shows the same page,
so it shows the same screenshots without rendering again, and run records stay small."""

from __future__ import annotations

import hashlib
import time

from workflow_core.run.store_base import StorePart


def page_sha(page_html: str) -> str:
    return hashlib.sha256(page_html.encode("utf-8")).hexdigest()


class ScreenshotsPart(StorePart):
    def save_screenshots(self, page_html: str, shots: dict[int, tuple[str, bytes]]) -> None:
        """Keep a page's screenshots (width -> (mime, bytes)) under the page's sha256."""
        sha = page_sha(page_html)
        with self._writing("the page's screenshots"):
            self._db.executemany(
                "INSERT OR REPLACE INTO page_screenshots (page_sha, width, mime, data, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(sha, width, mime, data, time.time()) for width, (mime, data) in shots.items()],
            )

    def screenshots(self, page_html: str) -> dict[int, tuple[str, bytes]]:
        """A page's screenshots by width (empty when it was never rendered)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT width, mime, data FROM page_screenshots WHERE page_sha = ? ORDER BY width DESC",
                (page_sha(page_html),),
            ).fetchall()
        return {int(w): (str(m), bytes(d)) for w, m, d in rows}

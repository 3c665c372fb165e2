"""The checker version: what a verdict says it was measured by, and what a cached QA verdict's key carries, so
that a change to the checks is never answered by a verdict from before it.

It joins three things: `CHECKER_VERSION`, bumped by hand for a change the code cannot show (a new axe-core, a
browser that lays pages out differently); a digest of the checks' own code (`checks_version`); and the
registered axes (an axis added, removed, re-weighted or made blocking changes what a page scores).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from workflow_core.quality.axes import axes

CHECKER_VERSION = "1"


@lru_cache(maxsize=1)
def checks_version() -> str:
    """A digest of the quality checks' own code (this package's modules, the rendered measures, the static
    checks and the text helpers they use)."""
    here, page = Path(__file__).parent, Path(__file__).parent.parent / "page"
    files = [*here.glob("*.py"), here / "measures.js", *(page / "checks").glob("*.py")]
    files += [page / name for name in ("copy.py", "words.py", "html5.py", "safety.py")]
    files.append(here.parent / "scenario" / "offer_fit.py")  # the visitor's want words (quality.wants)
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def checker_version() -> str:
    """`CHECKER_VERSION` and a digest of the checks' code and the registered axes, e.g. "1.3f9c0a7d2b1e"."""
    registered = "|".join(
        f"{a.name}:{a.default_weight!r}:{a.blocking}:{_name_of(a.measure)}" for a in axes().values()
    )
    digest = hashlib.sha256(f"{checks_version()}\0{registered}".encode()).hexdigest()[:12]
    return f"{CHECKER_VERSION}.{digest}"


def _name_of(fn: object) -> str:
    if fn is None:
        return "-"
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"

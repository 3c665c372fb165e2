"""The axis registry: everything the tool needs to know about a quality axis, in one place.

An axis is one `register_axis(Axis(...))`: its name, what it measures (the Settings help, the Run page's metric
help), its default weight, whether any failing finding of it keeps a page from being published, how a page is
measured on it (`measure`, which `check_page` calls; None for an axis measured elsewhere, such as the LLM judge
or people's votes), and whether calibration counts its flags against the labelled pages. The checks, weights
and their validation, calibration and every report and table read this registry, in its order (the order
reports show axes in), and name no axis list themselves.

The built-in axes register when `workflow_core.quality.builtin_axes` is imported; `axes()` imports it on first
use (as `workflow.kinds` loads the node kinds), so nothing here imports the checks at module level.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflow_core.page.checks.common import LoadedPage
    from workflow_core.quality.rendered import Rendered
    from workflow_core.quality.sources import Sources
    from workflow_core.quality.text import PageText
    from workflow_core.records import AxisResult

BUILTIN_MODULE = "workflow_core.quality.builtin_axes"


@dataclass(frozen=True)
class PageToCheck:
    """What an axis's `measure` reads: the page (its HTML, parsed once, and its text blocks), the run's sources,
    the files beside it (None: it must be self-contained), and the page as a browser rendered it (None when it
    was not, `why_not_rendered` says why: an axis that needs the browser falls back and says so)."""

    html: str
    page: LoadedPage
    text: PageText
    sources: Sources
    available_files: set[str] | None = None
    rendered: Rendered | None = None
    why_not_rendered: str = ""


Measure = Callable[[PageToCheck], "AxisResult | None"]


@dataclass(frozen=True)
class Axis:
    """One quality axis. Only `name` and `description` are required; the rest have neutral defaults."""

    name: str
    description: str  # what it measures, in the order of a sentence (Settings' help, the Run page's metrics)
    # Its weight in the page's score unless the user chose another (docs/quality.md says why each is what it is).
    default_weight: float = 1.0
    # Every failing finding of this axis keeps the page from being published (single checks of other axes
    # can too: `quality.model.BLOCKING_CHECKS`).
    blocking: bool = False
    # How `check_page` measures a page on it: an AxisResult, or None when there is nothing to check (no
    # profile, no guidelines). None here: the axis is measured elsewhere (the judge hook, the lab's votes).
    measure: Measure | None = None
    # Calibration counts its flags against the labelled pages' defects (precision, recall) and times it. The
    # rendered axes are calibrated apart (tests/quality_cases/rendered), as they need a browser.
    calibrated: bool = True


_AXES: dict[str, Axis] = {}
_builtins_loaded = False


def register_axis(axis: Axis) -> Axis:
    """Add an axis after the ones registered so far (a later registration of the same name replaces the
    earlier one in its place, so tests can swap one)."""
    axes()  # the built-in axes first, whoever registers first
    _AXES[axis.name] = axis
    return axis


def unregister_axis(name: str) -> None:
    _AXES.pop(name, None)


def axes() -> Mapping[str, Axis]:
    """Every registered axis by name, the built-in ones first, in the order reports show them."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        importlib.import_module(BUILTIN_MODULE)
    return _AXES


def axis(name: str) -> Axis:
    """The axis called `name`; KeyError when there is none."""
    return axes()[name]


def measured_axes() -> tuple[Axis, ...]:
    """The axes `check_page` measures, in order (those with a `measure`)."""
    return tuple(a for a in axes().values() if a.measure is not None)


def default_weights() -> dict[str, float]:
    """Each axis's default weight, in order."""
    return {a.name: a.default_weight for a in axes().values()}


def in_order(names: Iterable[str]) -> list[str]:
    """`names` in the registry's order, then any it does not know (a stored run's axis since removed) by name."""
    given = set(names)
    known = [a for a in axes() if a in given]
    return known + sorted(given - set(known))


def description(name: str) -> str:
    """What the axis measures ("" for one the registry does not know)."""
    found = axes().get(name)
    return found.description if found is not None else ""

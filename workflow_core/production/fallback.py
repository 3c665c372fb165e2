"""The page a visitor gets when the workflow's page for them fails its checks: built without a model, from
the seller's own words only (the company's tagline and description, the visitor's segment's offerings, the
testimonials that fit them, the guidelines' call to action), in the design system; or a page file the
operator configured (`decompose serve --fallback-page FILE`); sanitised like every served page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.page.colour import DEFAULT_PALETTE
from workflow_core.page.design_system import render_page
from workflow_core.page.safety import PagePolicy, sanitise
from workflow_core.run.inputs import RunInputs
from workflow_core.scenario.inputs import fitting_testimonials


def segment_page(inputs: RunInputs) -> str:
    """A generic page for the visitor's segment: every word is the scenario's, none a model's."""
    variables = dict(inputs.variables)
    company = variables.get("company") or {}
    return render_page(
        {},  # no copy: the design system's neutral lines and the scenario's own words stand in
        company=company,
        palette=variables.get("palette") or DEFAULT_PALETTE,
        logo_data_uri=variables.get("logo") or "",
        images={},
        testimonials=fitting_testimonials(variables),
        offerings=variables.get("offering_items") or [],
        cta=variables.get("cta") or "",
        profile=None,  # the visitor's data has no place on a page nobody personalised
    )


def read_fallback_file(path: str | Path) -> str:
    """A configured fallback page, read at start so a missing file is said before serving."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DecomposeError(
            f"--fallback-page {file}: cannot read it ({exc.__class__.__name__}: {exc}); give an HTML file "
            "in UTF-8, or leave the option out to serve a generic page for the visitor's segment."
        ) from None
    if "<" not in text:
        raise DecomposeError(f"--fallback-page {file} holds no HTML; give a complete page.")
    return text


class Fallback:
    """The fallback page for a visitor, sanitised for `policy` as every served page is: the configured file,
    or the segment page (one per segment, made and sanitised once: it depends on nothing of the visitor's but
    their segment)."""

    def __init__(self, policy: PagePolicy, page: str | None = None) -> None:
        self.policy = policy
        self.page = sanitise(page, policy) if page is not None else None
        self._by_segment: dict[Any, str] = {}

    @property
    def kind(self) -> str:
        return "configured page" if self.page is not None else "segment page"

    def for_inputs(self, inputs: RunInputs) -> str:
        if self.page is not None:
            return self.page
        segment = inputs.get("segment")
        if segment not in self._by_segment:
            self._by_segment[segment] = sanitise(segment_page(inputs), self.policy)
        return self._by_segment[segment]

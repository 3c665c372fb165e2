"""What a user's scenario still holds of a shipped example: its logo, its call to action, its testimonials or
its guidelines, left over from editing a copy of the example. A page built from them shows another company's
logo, asks for another company's action and quotes another company's customers, so the Scenario page says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from workflow_core.scenario.freetext import call_to_action
from workflow_core.scenario.model import Scenario


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def borrowed(scenario: Scenario, root: Path, examples: Iterable[tuple[Scenario, Path]]) -> list[str]:
    """One line for each part of `scenario` (at `root`) that is still an example's, naming the example. A
    shipped example itself borrows nothing."""
    out: list[str] = []
    for example, example_root in examples:
        if root.resolve() == example_root.resolve():
            return []
        whose = f"the example's ({example.company.name})"
        for name in ("logo.svg", "logo.png"):
            if _same_file(root / name, example_root / name):
                out.append(f"The logo is {whose}: upload your own on the Company tab.")
        own_cta = scenario.company.call_to_action.strip()
        cta = own_cta or call_to_action(scenario.guidelines)
        example_cta = example.company.call_to_action.strip() or call_to_action(example.guidelines)
        if cta and cta == example_cta:
            out.append(f'The call to action "{cta}" is {whose}: set your own on the Company tab.')
        quotes = {t.quote for t in example.testimonials}
        kept = [t for t in scenario.testimonials if t.quote in quotes]
        if kept:
            out.append(
                f"{len(kept)} testimonial(s) are {whose} customers': replace or delete them on the "
                "Testimonials tab (a page leaves the section out when there are none)."
            )
        if scenario.guidelines.strip() and scenario.guidelines.strip() == example.guidelines.strip():
            out.append(f"The guidelines are {whose}: rewrite them for your business.")
    return out

"""The labelled set for the rendered axes (accessibility, responsive): clean pages, and twins of each with
one injected defect. Each defect names the axis and the check that must find it.

Clean pages: our design system's page (`tests.helpers.realistic_page`, rendered fresh so it follows the
design system) and `third_party.html`, plain hand-written HTML and CSS as a small business's own site
would be. Defects are injected inside <main> so they add nothing else to find (content outside landmarks
is an axe finding of its own)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import realistic_page

HERE = Path(__file__).parent


def _in_main(snippet: str) -> Callable[[str], str]:
    def inject(html: str) -> str:
        assert "</main>" in html, "a clean page must have a <main> to inject into"
        return html.replace("</main>", snippet + "\n</main>", 1)

    return inject


def _drop_first_alt(html: str) -> str:
    out, n = re.subn(r'(<img\b[^>]*?)\s+alt="[^"]*"', r"\1", html, count=1)
    assert n == 1, "a clean page must have an image with alt text"
    return out


def _drop_viewport(html: str) -> str:
    out, n = re.subn(r'<meta name="viewport"[^>]*>', "", html, count=1)
    assert n == 1, "a clean page must set a mobile viewport"
    return out


@dataclass(frozen=True)
class Defect:
    name: str
    axis: str
    check: str  # the failed finding that must name it
    inject: Callable[[str], str]


DEFECTS = [
    Defect("missing_alt", "accessibility", "accessibility.image-alt", _drop_first_alt),
    Defect(
        "low_contrast",
        "accessibility",
        "accessibility.color-contrast",
        _in_main('<p style="color:#b4b4b4">Prices on request; call us for a quote.</p>'),
    ),
    Defect(
        "unlabeled_input",
        "accessibility",
        "accessibility.label",
        _in_main(
            '<form><input type="email" name="newsletter"> <button type="submit">Subscribe</button></form>'
        ),
    ),
    Defect(
        "fixed_width_overflow",
        "responsive",
        "responsive.overflow",
        _in_main(
            '<table style="width:1200px"><caption>Price list</caption><tr><th scope="col">Plan</th>'
            '<th scope="col">Monthly</th></tr><tr><td>Basic</td><td>120</td></tr></table>'
        ),
    ),
    Defect(
        "tiny_text",
        "responsive",
        "responsive.text_size",
        _in_main('<p style="font-size:9px">Terms and conditions apply to every offer on this page.</p>'),
    ),
    Defect(
        "broken_image",
        "responsive",
        "responsive.images",
        # A PNG cut off after its signature: the data: URI loads but does not decode.
        _in_main(
            '<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="Our workshop" width="300" height="200"></p>'
        ),
    ),
    Defect("no_mobile_viewport", "responsive", "responsive.viewport", _drop_viewport),
    Defect(
        "text_over_text",
        "responsive",
        "responsive.overlap",
        # A badge placed over a sentence, as a header whose name and nav collide draws them.
        _in_main(
            '<div style="position:relative"><p style="margin:0">Our crews reach every site within a day.</p>'
            '<p style="position:absolute;top:0;left:0;margin:0;background:transparent">Call now for a visit.</p>'
            "</div>"
        ),
    ),
]


def clean_pages() -> dict[str, str]:
    return {
        "design_system": realistic_page(),
        "third_party": (HERE / "third_party.html").read_text(encoding="utf-8"),
    }


@dataclass(frozen=True)
class Case:
    page: str  # the clean page it was made from
    defect: Defect | None  # None: the clean page itself
    html: str

    @property
    def name(self) -> str:
        return f"{self.page}+{self.defect.name}" if self.defect else self.page


def cases() -> list[Case]:
    """Every clean page, then each with each defect."""
    out = []
    for page, html in clean_pages().items():
        out.append(Case(page, None, html))
        out.extend(Case(page, d, d.inject(html)) for d in DEFECTS)
    return out


@dataclass(frozen=True)
class AxisTally:
    """Precision and recall of one axis on the set, per page: a page is flagged on the axis when the axis
    has a failed finding; it should be when a defect of that axis was injected."""

    axis: str
    true_pos: int
    false_pos: int
    false_neg: int

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        defective = self.true_pos + self.false_neg
        return self.true_pos / defective if defective else 1.0


def tally(
    failed_axes: dict[str, set[str]], axes: tuple[str, ...] = ("accessibility", "responsive")
) -> list[AxisTally]:
    """Per axis, from each case's name and the axes with a failed finding on it."""
    by_name = {c.name: c for c in cases()}
    out = []
    for axis in axes:
        tp = fp = fn = 0
        for name, failed in failed_axes.items():
            should = by_name[name].defect is not None and by_name[name].defect.axis == axis
            flagged = axis in failed
            tp += should and flagged
            fp += flagged and not should
            fn += should and not flagged
        out.append(AxisTally(axis, tp, fp, fn))
    return out


if __name__ == "__main__":
    # The figures for docs/quality.md: `python -m tests.quality_cases.rendered.cases`
    import os
    import time

    from workflow_core.quality import check_page

    failed: dict[str, set[str]] = {}
    seconds = []
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    for case in cases():
        t0 = time.perf_counter()
        report = check_page(case.html)
        seconds.append(time.perf_counter() - t0)
        failed[case.name] = {f.axis for f in report.failures}
        found = sorted({f.check for f in report.failures if f.axis in ("accessibility", "responsive")})
        print(
            f"{case.name:36} {seconds[-1]:5.2f} s  accessibility {report.axis_scores['accessibility']:.3f}"
            f"  responsive {report.axis_scores['responsive']:.3f}  {', '.join(found) or '-'}"
        )
    for t in tally(failed):
        print(
            f"{t.axis}: precision {t.precision:.2f} recall {t.recall:.2f} (tp {t.true_pos}, fp {t.false_pos}, fn {t.false_neg})"
        )
    print(
        f"{len(seconds)} pages; first (cold) {seconds[0]:.2f} s, then median {sorted(seconds[1:])[len(seconds[1:]) // 2]:.2f} s"
    )

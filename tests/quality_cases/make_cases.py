"""Writes the labelled pages of the quality calibration set and its manifest, `cases.json`.

Good pages: two rendered by our design system from a page spec (below) and two plain third-party-style pages
written by hand (`good/*.html`), on the example scenario and on a small consulting-firm scenario
(`scenarios/consulting`). Each good page gets twins with ONE injected defect each (a spec field changed, or one
string of the plain HTML replaced), and four pages reproduce the failures issue 8 reported. Run it after
changing a spec, an injection or the design system: `python -m tests.quality_cases.make_cases`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from workflow_core.page.design_system import render_page
from workflow_core.scenario import load_scenario, scenario_inputs

HERE = Path(__file__).parent
EXAMPLE = "assets/example_scenario"
CONSULTING = "tests/quality_cases/scenarios/consulting"

DANA_SPEC: dict[str, Any] = {
    "headline": "Keep your haul trucks on the road, not stopped on the ramp",
    "subheadline": "Condition sensors and shift alerts for mining teams in Western Australia.",
    "hero_image": "Haul truck on a ramp",
    "cta_text": "Book a site assessment",
    "intro": "Unplanned failures take a haul truck out of service for 9.4 hours on average, against 3.1 hours "
    "for a planned repair. Ridgeline Fieldworks puts vibration, temperature and tyre-pressure sensors on your "
    "fleet and sends each alert to a named person on shift.",
    "pain_points": [
        {
            "title": "Failures found when an operator radios in",
            "text": "Wheel-motor bearings, final drives and tyres caused 61% of the lost hours in the "
            "Goldfields Reliability Survey 2024.",
        },
        {
            "title": "Dust results that arrive weeks late",
            "text": "Laboratory samples come back 10 to 21 days after the shift that produced them, and water "
            "carts follow experience rather than measurements.",
        },
        {
            "title": "Pumps checked by driving past",
            "text": "In one field study, 23% of dewatering pump failures were found only after a working bench "
            "had flooded.",
        },
    ],
    "offerings": [
        {
            "title": "Haul Fleet Health",
            "text": "Vibration, oil-temperature and tyre-pressure sensors on haul trucks and loaders, with alerts "
            "that reach the workshop before a component fails.",
            "image": "Haul truck sensors",
        },
        {
            "title": "Pit Air & Dust Watch",
            "text": "Networked dust monitors that log exposure per shift and dispatch water carts from real "
            "readings.",
            "image": "Dust monitor",
        },
        {
            "title": "Remote Pump Stations",
            "text": "Dewatering pump telemetry with low-flow alarms, over satellite where there is no cellular "
            "coverage.",
            "image": "Pump station",
        },
    ],
    "testimonial_intro": "Maintenance and environmental teams on Goldfields sites already work with Ridgeline.",
    "closing_headline": "Raise availability without adding workshop staff",
    "closing_text": "Book a site assessment and we will review one haul fleet, one dust monitoring point and one "
    "pump station with your team.",
}

PRIYA_SPEC: dict[str, Any] = {
    "headline": "Planned shutdowns that finish on plan",
    "subheadline": "Shutdown planning and contractor safety for mining operations.",
    "hero_image": "Mill shutdown schedule",
    "cta_text": "Book a discovery call",
    "intro": "In our 2023 review of 18 planned mill and crusher shutdowns, 11 finished late. Northbeam Advisory "
    "helps your planners, your crews and your contractors work from one schedule.",
    "pain_points": [
        {
            "title": "Scope that changes in the last month",
            "text": "Late scope changes and parts that arrive after the shutdown starts were the most common "
            "causes of a median 22% overrun.",
        },
        {
            "title": "Crews waiting for permits",
            "text": "Contractor crews stand idle while permits are issued, and the owner and the contractors "
            "keep separate schedules.",
        },
        {
            "title": "Contractor incidents in the first weeks",
            "text": "Contractor incident rates were about twice those of the owner's own crews in our "
            "assessments of 9 sites.",
        },
    ],
    "offerings": [
        {
            "title": "Shutdown Planning",
            "text": "Scope freeze, parts kitting and permit readiness, with one schedule for owner and "
            "contractors.",
            "image": "Shutdown schedule",
        },
        {
            "title": "Contractor Safety Programme",
            "text": "Joint pre-starts, isolation checks and inductions built around the work each crew will do.",
            "image": "Pre-start meeting",
        },
        {
            "title": "Maintenance Strategy Review",
            "text": "A four-week review of how work is identified, planned and scheduled, with a costed "
            "improvement plan.",
            "image": "Maintenance plan",
        },
    ],
    "testimonial_intro": "Maintenance and safety leaders at other mines have worked with us.",
    "closing_headline": "Plan your next shutdown with us",
    "closing_text": "Sites that froze scope six weeks out and checked permit readiness two days before finished "
    "within 5% of plan. Tell us about your next shutdown.",
}

# Plain pages: (old, new) replaced once in the good page's HTML. Spec pages: fields of the spec overridden.
DEFECTS: dict[str, dict[str, Any]] = {
    "ridgeline-dana-ds": {
        "invented_figure": {"intro": DANA_SPEC["intro"].replace("9.4 hours", "14 hours")},
        "invented_contact": {
            "closing_text": "Call our mining desk on +61 8 9321 7788 or write to mining@ridgeline.example.",
        },
        "visitor_voice": {"testimonial_intro": "At Redgum Ridge Gold, we trust Ridgeline with every truck."},
        "negative_claim": {
            "testimonial_intro": "We do not have a proven track record in mining yet, but we are learning fast.",
        },
        "leaked_instruction": {
            "subheadline": "This page is tailored to the visitor's industry and role as a mining executive.",
        },
        "profile_recital": {
            "intro": "Dana Whitfield is Head of Operations at Redgum Ridge Gold, a mining company in Western "
            "Australia.",
        },
        "truncated": {
            "closing_text": "Book a site assessment and we will review one haul fleet, one dust monitoring point "
            "and the",
        },
        "template_residue": {"testimonial_intro": "[Insert testimonial introduction for {{ segment }}]"},
        "banned_word": {
            "subheadline": "Revolutionary condition sensors and shift alerts for mining teams in Western "
            "Australia.",
        },
    },
    "northbeam-priya-ds": {
        "invented_figure": {
            "intro": "Our clients cut shutdown overruns by 47% in their first year. Northbeam Advisory helps "
            "your planners, your crews and your contractors work from one schedule.",
        },
        "invented_contact": {"closing_text": "Call Priya's account team on +1 720 555 0199 today."},
        "visitor_voice": {
            "closing_text": "Here at Example Corp Mining, our planners will review your next shutdown.",
        },
        "negative_claim": {
            "testimonial_intro": "Northbeam Advisory has no relevant experience in mining so far.",
        },
        "leaked_instruction": {
            "subheadline": "Website description: a page for a VP of Operations, written by the UX designer.",
        },
        "profile_recital": {
            "closing_text": "Your goal is to cut planned shutdown overruns from 30% to under 10% by the fourth "
            "quarter.",
        },
        "truncated": {
            "intro": "In our 2023 review of 18 planned mill and crusher shutdowns, 11 finished late. Northbeam "
            "Advisory helps your planners, your crews and your contractors work from one…",
        },
        "template_residue": {"headline": "Planned shutdowns that finish on plan, [First Name]"},
        "banned_word": {
            "intro": "In our 2023 review of 18 planned mill and crusher shutdowns, 11 finished late. Northbeam "
            "Advisory helps you leverage one schedule across planners, crews and contractors.",
        },
    },
    "ridgeline-marcus-plain": {
        "invented_figure": (
            "An overnight stall is usually found after 6 to 10 hours without water.",
            "An overnight stall costs the average farm AUD 12,500 in lost yield.",
        ),
        "invented_contact": (
            '<a href="tel:+61855500142">+61 8 5550 0142</a>',
            '<a href="tel:+61269221040">+61 2 6922 1040</a>',
        ),
        "visitor_voice": (
            "You can see both from your phone.",
            "Our team at Bluegum Downs Pastoral, we know you can see both from your phone.",
        ),
        "negative_claim": (
            "<h2>What growers tell us</h2>",
            "<h2>What growers tell us</h2><p>We don't have case studies from the Riverina yet.</p>",
        ),
        "leaked_instruction": (
            "<h2>What growers tell us</h2>",
            "<h2>Visual elements: testimonials from the visitor's segment</h2>",
        ),
        "profile_recital": (
            '<h2 id="problems">',
            '<p>Pain points: pivots stalling overnight, fuel running out during seeding.</p><h2 id="problems">',
        ),
        "truncated": (
            "Without accurate levels, committing grain to a forward contract is guesswork.",
            "Without accurate levels, committing grain to a forward contract is",
        ),
        "template_residue": ("<h3>Harvest Machinery Uptime</h3>", "<h3>{{ offering.name }}</h3>"),
        "banned_word": (
            "Position, pressure and stall detection",
            "Cutting-edge position, pressure and stall detection",
        ),
    },
    "northbeam-priya-plain": {
        "invented_figure": (
            "The median overrun was 22% of the planned duration.",
            "The median overrun cost USD 1.4 million per shutdown.",
        ),
        "invented_contact": (
            "partners@northbeam-advisory.example</a> or call",
            "partners@northbeam-advisory.example</a>, or write to sales@northbeam.example or call",
        ),
        "visitor_voice": (
            "We help your planners and contractors work from one schedule.",
            "At Example Corp Mining, we help your planners and contractors work from one schedule.",
        ),
        "negative_claim": (
            "<h3>Scope that keeps changing</h3>",
            "<h3>No proven track record</h3>",
        ),
        "leaked_instruction": (
            "Tell us about your next planned shutdown",
            "As an AI language model, I wrote this section for the landing page. Tell us about your next "
            "planned shutdown",
        ),
        "profile_recital": (
            "<h2>Talk to a shutdown planner</h2>",
            "<h2>Talk to a shutdown planner</h2><p>Priya Raman, we can reach you at "
            "priya.raman@examplecorp.example.</p>",
        ),
        "truncated": (
            "Most incidents happened in a crew's first two weeks on site.",
            "Most incidents happened in a crew's first two weeks on site, and the",
        ),
        "template_residue": (
            "<h2>What clients say</h2>",
            "<h2>What clients say</h2><p>Lorem ipsum dolor sit amet.</p>",
        ),
        "banned_word": ("Services for mining operations", "World-class services for mining operations"),
    },
}
DEFECT_AXES = {
    "invented_figure": ["grounding"],
    "invented_contact": ["grounding"],
    "visitor_voice": ["integrity"],
    "negative_claim": ["integrity"],
    "leaked_instruction": ["integrity"],
    "profile_recital": ["personalisation"],
    "truncated": ["integrity"],
    "template_residue": ["integrity"],
    "banned_word": ["brand"],
}
GOOD: dict[str, tuple[str, str]] = {  # page -> (scenario, profile)
    "ridgeline-dana-ds": (EXAMPLE, "dana-mining"),
    "northbeam-priya-ds": (CONSULTING, "priya-examplecorp"),
    "ridgeline-marcus-plain": (EXAMPLE, "marcus-agriculture"),
    "northbeam-priya-plain": (CONSULTING, "priya-examplecorp"),
}
# The failures issue 8 reported, on the page of the same scenario: (base, defect, change, axes).
ISSUE_8: list[tuple[str, str, Any, list[str]]] = [
    (
        "ridgeline-dana-ds",
        "issue8_leaked_headline",
        {"headline": "Welcome to Ridgeline Fieldworks, where we design landing pages to speak to…"},
        ["integrity"],
    ),
    (
        "ridgeline-dana-ds",
        "issue8_profile_band",
        {
            "intro": "Dana Whitfield is Head of Operations at Redgum Ridge Gold, a mining company in Western "
            "Australia. Goals: Lift haul truck availability from 82% to 88% this financial year without adding "
            "workshop staff."
        },
        ["personalisation"],
    ),
    (
        "northbeam-priya-ds",
        "issue8_no_track_record",
        {
            "pain_points": [
                {"title": "No specific challenges or goals", "text": "No industry best practices."},
                {"title": "No proven track record", "text": "We do not have a proven track record."},
            ]
        },
        ["integrity"],
    ),
    (
        "northbeam-priya-plain",
        "issue8_visitor_as_seller",
        (
            "We help your planners and contractors work from one schedule.",
            "At Example Corp Mining, we are a premier consulting firm.",
        ),
        ["integrity", "brand"],
    ),
]


# The classes issue 22's blind raters named that no axis flagged, each written anew for these scenarios
# (generalised from the quotes, not copied): (base, defect, (old, new) in the good page's HTML, axes). The
# design-system pages are changed as HTML, not re-rendered: the design system now filters copy, and these
# pages stand for what any page (ours or a model's) may carry.
_DANA_H1 = '<h1 id="hero-title">Keep your haul trucks on the road, not stopped on the ramp</h1>'
_PRIYA_H1 = '<h1 id="hero-title">Planned shutdowns that finish on plan</h1>'
ISSUE_22: list[tuple[str, str, Any, list[str]]] = [
    # Source and document text as copy.
    (
        "ridgeline-dana-ds",
        "issue22_notes_headline",  # a headline that also offers nothing
        (
            _DANA_H1,
            '<h1 id="hero-title">Ridgeline Fieldworks’ Research Notes on Haul Trucks, Dust and Pumps</h1>',
        ),
        ["integrity", "substance"],
    ),
    (
        "northbeam-priya-ds",
        "issue22_document_talk",
        (
            '<p class="lede">Shutdown planning and contractor safety for mining operations.',
            '<p class="lede">Late scope and idle crews hold back most planned shutdowns. This document describes how we plan them.',
        ),
        ["integrity"],
    ),
    (
        "ridgeline-marcus-plain",
        "issue22_file_name",
        ("<h2>What growers tell us</h2>", "<h2>pivot-irrigation-stalls.md</h2>"),
        ["integrity"],
    ),
    # Copy cut mid-phrase, on a word that is not a function word.
    (
        "ridgeline-dana-ds",
        "issue22_cut_from_source",
        (
            "<h3>Dust results that arrive weeks late</h3>",
            "<h3>Maintenance superintendents interviewed said the main</h3>",
        ),
        ["integrity"],
    ),
    (
        "ridgeline-dana-ds",
        "issue22_cut_modifier",
        (
            '<p class="lede">Condition sensors and shift alerts for mining teams in Western Australia.',
            '<p class="lede">Most trucks already report fault codes, yet the codes arrive in a system nobody',
        ),
        ["integrity"],
    ),
    (
        "northbeam-priya-plain",
        "issue22_cut_before_stop",
        (
            "Most incidents happened in a crew's first two weeks on site.",
            "Most incidents happen before crews learn the layout of their.",
        ),
        ["integrity"],
    ),
    # Repetition.
    (
        "ridgeline-dana-ds",
        "issue22_card_repeats_title",
        (
            "<p>Vibration, oil-temperature and tyre-pressure sensors on haul trucks and loaders, with alerts that "
            "reach the workshop before a component fails.</p>",
            "<p>Haul Fleet Health</p>",
        ),
        ["substance"],
    ),
    (
        "northbeam-priya-ds",
        "issue22_sentence_thrice",
        (
            "<p>Late scope changes and parts that arrive after the shutdown starts were the most common causes of "
            "a median 22% overrun.</p>",
            "<p>Nobody wants a crew on site while the permits wait. Nobody wants a crew on site while the permits "
            "wait. Nobody wants a crew on site while the permits wait.</p>",
        ),
        ["substance"],
    ),
    (
        "ridgeline-dana-ds",
        "issue22_numbered_headings",
        [
            ("<h3>Dust results that arrive weeks late</h3>", "<h3>Keeping the fleet moving I</h3>"),
            ("<h3>Pumps checked by driving past</h3>", "<h3>Keeping the fleet moving II</h3>"),
        ],
        ["substance"],
    ),
    # No value proposition in the headline.
    (
        "northbeam-priya-ds",
        "issue22_name_headline",
        (_PRIYA_H1, '<h1 id="hero-title">Northbeam Advisory</h1>'),
        # The seller's name as the headline also says nothing to this visitor (personalisation.hero).
        ["substance", "personalisation"],
    ),
    (
        "ridgeline-dana-ds",
        "issue22_keyword_headline",
        (
            _DANA_H1,
            '<h1 id="hero-title">Ridgeline Fieldworks Haul Fleet Health, Pit Air &amp; Dust Watch, Remote Pump '
            "Stations</h1>",
        ),
        ["substance"],
    ),
    (
        "northbeam-priya-ds",
        "issue22_report_title",
        (_PRIYA_H1, '<h1 id="hero-title">The Mining Industry: Shutdown Overruns</h1>'),
        ["substance"],
    ),
    # The visitor cast as the seller, or described to themselves.
    (
        "ridgeline-dana-ds",
        "issue22_visitor_as_means",
        (_DANA_H1, '<h1 id="hero-title">Transform your haul fleet with Redgum Ridge Go</h1>'),
        ["integrity"],
    ),
    (
        "northbeam-priya-ds",
        "issue22_visitor_described",
        (
            '<p class="lede">Shutdown planning and contractor safety for mining operations.',
            '<p class="lede">Example Corp Mining is a leading mining company in Colorado.',
        ),
        ["integrity"],
    ),
    # A close with no ask.
    (
        "ridgeline-dana-ds",
        "issue22_close_without_ask",
        (
            '<h2 id="contact-title">Raise availability without adding workshop staff</h2>\n        <p>Book a site '
            "assessment and we will review one haul fleet, one dust monitoring point and one pump station with "
            "your team.</p>",
            '<h2 id="contact-title">Mining sites face numerous challenges</h2>\n        <p>Breakdowns, dust and '
            "flooded benches affect efficiency, productivity and growth.</p>",
        ),
        ["substance"],
    ),
    # Wrong fit: another segment's testimonial or offering.
    (
        "northbeam-priya-plain",
        "issue22_other_segment_testimonial",
        (
            "The joint pre-starts changed how our contractors and our own crews talk to each other.",
            "Changeovers on line 3 went from over an hour to 28 minutes.",
        ),
        ["personalisation"],
    ),
    (
        "northbeam-priya-plain",
        "issue22_other_segment_offering",
        ("<h3>Maintenance Strategy Review</h3>", "<h3>Changeover Reduction</h3>"),
        ["personalisation"],
    ),
]
# Nothing to judge, judged well before: a blank page and a skeleton are not pages.
SKELETONS: dict[str, tuple[str, str]] = {
    "issue22_blank": (
        "ridgeline-dana-ds",
        '<!doctype html><html lang="en"><head><title></title></head><body></body></html>',
    ),
    "issue22_skeleton": (
        "ridgeline-dana-ds",
        '<!doctype html><html lang="en"><head><title>Ridgeline Fieldworks</title></head><body><main>'
        "<h1>Ridgeline Fieldworks</h1><h2>Pain Points</h2><p>…</p><p>…</p><h2>Offerings</h2>"
        "<h3>Offering 1</h3><p>…</p><h3>Offering 2</h3><p>…</p><h2>Contact</h2><p>…</p></main></body></html>",
    ),
}


def _render(scenario_dir: str, profile_id: str, spec: dict[str, Any]) -> str:
    scenario = load_scenario(scenario_dir)
    inputs = scenario_inputs(scenario, profile_id)
    return render_page(
        spec,
        company=inputs["company"],
        palette=inputs["palette"],
        logo_data_uri=inputs["logo"],
        images={},
        testimonials=inputs["testimonials"][:2],
        offerings=inputs["offering_items"],
        cta=inputs["cta"],
        profile=inputs["profile"],
    )


def _frozen_or(pages: Path, name: str, make: Callable[[], str]) -> str:
    """The page `name` as written before, or `make()` written now when there is none."""
    path = pages / f"{name}.html"
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
    return path.read_text(encoding="utf-8")


def _variant(page: str, base_html: str, change: Any) -> str:
    if isinstance(change, list):  # several (old, new) replacements
        for step in change:
            base_html = _variant(page, base_html, step)
        return base_html
    if isinstance(change, tuple):
        old, new = change
        if old not in base_html:
            raise ValueError(f"{page}: {old!r} is not in the good page")
        return base_html.replace(old, new, 1)
    scenario, profile = GOOD[page]
    spec = DANA_SPEC if page == "ridgeline-dana-ds" else PRIYA_SPEC
    return _render(scenario, profile, {**spec, **change})


def main() -> None:
    pages = HERE / "pages"
    pages.mkdir(exist_ok=True)
    # The design-system pages are frozen as first written (the design system has changed since, and now
    # filters some of the injected defects out of a spec): a page is rendered only when its file is missing.
    good_html = {
        "ridgeline-dana-ds": _frozen_or(
            pages, "ridgeline-dana-ds", lambda: _render(EXAMPLE, "dana-mining", DANA_SPEC)
        ),
        "northbeam-priya-ds": _frozen_or(
            pages, "northbeam-priya-ds", lambda: _render(CONSULTING, "priya-examplecorp", PRIYA_SPEC)
        ),
        "ridgeline-marcus-plain": (HERE / "good/ridgeline-marcus-plain.html").read_text(encoding="utf-8"),
        "northbeam-priya-plain": (HERE / "good/northbeam-priya-plain.html").read_text(encoding="utf-8"),
    }
    cases: list[dict[str, Any]] = []

    def add(name: str, html: Callable[[], str] | str, base: str, defect: str | None, axes: list[str]) -> None:
        _frozen_or(pages, name, html if callable(html) else lambda: html)
        scenario, profile = GOOD[base]
        cases.append(
            {
                "file": f"pages/{name}.html",
                "scenario": scenario,
                "profile": profile,
                "clean": base if defect else None,
                "defect": defect,
                "axes": axes,
            }
        )

    for page, html in good_html.items():
        add(page, html, page, None, [])
        for defect, change in DEFECTS[page].items():
            add(f"{page}--{defect}", partial(_variant, page, html, change), page, defect, DEFECT_AXES[defect])
    for page, defect, change, axes in [*ISSUE_8, *ISSUE_22]:
        add(f"{page}--{defect}", partial(_variant, page, good_html[page], change), page, defect, axes)
    for defect, (page, html) in SKELETONS.items():
        # Missing everything, they also name no segment, offering or call to action; the skeleton's "Offering 1"
        # is a placeholder.
        axes = ["substance", "personalisation", "brand"] + (
            ["integrity"] if defect == "issue22_skeleton" else []
        )
        add(f"{page}--{defect}", html, page, defect, axes)
    (HERE / "cases.json").write_text(json.dumps({"cases": cases}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

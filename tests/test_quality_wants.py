"""The wants axis: how much of what the visitor said they want the page speaks to, and how it moves the score."""

from __future__ import annotations

from workflow_core.page.checks.common import load_page
from workflow_core.quality import Sources, check_page
from workflow_core.quality.text import page_text
from workflow_core.quality.wants import ENOUGH, check_wants

PROFILE = {
    "name": "Fiona Urquhart",
    "role": "Solicitor",
    "company": "Urquhart Legal",
    "industry": "road",
    "interests": ["a bike fit for a stiff shoulder", "a true front wheel"],
    "goals": "Ride the 75 km Pentlands loop with friends by the end of August without shoulder pain.",
    "recent_activity": "Broke her collarbone in March; the front wheel has wobbled since the crash.",
}
OFFERINGS = {"road": "- Professional Bike Fit (£140): saddle, bars and cleats set to how you ride."}


def _sources(profile: dict[str, object] | None = PROFILE) -> Sources:
    return Sources(
        company={"name": "Spoke & Sprocket Cycles"}, offerings=OFFERINGS, profile=profile, segment="road"
    )


def _page(body: str) -> str:
    return f"<html><head><title>Spoke & Sprocket</title></head><body>{body}</body></html>"


def _wants(body: str, profile: dict[str, object] | None = PROFILE):
    return check_wants(page_text(load_page(_page(body)).root), _sources(profile))


SPEAKS = _page(
    "<h1>Back on the Pentlands loop by August, shoulder first</h1>"
    "<p>A bike fit sets your bars and saddle so a stiff shoulder takes less of the weight, and we true the "
    "front wheel that has wobbled since the crash. Ride the 75 km with friends without pain.</p>"
    "<a href='/book'>Book a bike fit</a>"
)
GENERIC = _page(
    "<h1>Spoke & Sprocket Cycles</h1>"
    "<p>Our workshop services every kind of bicycle. Our mechanics are experienced and our prices are fair. "
    "Visit us in Leith for a service, parts and accessories.</p><a href='/book'>Book a service</a>"
)


def test_a_page_that_speaks_to_what_they_asked_for_scores_above_one_that_does_not() -> None:
    speaks = check_wants(page_text(load_page(SPEAKS).root), _sources())
    generic = check_wants(page_text(load_page(GENERIC).root), _sources())
    assert speaks is not None and generic is not None
    assert speaks.score == 1.0 and speaks.measures["wants.share"] >= ENOUGH
    assert speaks.findings[0].passed
    # The generic page fails with what to change, naming words of theirs it never uses, in their spelling.
    assert generic.score < 0.5 and not generic.findings[0].passed
    message = generic.findings[0].message
    assert "of what Fiona said they want" in message and "shoulder" in message and "wheel" in message
    # Neither the visitor's name, company nor role is a want: quoting them earns nothing.
    named = _wants("<h1>Fiona Urquhart, Solicitor at Urquhart Legal</h1><p>Spoke & Sprocket Cycles.</p>")
    assert named is not None and named.measures["wants.share"] == 0.0


def test_no_wants_no_measure_and_the_axis_weighs_in_the_score_without_blocking() -> None:
    assert _wants("<h1>Hello</h1>", profile=None) is None
    assert _wants("<h1>Hello</h1>", profile={"name": "Fiona Urquhart", "industry": "road"}) is None
    # A profile without a name (or a blank one) is "the visitor" in the finding.
    for nameless in ({}, {"name": "  "}):
        found = _wants("<h1>Hello</h1>", profile={**nameless, "goals": "A bike fit before August."})
        assert found is not None and "of what the visitor said they want" in found.findings[0].message
    speaks = check_page(SPEAKS, _sources(), render=False)
    generic = check_page(GENERIC, _sources(), render=False)
    assert speaks.axes["wants"].score > generic.axes["wants"].score
    assert speaks.weights["wants"] == 2.0
    # A page that speaks to little of what they want is still publishable for it: the score says the rest.
    from workflow_core.quality.model import blocking

    assert "wants.wants" in {f.check for f in generic.failures}
    assert "wants.wants" not in {f.check for f in blocking(generic.findings)}

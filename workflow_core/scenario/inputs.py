"""The prompt variables a scenario gives a workflow for one visitor profile (`INPUT_NAMES` says what each
holds)."""

from __future__ import annotations

import base64
from typing import Any

from workflow_core.errors import Problem, ScenarioError
from workflow_core.scenario.freetext import call_to_action, offering_items
from workflow_core.scenario.injection import data_only
from workflow_core.scenario.model import Scenario
from workflow_core.scenario.offer_fit import rank_offerings, refused, wants_of
from workflow_core.scenario.segments import profile_segment

INPUT_NAMES: dict[str, str] = {
    "profile": "the visitor's profile as given (a dict; any keys)",
    "profile_id": "the profile's id (file stem or its `id` key)",
    "visitor_wants": "what the visitor says they want or did, as a list of their profile's sentences (its goals, "
    "interests, needs, challenges, priorities, recent activity: scenario.offer_fit.wants_of)",
    "segment": "the offering key that matches the profile's industry/segment, or None",
    "company": "the company: name, tagline, description, contact, website, palette, fonts",
    "palette": "brand colours as hex: primary, secondary, accent, background, text",
    "offerings": "the offering text for the profile's segment (all segments when none matches)",
    "offering_items": "the segment's offerings as dicts (id, name, price, description), the best fit to what the "
    "visitor wants first (scenario.offer_fit); ids are what agents pick",
    "turned_down": "the names of the segment's offerings the visitor turned down in their own words (\"no "
    'interest in pivot monitoring"; scenario.offer_fit.refused): last in offering_items, never on the page',
    "all_offerings": "every segment's offering text, keyed by segment",
    "guidelines": "the brand and design guidelines (guidelines.md)",
    "cta": "the company's call to action, else the one the guidelines ask for (a quoted phrase), or an empty string",
    "design_steps": "the recommended page sections, one per list item (design_steps.md)",
    "testimonials": "testimonials as dicts (quote, author, role, segment), the segment's first",
    "logo": "the company logo as a data: URI, ready for an <img src>",
}


def logo_data_uri(scenario: Scenario) -> str:
    """The logo as a data: URI ("" when the scenario has none)."""
    if not scenario.logo_data or not scenario.logo_mime:
        return ""
    if scenario.logo_mime == "image/svg+xml":
        encoded = base64.b64encode(scenario.logo_data.encode("utf-8")).decode("ascii")
    else:
        encoded = scenario.logo_data
    return f"data:{scenario.logo_mime};base64,{encoded}"


def visitor_company(profile: dict[str, Any] | None) -> str:
    """The visitor's own company as their profile names it (company, organisation, employer...), or ""."""
    for key in ("company", "organisation", "organization", "employer", "company_name"):
        value = (profile or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def fitting_testimonials(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The testimonials a page for this visitor may show: those of the visitor's segment or of none (a
    construction client quoted to a mining visitor is no evidence to them), and none credited to the visitor's
    own company (the visitor quoted to themselves). Blind raters named both on our pages (issue 22). A visitor
    whose segment is unknown sees only testimonials that name no segment: one written for a segment is
    someone else's. With none left, the page leaves the section out."""
    segment = str(variables.get("segment") or "").lower()
    profile = variables.get("profile")
    company = visitor_company(profile if isinstance(profile, dict) else None).lower()
    out = []
    for t in variables.get("testimonials") or []:
        if not isinstance(t, dict):
            continue
        own = str(t.get("segment") or "").lower()
        credit = f"{t.get('role') or ''} {t.get('company') or ''}".lower()
        if (own and own != segment) or (company and company in credit):
            continue
        out.append(t)
    return out


def scenario_inputs(scenario: Scenario, profile_id: str | None) -> dict[str, Any]:
    """The prompt variables of `INPUT_NAMES` for one profile (an empty profile when `profile_id` is None)."""
    if profile_id is None:
        profile: dict[str, Any] = {}
    elif profile_id in scenario.profiles:
        profile = scenario.profiles[profile_id]
    else:
        known = ", ".join(sorted(scenario.profiles)) or "none"
        raise ScenarioError([Problem(f"no profile {profile_id!r} in the scenario; known profiles: {known}.")])
    # Visitor data is data: instruction-like sentences never reach a prompt (scenario.injection), nor choose
    # the visitor's segment or the offer the page leads with (an injected "recommend the Premium plan" would
    # otherwise read as a want and rank that plan first).
    visitor = data_only(profile)
    segment = profile_segment(visitor, scenario) if visitor else None
    if segment is not None and segment in scenario.offerings:
        offerings = scenario.offerings[segment]
        items = offering_items(offerings)
    else:
        offerings = "\n\n".join(f"## {k}\n{v}" for k, v in scenario.offerings.items())
        items = offering_items("\n".join(scenario.offerings.values()))
    # A small model picks from the top of a list: the offerings that fit what this visitor wants come first.
    items = rank_offerings(items, visitor)
    seg = (segment or "").lower()
    testimonials = sorted(
        scenario.testimonials, key=lambda t: 0 if seg and (t.segment or "").lower() == seg else 1
    )
    company = scenario.company.model_dump()
    return {
        "profile": visitor,
        "profile_id": profile_id,
        "visitor_wants": wants_of(visitor),
        "segment": segment,
        "company": company,
        "palette": company["palette"],
        "offerings": offerings,
        "offering_items": items,
        "turned_down": [str(o.get("name", "")) for o in refused(items, visitor)],
        "all_offerings": dict(scenario.offerings),
        "guidelines": scenario.guidelines,
        "cta": scenario.company.call_to_action.strip() or call_to_action(scenario.guidelines),
        "design_steps": list(scenario.design_steps),
        "testimonials": [t.model_dump() for t in testimonials],
        "logo": logo_data_uri(scenario),
    }

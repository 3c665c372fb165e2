"""A scenario for the user's own business, from scratch (issue 27): an empty scenario with the company, a logo
and a call to action, two offerings with prices, a knowledge document added then deleted and another kept,
and one profile; `seed` on it makes a page with only that company's name, logo and call to action, and no
testimonial from anywhere else."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import click_tab, goto_page, pick, preview_frame, shot, wait_idle

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    '<rect width="120" height="40" rx="8" fill="#c2185b"/>'
    '<text x="60" y="26" font-size="16" text-anchor="middle" fill="#fff">Crumb</text></svg>'
)


def _form(page: Page, button: str) -> Locator:
    """The form whose submit button says `button` (every tab's widgets are in the page at once)."""
    return page.locator("[data-testid='stForm']").filter(
        has=page.get_by_role("button", name=button, exact=True)
    )


def _add_doc(page: Page, path: str) -> None:
    form = _form(page, "Create")
    form.get_by_role("textbox", name="Path inside knowledge/", exact=True).fill(path)
    form.get_by_role("button", name="Create", exact=True).click()
    wait_idle(page)
    expect(page.locator(".st-key-scenario_doc input")).to_have_value(f"knowledge/{path}")


def test_a_scenario_from_scratch_makes_a_page_of_that_company_alone(page: Page, tmp_path: Path) -> None:
    goto_page(page, "Scenario")
    page.get_by_role("button", name="New scenario").click()
    new = _form(page, "Create an empty scenario")
    new.get_by_role("textbox", name="Company name", exact=True).fill("Crumb & Co Bakery")
    new.get_by_role("button", name="Create an empty scenario").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile("Created Crumb & Co Bakery, an empty scenario"))).to_be_visible()
    expect(page.locator(".st-key-scenario_choice input")).to_have_value(re.compile(r"^Crumb & Co Bakery · "))
    expect(page.get_by_text("still holds an example's material")).to_have_count(0)

    click_tab(page, "Company")
    company = _form(page, "Save company")
    company.get_by_role("textbox", name="Description", exact=True).fill(
        "Crumb & Co bakes celebration cakes to order in Leeds: weddings, birthdays and office parties."
    )
    company.get_by_role("textbox", name="Contact email", exact=True).fill("hello@crumb.example")
    company.get_by_role("textbox", name="Call to action", exact=True).fill("Order a celebration cake")
    logo = tmp_path / "crumb-logo.svg"
    logo.write_text(LOGO, encoding="utf-8")
    company.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(logo))
    company.get_by_role("button", name="Save company").click()
    wait_idle(page)
    click_tab(page, "Company")
    expect(page.get_by_text("Current logo")).to_be_visible()

    click_tab(page, "Offerings")
    for n, (name, price) in enumerate(
        (("Wedding cake tasting", "from $450"), ("Tiered wedding cake", "from $900"))
    ):
        if n:  # the form folds away once the scenario has an offering
            page.get_by_text("Add an offering").click()
        offer = _form(page, "Add the offering")
        offer.get_by_role("textbox", name="Segment", exact=True).fill("weddings")
        offer.get_by_role("textbox", name="Offering", exact=True).fill(name)
        offer.get_by_role("textbox", name="Description", exact=True).fill(f"{name}, baked to order in Leeds.")
        offer.get_by_role("textbox", name="Price", exact=True).fill(price)
        offer.get_by_role("button", name="Add the offering").click()
        wait_idle(page)
        click_tab(page, "Offerings")

    click_tab(page, "Knowledge")
    _add_doc(page, "weddings/tiers.md")
    page.get_by_label("knowledge/weddings/tiers.md").fill(
        "# Tiered cakes\nCouples who book a tasting choose sponge, filling and icing for each tier."
    )
    page.get_by_role("button", name="Save knowledge/weddings/tiers.md").click()
    wait_idle(page)
    click_tab(page, "Knowledge")
    page.get_by_text("Add a document").click()
    _add_doc(page, "weddings/draft.md")
    page.get_by_role("button", name="Delete this document").click()
    wait_idle(page)
    click_tab(page, "Knowledge")
    docs = page.locator(".st-key-scenario_doc input")
    expect(docs).to_have_value("knowledge/weddings/tiers.md")
    docs.click()
    expect(page.get_by_role("option", name="knowledge/weddings/draft.md")).to_have_count(0)
    page.keyboard.press("Escape")

    expect(page.get_by_text("Unsaved changes")).to_have_count(0)  # everything was saved as it was added

    click_tab(page, "Profiles")
    visitor = _form(page, "Add the profile")
    visitor.get_by_role("textbox", name="Profile id", exact=True).fill("priya-events")
    visitor.get_by_role("textbox", name="Visitor's name", exact=True).fill("Priya Shah")
    visitor.get_by_role("textbox", name="Role", exact=True).fill("Wedding planner")
    visitor.get_by_role("textbox", name="Their company", exact=True).fill("Bloom Events")
    visitor.get_by_role("textbox", name="Industry or segment", exact=True).fill("weddings")
    visitor.get_by_role("textbox", name="Interests (separate them with ';')", exact=True).fill(
        "tiered cakes; tastings"
    )
    visitor.get_by_role("button", name="Add the profile").click()
    wait_idle(page)
    shot(page, "scenario-from-scratch")
    shot(page, "scenario-from-scratch", width=390)
    page.set_viewport_size({"width": 1280, "height": 900})

    goto_page(page, "Run")
    expect(page.get_by_text(re.compile("Scenario: Crumb & Co Bakery"))).to_be_visible()
    pick(page, "run_source", "template: seed")
    pick(page, "run_all_models", "fake/small")
    page.locator(".st-key-run_start button").click()
    page.get_by_text("Downloads", exact=True).wait_for(timeout=90_000)
    wait_idle(page)

    frame = preview_frame(page)
    body = frame.locator("body")
    expect(body).to_contain_text("Crumb & Co Bakery")
    expect(body).to_contain_text("Order a celebration cake")
    expect(body).not_to_contain_text("Ridgeline")
    expect(body).not_to_contain_text("Book a site assessment")
    assert frame.locator("#testimonials, blockquote").count() == 0, "a testimonial from another scenario"
    ours = base64.b64encode(LOGO.encode("utf-8")).decode("ascii")
    sources = frame.locator("img").evaluate_all("imgs => imgs.map(i => i.getAttribute('src') || '')")
    assert any(ours in src for src in sources), "the page shows the uploaded logo"
    shot(page, "run-own-scenario")

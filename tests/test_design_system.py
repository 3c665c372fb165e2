import json

from lxml import etree

from tests.helpers import COMPANY, OFFERINGS, SPEC, VISUALS, images, realistic_page
from workflow_core.page.colour import DEFAULT_PALETTE, contrast_ratio, palette_hex
from workflow_core.page.copy import copied_from, fit_copy, fit_title, prompt_shingles, sentences
from workflow_core.page.design_system import page_colours
from workflow_core.page.spec import PAGE_SPEC_SCHEMA, coerce_page_spec, validate_page_spec


def _walk_schema(node: dict) -> list[dict]:
    found = [node]
    for child in node.get("properties", {}).values():
        found += _walk_schema(child)
    if "items" in node:
        found += _walk_schema(node["items"])
    return found


def test_schema_is_strict_everywhere():
    objects = [n for n in _walk_schema(PAGE_SPEC_SCHEMA) if n.get("type") == "object"]
    assert len(objects) == 3
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    json.dumps(PAGE_SPEC_SCHEMA)
    assert validate_page_spec(SPEC) == []


def test_validate_reports_specific_problems():
    bad = {**SPEC, "headline": 3, "extra": "x", "offerings": [{"id": "a"}] * 5}
    del bad["closing_text"]
    problems = "\n".join(validate_page_spec(bad))
    assert "Missing field 'closing_text'" in problems
    assert "'headline' must be a string" in problems
    assert "Unknown field 'extra'" in problems
    assert "1 to 3 items, it has 5" in problems
    assert "offerings[0].text is missing" in problems
    assert validate_page_spec([1]) == ["The page spec must be a JSON object, got list."]


def test_the_spec_holds_choices_by_id_not_facts():
    props = PAGE_SPEC_SCHEMA["properties"]
    assert props["offerings"]["items"]["properties"]["id"]["x-choices"] == "offerings"
    assert props["pain_points"]["items"]["properties"]["source"]["x-choices"] == "passages"
    assert props["hero_image"]["x-choices"] == "images"
    for fact in ("cta_text", "company", "email", "phone", "price", "testimonials", "logo"):
        assert fact not in json.dumps(PAGE_SPEC_SCHEMA), fact


def test_coerce_fills_aliases_and_gaps():
    raw = (
        'Sure: {"title": "Fresh fruit", '
        '"services": [{"name": "Routes", "description": "Fast"}, "Sensors: cold"], '
        '"challenges": "Spoilage; Fuel"}'
    )
    spec = coerce_page_spec(raw)
    assert validate_page_spec(spec) == []
    assert spec["headline"] == "Fresh fruit"
    assert spec["offerings"][0] == {"id": "Routes", "text": "Fast", "image": ""}
    assert spec["offerings"][1]["id"] == "Sensors" and spec["offerings"][1]["text"] == "cold"
    assert [p["title"] for p in spec["pain_points"]] == ["Spoilage", "Fuel"]
    assert len(coerce_page_spec({"offerings": [{"id": str(i)} for i in range(9)]})["offerings"]) == 3


def test_render_page_structure_and_images():
    html = realistic_page()
    tree = etree.HTML(html)
    assert html.startswith("<!DOCTYPE html>")
    assert tree.get("lang") == "en"
    assert [h.text for h in tree.iter("h1")] == [SPEC["headline"]]
    for tag in ("header", "nav", "main", "footer", "form"):
        assert tree.find(f".//{tag}") is not None, tag
    for section in ("hero", "pain-points", "offerings", "testimonials", "contact"):
        assert tree.find(f".//section[@id='{section}']") is not None, section
    imgs = list(tree.iter("img"))
    assert all(img.get("src", "").startswith("data:image/") for img in imgs)
    assert all(img.get("alt") is not None for img in imgs)
    hero_img = tree.find(".//section[@id='hero']//img")
    assert hero_img.get("src") == images()["Harvest route map"]
    assert hero_img.get("alt") == VISUALS["Harvest route map"]
    buttons = tree.findall(".//button[@aria-controls='testimonial-track']")
    assert [b.get("aria-label") for b in buttons] == ["Previous testimonial", "Next testimonial"]
    assert "scroll-snap-type:x mandatory" in html
    assert "Tom Hughes" in html and "mailto:hello@fieldline.example" in html
    # The visitor's profile informs the copy; it is not pasted onto the page.
    assert "Maria Lopez" not in html and "Green Acre Farms" not in html
    for label_for in ("cf-name", "cf-email", "cf-message"):
        assert tree.find(f".//label[@for='{label_for}']") is not None


def test_copy_that_repeats_its_heading_or_starts_in_lower_case_is_mended():
    # Seen on a real seed page: "Spoke & Sprocket Cycles: Spoke & Sprocket Cycles is a family-run bike shop",
    # a card "Kids' Bike Trade-Up" whose text began "Kids' Bike Trade-Up: When...", lower-case fragments.
    spec = {
        **SPEC,
        "headline": f"{COMPANY['name']}: {COMPANY['name']} plans harvest routes",
        "offerings": [{"id": OFFERINGS[0]["id"], "text": f"{OFFERINGS[0]['name']}: we plan your routes."}],
        "subheadline": "routes planned before the harvest starts.",
    }
    tree = etree.HTML(realistic_page(spec))
    assert tree.find(".//h1").text == f"{COMPANY['name']} plans harvest routes"
    card = tree.find(".//section[@id='offerings']")
    assert "We plan your routes." in "".join(card.itertext())
    assert f"{OFFERINGS[0]['name']}:" not in "".join(card.itertext())
    assert "Routes planned before the harvest starts." in "".join(
        tree.find(".//section[@id='hero']").itertext()
    )


def test_prompt_headings_and_phrases_are_kept_off_the_page():
    # The final real duo page closed with "Offerings to show" and "Pictures: Work; Offerings;", the prompt's
    # own headings, which four-word runs could not see.
    prompt = prompt_shingles(["Offerings to show:\n", "Pictures:", "Use only facts from the notes above."])
    assert copied_from("Offerings to show", prompt) == "offerings to show"
    assert copied_from("Pictures: Work; Offerings;", prompt) == "pictures"
    assert copied_from("Use only facts from the notes you have", prompt) is not None
    assert copied_from("Pictures of your fleet tell the story.", prompt) is None  # the word, not the heading
    assert copied_from("Offerings to show your crews", prompt) is None
    spec = {**SPEC, "closing_headline": "Offerings to show", "closing_text": "Pictures: Work; Offerings;"}
    html = realistic_page(spec, instructions=["Offerings to show:", "Pictures:"])
    assert "Offerings to show" not in html and "Pictures:" not in html


def test_a_closing_heading_that_repeats_the_headline_gives_way():
    # Two landmarks labelled by the same heading fail axe's landmark-unique (seen on a real duo page).
    html = realistic_page({**SPEC, "closing_headline": SPEC["headline"]})
    tree = etree.HTML(html)
    assert tree.find(".//*[@id='contact-title']").text == "Let's talk"
    assert tree.find(".//*[@id='hero-title']").text == SPEC["headline"]


def test_unknown_image_label_gets_placeholder_not_broken_img():
    spec = {**SPEC, "hero_image": "a picture nobody drew"}
    tree = etree.HTML(realistic_page(spec, images={}))
    hero_img = tree.find(".//section[@id='hero']//img")
    assert hero_img.get("src").startswith("data:image/svg+xml;base64,")
    # A label is an internal name: the alt text says what the picture is for, not the label.
    assert hero_img.get("alt") == SPEC["headline"]


def test_model_text_is_escaped():
    spec = {**SPEC, "headline": '<script>alert("x")</script>', "subheadline": "<img src=x onerror=alert(1)>"}
    html = realistic_page(spec, company={**COMPANY, "name": "</style><script>bad()</script>"})
    assert "<script>alert" not in html and "<img src=x" not in html and "<script>bad" not in html
    assert "&lt;script&gt;alert" in html


def test_colours_meet_contrast_even_for_a_poor_palette():
    poor = {
        "primary": "#ffe066",
        "secondary": "#fff3bf",
        "accent": "#ffffff",
        "background": "#ffffff",
        "text": "#bbbbbb",
    }
    c = page_colours(poor)
    pairs = [
        ("text", "bg"),
        ("on_primary", "primary"),
        ("link", "bg"),
        ("hero_text", "hero_bg"),
        ("on_deep", "deep"),
        ("on_footer", "footer_bg"),
        ("card_muted", "card_bg"),
        ("tint_text", "tint"),
    ]
    for fg, bg in pairs:
        assert contrast_ratio(c[fg], c[bg]) >= 4.5, (fg, bg, c[fg], c[bg])


def test_render_tolerates_partial_spec_and_bad_inputs():
    html = realistic_page(
        {"headline": "Only a title"},
        palette={"primary": "javascript:x"},
        testimonials=[{}, "x"],
        logo_data_uri="javascript:alert(1)",
    )
    assert "Only a title" in html and "javascript:" not in html
    # With no offering chosen, the scenario's own offerings stand in, with their own words.
    assert "Harvest Route Planning" in html and "Daily routes between fields and depot." in html


def test_facts_come_from_the_scenario_not_the_model():
    spec = {
        **SPEC,
        "offerings": [
            {"id": "cold-chain-monitoring", "text": "Sensors alert you when a load warms.", "image": ""},
            {"id": "harvest-route-planning", "text": "Routes for just £9.", "image": ""},
            {"id": "no-such-offering", "text": "Invented.", "image": ""},
        ],
    }
    tree = etree.HTML(
        realistic_page(spec, testimonials=[{"quote": f"Quote {i}", "author": "A"} for i in range(5)])
    )
    cards = tree.findall(".//li[@class='offer-card']")
    assert [c.find(".//h3").text for c in cards] == ["Cold Chain Monitoring", "Harvest Route Planning"]
    prices = [p.text for p in tree.iterfind(".//p[@class='price']")]
    assert prices == [OFFERINGS[0]["price"]]
    assert len(tree.findall(".//figure[@class='testimonial']")) == 3
    assert [a.text for a in tree.iterfind(".//a[@class='btn btn-primary']")][:1] == ["Book a route review"]


def test_copy_that_talks_about_the_page_or_speaks_as_the_visitor_is_not_published():
    spec = {
        **SPEC,
        "headline": "Welcome to our landing page for the visitor",
        "subheadline": "At Green Acre Farms, we grow fruit. We plan routes that keep it cold.",
        "pain_points": [{"source": "x", "title": "Pain points to address", "text": "Your pain points are."}],
        "closing_text": "We do not have a proven track record. Talk to us this week about your routes and",
    }
    html = realistic_page(spec)
    tree = etree.HTML(html)
    # The headline gives way to the name of the offer the page leads with, not the seller's tagline.
    assert [h.text for h in tree.iter("h1")] == ["Harvest Route Planning"]
    assert "We plan routes that keep it cold." in html and "we grow fruit" not in html
    assert tree.find(".//section[@id='pain-points']") is None
    assert "track record" not in html and "routes and" not in html


def test_copy_keeps_whole_sentences_within_its_limit() -> None:
    limit = PAGE_SPEC_SCHEMA["properties"]["subheadline"]["maxLength"]
    cut = ("We fix pumps before they fail. " * 20)[:limit]
    assert fit_copy(cut, limit).endswith("fail.") and len(fit_copy(cut, limit)) < limit
    assert fit_copy("Keep every pump running and", 28) == ""
    # A real duo pain point ended "...take haul trucks out of service for an" (its answer ran out of tokens).
    assert fit_copy("Failures take haul trucks out of service for an", 200) == ""
    assert fit_copy("Keep every pump running") == "Keep every pump running"
    # At the limit a grammar let a model close a sentence mid-word with a full stop (holdout15's card).
    stub = "A rolling forecast with a call each month to talk it th."
    assert fit_copy(stub, len(stub)) == "" and fit_copy(stub, 200) == stub
    assert fit_copy("We build it with you. " + stub, len(stub) + 22) == "We build it with you."
    assert (
        fit_title("Pivot irrigation stalls and silo levels and", 44)
        == "Pivot irrigation stalls and silo levels"
    )
    assert fit_title("Short and whole") == "Short and whole"


def test_a_full_stop_in_a_number_or_an_abbreviation_ends_no_sentence() -> None:
    # Seen on a real seed page: "9.4 hours" split into "9." and "4 hours", and the second kept as a sentence.
    text = "Trucks average 9.4 hours between stops, e.g. on the ramp. We service them every 1.5 weeks! Call"
    assert sentences(text) == [
        "Trucks average 9.4 hours between stops, e.g. on the ramp.",
        "We service them every 1.5 weeks!",
        "Call",
    ]
    assert fit_copy("Availability rose to 9.4 hours. We service trucks every", 56) == (
        "Availability rose to 9.4 hours."
    )


def test_a_list_item_on_its_own_line_is_a_sentence_of_its_own() -> None:
    # The ledger's research notes list their findings; joined into the line before, an item was no sentence of
    # its own, so a card stopping part-way through one ("Firms reported £1 in every £6 of their annual
    # turnover") was not seen as cut off and the page went out with it (3 ledger pages of 9, 2026-12-06).
    from workflow_core.page.copy import cut_off, cut_prefixes

    notes = (
        "One in four invoices was paid after 60 days.\n- Firms reported £1 in every £6 of their annual turnover "
        "as overdue.\n* 31% had waited more than a year.\n2. Most chased by phone."
    )
    assert sentences(notes) == [
        "One in four invoices was paid after 60 days.",
        "Firms reported £1 in every £6 of their annual turnover as overdue.",
        "31% had waited more than a year.",
        "Most chased by phone.",
    ]
    assert cut_off("Firms reported £1 in every £6 of their annual turnover", cut_prefixes([notes]))
    # Retrieved passages come with their lines joined: the bullet after a full stop still starts an item.
    joined = " ".join(notes.split())
    assert cut_off("Firms reported £1 in every £6 of their annual turnover", cut_prefixes([joined]))
    assert sentences("A dash - inside a line is not a list.") == ["A dash - inside a line is not a list."]


def test_copy_mends_split_decimals_and_drops_a_copied_voice_rule() -> None:
    # Both seen on real duo/seed pages from the 0.5B: "9. 4 hours", and the prompt's voice rule as a headline.
    assert fit_copy("Failures take 9. 4 hours, against 3. 1 hours for a repair.") == (
        "Failures take 9.4 hours, against 3.1 hours for a repair."
    )
    assert fit_title("We are Ridgeline Fieldworks, you are Ridgeline Fieldworks. We serve mining", 80) == ""
    assert fit_copy("We are Ridgeline, you are the customer. We fix pumps.") == "We fix pumps."


def test_a_title_cut_at_its_limit_ends_on_a_word_that_finishes_it() -> None:
    # Seen on a real seed page: a card titled "... 40 kilometres from".
    title = "Fewer breakdowns for haul trucks forty kilometres from the workshop"
    assert fit_title(title, 58) == "Fewer breakdowns for haul trucks forty kilometres"
    assert fit_title("Haul truck downtime on remote sites: sensors that warn before a breach", 60) == (
        "Haul truck downtime on remote sites"
    )


def test_palette_value_or_default_as_hex() -> None:
    assert palette_hex({"primary": "#ABC"}, "primary") == "#aabbcc"
    assert palette_hex({"primary": "rgb(255, 0, 0)"}, "primary") == "#ff0000"
    assert palette_hex({"primary": "not a colour"}, "primary") == DEFAULT_PALETTE["primary"]
    assert palette_hex({"accent": None}, "accent", "#123456") == "#123456"


def test_a_closing_that_invites_nobody_is_replaced_by_a_neutral_ask():
    """Issue 24: small models end pages on a line of research ("Environmental Officers tell the Council that
    water cart routes are planned") or a heading over nothing. The design system keeps a closing that asks or
    speaks to the reader, and otherwise says less: "Let's talk" and the call to action."""
    from workflow_core.page.design_system import closing

    kept = ("Ready for a fresher harvest season?", "Tell us about your fields and we will map your route.")
    assert closing(*kept, "Book a route review") == kept
    research = (
        "Environmental Officers tell the Council that water cart routes are planned",
        "Experience rather",
    )
    assert closing(*research, "Book a site assessment") == (
        "Let's talk",
        "Book a site assessment, and tell us what you need.",
    )
    assert closing("Contact us", "", "Get in touch") == (
        "Contact us",
        "Write to us, and tell us what you need.",
    )
    # The default heading does not vouch for a line of research under it (seen on a dana-mining page).
    survey = "The Goldfields Reliability Survey 2024 found that failures take haul trucks out of service."
    assert closing("Let's talk", survey, "Book a site assessment") == (
        "Let's talk",
        "Book a site assessment, and tell us what you need.",
    )
    assert closing("Haul Truck Downtime", survey, "Book") == (
        "Let's talk",
        "Book, and tell us what you need.",
    )

    def close_of(html: str) -> tuple[str, str]:
        section = etree.HTML(html).find(".//section[@id='contact']")
        return section.findtext(".//h2"), section.findtext(".//p")

    assert close_of(realistic_page()) == (SPEC["closing_headline"], SPEC["closing_text"])
    assert close_of(
        realistic_page({**SPEC, "closing_headline": research[0], "closing_text": research[1]})
    ) == (
        "Let's talk",
        "Book a route review, and tell us what you need.",
    )


def test_a_template_blank_or_talk_of_research_notes_is_not_copy():
    # Seen on a seed closing: "For more information, contact Ridgeline Fieldworks at [contact_info]" over
    # "Thank you for your interest in our research notes and offerings."
    assert fit_title("For more information, contact Ridgeline Fieldworks at [contact_info]", 80) == ""
    assert fit_copy(
        "Thank you for your interest in our research notes and offerings. We reply within a day.", 240
    ) == ("We reply within a day.")


def test_a_challenge_card_that_stops_a_research_sentence_part_way_is_left_out():
    """Issue 24: the first blocker of seed's pages after the closing change (6 of 9) was a card heading that is
    a research sentence cut off ("Owners estimated they spent a median of 2.5 hours a week"). The card goes;
    the page says less, never half a sentence."""
    from workflow_core.page.copy import cut_off, cut_prefixes

    research = [
        "Owners estimated they spent a median of 2.5 hours a week working out tips by hand. Tips are owed "
        "to staff."
    ]
    cut = cut_prefixes(research)
    assert cut_off("Owners estimated they spent a median of 2.5 hours a week", cut)
    assert not cut_off(
        "Owners estimated they spent a median of 2.5 hours a week working out tips by hand.", cut
    )
    assert not cut_off("Tips are owed", cut)  # three words: too short to say
    assert not cut_off("Hours lost to tips every week", cut)
    pains = [
        {
            "title": "Owners estimated they spent a median of 2.5 hours",
            "text": "Hours go on tips every week.",
        },
        {"title": "Routes planned by hand", "text": "Your drivers lose an hour a day to paper maps."},
    ]
    html = realistic_page({**SPEC, "pain_points": pains}, sources=research)
    cards = etree.HTML(html).findall(".//section[@id='pain-points']//h3")
    assert [c.text for c in cards] == ["Routes planned by hand"]
    # Without the sources the design system cannot tell, and keeps both.
    plain = etree.HTML(realistic_page({**SPEC, "pain_points": pains}))
    assert len(plain.findall(".//section[@id='pain-points']//h3")) == 2


def test_copy_the_truncation_check_would_call_cut_is_left_out_of_every_field():
    """Issue 24: most of the decomposed pages' blocking findings on the preference set (20 of 32 on holdout3 to
    holdout5) were copy lifted from the middle of a research sentence and stopped part-way ("Where retainers
    were over half of revenue were three", where the notes go on "times as likely"): not the start of a
    sentence, so `cut_off` let it through. The node that builds the page hands in the check's own rule; what
    it names is left out, and the check then finds nothing on the page (the same rule on both sides, said in
    docs/quality.md)."""
    from workflow_core.quality import Sources, check_page
    from workflow_core.quality.truncation import SourceText

    research = [
        "Agencies where retainers were over half of revenue were three times as likely to hit their "
        "forecast. Most agencies close their month by hand."
    ]
    lifted = "Where retainers were over half of revenue were three"
    spec = {
        **SPEC,
        "headline": lifted,
        "pain_points": [
            {"title": "Half of revenue were three", "text": "Forecasts miss when work is not on retainer."},
            {"title": "Routes planned by hand", "text": "Your drivers lose an hour a day to paper maps."},
        ],
        "offerings": [
            {**SPEC["offerings"][0], "text": "Teams with retainers over half of revenue were three"}
        ],
    }
    rule = SourceText.for_page(research, [], ["Northwind Freight"])
    assert rule.cut_copy(lifted) and rule.cut_copy("Half of revenue were three")
    assert rule.cut_copy(f"{lifted} times as likely to hit their forecast.") is None  # whole, it reads whole
    sources = Sources(company=COMPANY, documents=research)

    def truncations(html: str) -> list[str]:
        report = check_page(html, sources, render=False)
        return [f.evidence for f in report.failures if f.check == "integrity.truncation"]

    # Without the rule the design system tells a lift from the middle of a sentence only in a challenge card
    # (`copy.lifted`: the card goes); the headline and the offer's sentence need the check's rule.
    assert len(truncations(realistic_page(spec, sources=research))) == 2
    html = realistic_page(spec, sources=research, cut=rule.cut_copy)
    assert truncations(html) == []
    text = " ".join(etree.HTML(html).itertext())
    assert "revenue were three" not in text
    # Each field fell back as a field it cannot use does: the card goes, the offer shows its description,
    # the headline is the lead offer's name.
    cards = etree.HTML(html).findall(".//section[@id='pain-points']//h3")
    assert [c.text for c in cards] == ["Routes planned by hand"]
    assert "Daily routes between fields and depot." in text
    assert etree.HTML(html).find(".//h1").text == "Harvest Route Planning"


def test_each_sentence_is_said_once_and_a_card_with_nothing_new_is_left_out():
    """Issue 24: repetition was the second blocker of seed's pages: a 0.5B writes one sentence into the lede,
    two cards and the close ("Riders tell us the difference shows up on long rides" three times). The
    offers' words are said first; later fields drop what the page has said; a challenge card left with
    nothing new, or under a heading already used, is left out."""
    from workflow_core.page.copy import Said

    said = Said()
    assert said.new("Daily routes that cut empty miles. We plan them.") == (
        "Daily routes that cut empty miles. We plan them."
    )
    assert said.new("We plan them. Fresh fruit, every day.") == "Fresh fruit, every day."
    # The same sentence reworded at its edges (most of its four-word runs already said) counts as said.
    assert said.said("Daily routes that cut empty miles, every day")
    assert not said.said("Sensors alert you when a load warms.")
    repeated = "Soft fruit loses value with every warm hour."
    spec = {
        **SPEC,
        "subheadline": "Daily routes that cut empty miles.",  # the first offer's sentence again
        "pain_points": [
            {"source": "a", "title": "Fruit spoiling in transit", "text": repeated},
            {"source": "b", "title": "Spoiled fruit", "text": repeated},  # nothing new: left out
            {
                "source": "c",
                "title": "Fruit spoiling in transit",
                "text": "Empty trips cost fuel.",
            },  # same heading
        ],
        "closing_headline": "Talk to us",
        "closing_text": f"{repeated} Call us and we will map your first route.",
    }
    tree = etree.HTML(realistic_page(spec))
    texts = [" ".join(p.itertext()) for p in tree.findall(".//main//p")]
    assert sum(repeated in t for t in texts) == 1
    assert sum("Daily routes that cut empty miles." in t for t in texts) == 1
    assert [h.text for h in tree.findall(".//section[@id='pain-points']//h3")] == [
        "Fruit spoiling in transit"
    ]
    closing = tree.find(".//section[@id='contact']")
    assert "Call us and we will map your first route." in " ".join(closing.itertext())
    # The lede that only repeated an offer gives way to the company's own description (none here).
    assert tree.find(".//p[@class='lede']") is None


def test_a_headline_that_is_an_offering_description_cut_short_gives_way():
    """Issue 24: with the offerings' descriptions in its prompt, a 0.5B began its headline with one and the
    grammar's length limit cut it ("Winter Ready Service: Full safety check, new brake pads, lights and
    mudguards"). The offer's name stands in; the closing heading gets the neutral one."""
    offerings = [
        {
            **OFFERINGS[0],
            "description": "Daily routes between fields and depot, planned each morning by our team.",
        },
        *OFFERINGS[1:],
    ]
    cut = "Harvest Route Planning: Daily routes between fields and depot, planned each"
    spec = {**SPEC, "headline": cut, "closing_headline": cut}
    tree = etree.HTML(realistic_page(spec, offerings=offerings))
    assert tree.find(".//h1").text == "Harvest Route Planning"
    assert tree.find(".//section[@id='contact']//h2").text == "Let's talk"
    # A headline of its own that merely names the offering stays.
    kept = etree.HTML(
        realistic_page({**SPEC, "headline": "Harvest Route Planning for your farm"}, offerings=offerings)
    )
    assert kept.find(".//h1").text == "Harvest Route Planning for your farm"


def test_an_id_where_copy_belongs_is_not_copy():
    """Issue 24, round 3: a 0.5B wrote the offering id it was shown in brackets as the line under the
    headline ("Cis-and-reverse-charge") and both blind raters named it; a closing listed "[kids-bike-trade-up]"."""
    assert fit_copy("cis-and-reverse-charge", 200) == ""
    assert fit_title("vat_and_mtd", 60) == ""
    assert fit_title("What we offer them: [kids-bike-trade-up], [cargo-bike-test-rides]", 80) == ""
    # Hyphenated words in a real sentence or heading stay.
    assert fit_copy("Our 13-week cash-flow forecast shows what is coming.", 200) == (
        "Our 13-week cash-flow forecast shows what is coming."
    )
    assert fit_title("Long-term care", 60) == "Long-term care"


def test_an_offer_card_that_stops_its_offerings_description_inside_a_word_shows_the_description():
    """holdout3: "Monthly bookkeeping with project codes on every cost, re-chr" reached two pages' offer cards
    (both raters: "breaks off at 're-chr'"). The offering's own description stands in."""
    offerings = [
        {**OFFERINGS[0], "description": "Daily routes between fields and depot, planned the night before."},
        *OFFERINGS[1:],
    ]
    spec = {
        **SPEC,
        "offerings": [{"id": "harvest-route-planning", "text": "Daily routes between fields and de"}],
    }
    html = realistic_page(spec, offerings=offerings)
    card = etree.HTML(html).find(".//section[@id='offerings']//li")
    text = " ".join(card.itertext())
    assert "planned the night before" in text and "and de " not in text + " "
    # A card sentence of the model's own is kept.
    kept = realistic_page(
        {**SPEC, "offerings": [{"id": "harvest-route-planning", "text": "Routes that cut empty miles."}]},
        offerings=offerings,
    )
    assert "Routes that cut empty miles." in kept


def test_copy_that_talks_about_the_visitor_instead_of_to_them_is_left_out():
    """holdout3: "Their problem is: customers need a written tipping policy" as a lede, "The customer is
    concerned about…" on challenge cards, "Tomasz Nowak wants to…" as a headline: raters called it internal
    wording that cannot go out. The same pattern fails such a page in the verdict (personalisation.third_person)."""
    assert fit_copy("Their problem is: routes planned by hand. We plan them overnight.", 240) == (
        "We plan them overnight."
    )
    assert fit_copy("The customer is concerned about fuel. Our routes cut empty miles.", 240) == (
        "Our routes cut empty miles."
    )
    assert fit_title("Maria Lopez wants fresher fruit", 80, visitor=("Maria Lopez", "Maria")) == ""
    html = realistic_page({**SPEC, "headline": "Maria Lopez wants every harvest fresh"})
    assert "Maria Lopez wants" not in html
    assert fit_copy("Our customers say the routes save a day a week.", 240)


def test_a_blank_with_an_apostrophe_and_a_briefs_label_for_the_visitors_problem_are_not_copy():
    """holdout5's raters: "[customer's contact information]" left in a closing, and "Customer's Problem: Wheel
    Spoke Tension and Bike Fit" as a headline ("reads like an internal note")."""
    assert fit_copy("Get in touch at [customer's contact information]. We reply within a day.", 240) == (
        "We reply within a day."
    )
    assert fit_title("Customer's Problem: Wheel Spoke Tension and Bike Fit", 80) == ""
    assert fit_title("Wheel spokes that stay tight", 80) == "Wheel spokes that stay tight"
    assert fit_copy("We put each customer's needs first.", 240) == "We put each customer's needs first."


def test_a_headline_that_cannot_be_used_gives_way_to_the_lead_offer_not_the_tagline():
    """Blind raters of holdout7 called the decomposed pages whose hero was the seller's tagline "generic
    homepage" and put heroes that named the visitor's offer first: the fallback is the name of the offer the
    page leads with (the first card: the model's pick for this visitor, the offerings ordered by fit), a fact
    of the scenario. With no offering at all the tagline still stands in."""
    chosen = [{"id": "cold-chain-monitoring", "text": "Sensors tell you when a load warms."}]
    tree = etree.HTML(realistic_page({**SPEC, "headline": "", "offerings": chosen}))
    assert tree.find(".//h1").text == "Cold Chain Monitoring"
    assert COMPANY["tagline"] not in [h.text for h in tree.iter("h1")]
    bare = etree.HTML(realistic_page({**SPEC, "headline": ""}, offerings=[]))
    assert bare.find(".//h1").text == COMPANY["tagline"]


def _led(spec: dict, profile: dict, **kw) -> str:
    """The page as the node builds it: the lead worked out from the visitor (`scenario.offer_fit.clear_lead`)."""
    from workflow_core.scenario.offer_fit import clear_lead

    return realistic_page(
        spec, profile=profile, lead=clear_lead(kw.get("offerings", OFFERINGS), profile), **kw
    )


def _offer_names(html: str) -> list[str]:
    section = etree.HTML(html).find(".//section[@id='offerings']")
    return [h.text for h in section.iter("h3")]


def test_the_offering_that_fits_the_visitor_clearly_best_leads_the_page_whatever_the_model_picked():
    """Blind raters marked down pages that led with an offer the visitor had not asked about ("sells
    Hand-Built Wheels" to a rider who wanted a group ride): over eight rated splits pages led by the offering
    that shares the most of the visitor's want words scored +0.14 against the visitor's mean, others -0.28. A
    model's pick further down moves first; one no model picked comes first in the scenario's words, and the
    cards stay at three."""
    wants_cold = {
        "name": "Maria Lopez",
        "goals": "Keep every trailer load cold: temperature alarms in each trailer.",
    }
    picked = [
        {"id": "harvest-route-planning", "text": "Routes that suit your fields."},
        {"id": "spoilage-analytics", "text": "See where fruit spoils."},
    ]
    page = _led({**SPEC, "offerings": picked}, wants_cold)
    assert _offer_names(page) == ["Cold Chain Monitoring", "Harvest Route Planning", "Spoilage Analytics"]
    assert "Temperature sensors in every trailer." in page  # the scenario's words: no model wrote for it
    three = [*picked, {"id": "cold-chain-monitoring", "text": "We watch every load's temperature."}]
    moved = _led({**SPEC, "offerings": three}, wants_cold)
    assert _offer_names(moved) == ["Cold Chain Monitoring", "Harvest Route Planning", "Spoilage Analytics"]
    assert "We watch every load&#39;s temperature." in moved or "We watch every load's temperature." in moved
    four = [
        *OFFERINGS,
        {"id": "field-sensors", "name": "Field Sensors", "price": "", "description": "Soil probes."},
    ]
    capped = _led(
        {**SPEC, "offerings": [*picked, {"id": "field-sensors", "text": "Probes in every field."}]},
        wants_cold,
        offerings=four,
    )
    assert _offer_names(capped) == ["Cold Chain Monitoring", "Harvest Route Planning", "Spoilage Analytics"]


def test_no_offering_leads_on_fit_alone_when_none_stands_out():
    """A visitor whose wants share too few words with any offering, or as many with two, keeps the model's
    order: the rule only overrules a pick when the words say clearly which offer they asked for."""
    picked = [
        {"id": "spoilage-analytics", "text": "See where fruit spoils."},
        {"id": "harvest-route-planning", "text": "Routes that suit your fields."},
    ]
    vague = {"name": "Maria Lopez", "goals": "Grow the business next year."}
    assert _offer_names(_led({**SPEC, "offerings": picked}, vague)) == [
        "Spoilage Analytics",
        "Harvest Route Planning",
    ]
    one_word = {"name": "Maria Lopez", "goals": "Something for the trailer."}
    assert _offer_names(_led({**SPEC, "offerings": picked}, one_word))[0] == "Spoilage Analytics"
    tie = {"name": "Maria Lopez", "goals": "Daily routes and temperature sensors."}
    assert _offer_names(_led({**SPEC, "offerings": picked}, tie))[0] == "Spoilage Analytics"


def test_a_headline_that_sells_another_offer_than_the_lead_gives_way_to_the_lead():
    """When the page leads on fit with an offer the model did not lead with, a headline naming the model's
    offer would pitch one thing in the hero and another in the first card: it gives way to the lead's name. A
    headline naming the lead, or no offer at all, stays."""
    wants_cold = {
        "name": "Maria Lopez",
        "goals": "Keep every trailer load cold: temperature alarms in each trailer.",
    }
    picked = [{"id": "harvest-route-planning", "text": "Routes that suit your fields."}]
    other = _led({**SPEC, "headline": "Harvest Route Planning that saves hours", "offerings": picked}, wants_cold)  # fmt: skip
    assert etree.HTML(other).find(".//h1").text == "Cold Chain Monitoring"
    own = _led({**SPEC, "headline": "Cold chain monitoring for every load", "offerings": picked}, wants_cold)  # fmt: skip
    assert etree.HTML(own).find(".//h1").text == "Cold chain monitoring for every load"
    plain = _led({**SPEC, "offerings": picked}, wants_cold)
    assert etree.HTML(plain).find(".//h1").text == SPEC["headline"]
    no_lead = realistic_page(
        {**SPEC, "headline": "Harvest Route Planning that saves hours", "offerings": picked}
    )
    assert etree.HTML(no_lead).find(".//h1").text == "Harvest Route Planning that saves hours"


def test_a_close_says_each_sentence_once_and_never_repeats_its_own_heading():
    """holdout9: a 0.5B close read "Talk to us today to learn more about our offerings and how they can help
    you" as the heading and three times more underneath ("visibly repeats … three times": both raters put the
    page down for it). A sentence said earlier in the same field, or as the close's heading, is dropped; with
    nothing left the neutral close for the section stands in."""
    from workflow_core.page.copy import Said

    stock = "Learn more about our offerings and how they can help you."
    assert Said().new(
        f"Talk to us today to learn more about our offerings and how they can help you. {stock} {stock}"
    ) == ("Talk to us today to learn more about our offerings and how they can help you.")
    heading = "Talk to us today to learn more about our offerings and how they can help you"
    spec = {**SPEC, "closing_headline": heading, "closing_text": f"{heading}. {stock} {stock}"}
    section = etree.HTML(realistic_page(spec)).find(".//section[@id='contact']")
    words = [" ".join("".join(p.itertext()).split()) for p in section.iter("p")]
    # A stock heading ("learn more about our offerings") gives way to the neutral one too (see the next test).
    assert "".join(section.find(".//h2").itertext()) == "Let's talk"
    assert words[0] == "Book a route review, and tell us what you need.", words
    kept = {
        **SPEC,
        "closing_headline": "Talk to us",
        "closing_text": "We will plan your first route. We will plan your first route.",
    }
    close = etree.HTML(realistic_page(kept)).find(".//section[@id='contact']//p")
    assert " ".join("".join(close.itertext()).split()) == "We will plan your first route."


def test_a_challenge_card_lifted_in_pieces_from_the_research_is_left_out():
    """Raters called challenge cards made of pieces of research sentences "garbled and unfinished" on every
    round since holdout7 ("Three things: whether they can manage the weight" over "Where to keep it, and
    whether the children will be safe."; "Sore knees" over "About half"). A card whose heading or words are a
    run of a source sentence's middle, or whose words are too few to be a sentence, is left out; a card in the
    model's own words, or quoting a whole source sentence, stays."""
    research = [
        "Families who ask about cargo bikes worry about three things: whether they can manage the weight on a "
        "hill, where to keep it, and whether the children will be safe. Most riders who book a fit come with a "
        "complaint: sore knees (about half), numb hands or a stiff lower back after two hours in the saddle."
    ]
    cards = [
        {"source": "a", "title": "Three things: whether they can manage the weight", "text": "Where to keep it, and whether the children will be safe."},
        {"source": "a", "title": "Sore knees", "text": "About half"},
        {"source": "a", "title": "Knees that ache", "text": "Numb hands or a stiff lower back after two hours in the saddle."},
        {"source": "a", "title": "Hills with a heavy load", "text": "An electric assist makes the climb easy with two children on board."},
        {"source": "a", "title": "Worried families", "text": research[0].split(". ")[0] + "."},
    ]  # fmt: skip

    def headings(chosen: list[dict[str, str]]) -> list[str]:  # a page spec holds three challenges at most
        html = realistic_page({**SPEC, "pain_points": chosen}, sources=research)
        return [h.text for h in etree.HTML(html).findall(".//section[@id='pain-points']//h3")]

    assert headings([cards[0], cards[1], cards[3]]) == ["Hills with a heavy load"]
    assert headings([cards[2], cards[4]]) == ["Worried families"]
    from workflow_core.page.copy import lifted, lifted_pieces

    pieces = lifted_pieces(research)
    assert lifted("On farm: whether they can manage the weight", pieces) is False  # not one run of a sentence
    assert lifted("whether they can manage the weight", pieces) and not lifted(
        "Families who ask about cargo bikes", pieces
    )


def test_the_node_that_builds_the_page_hands_the_design_system_the_lead():
    """The design system sits below the scenario layer, so the node that builds the page works out the lead
    (`clear_lead`) and hands it in: a run's page leads with the visitor's offer as the design system's tests do."""
    from tests.helpers import COMPANY, PALETTE
    from workflow_core.nodes.common import PagePlan

    wants_cold = {
        "name": "Maria Lopez",
        "goals": "Keep every trailer load cold: temperature alarms in each trailer.",
    }
    spec = {**SPEC, "offerings": [{"id": "harvest-route-planning", "text": "Routes that suit your fields."}]}
    plan = PagePlan(
        data={"page_spec": spec}, images={}, palette=PALETTE, logo="", company=COMPANY, testimonials=[],
        offerings=OFFERINGS, cta="Book a route review", profile=wants_cold, image_descriptions={},
        instructions=[], sources=[],
    )  # fmt: skip
    assert _offer_names(plan.build())[:2] == ["Cold Chain Monitoring", "Harvest Route Planning"]


def test_an_offering_the_visitor_turned_down_gets_no_card_and_no_headline():
    """holdout10: "no interest in pivot monitoring", and every page carried a pivot card. The node works out
    what the visitor turned down (`scenario.offer_fit.refused`) and the page leaves it out, whatever the model
    picked: its card goes, and a headline that names it gives way to the first card's name."""
    import dataclasses

    from tests.helpers import COMPANY, PALETTE
    from workflow_core.nodes.common import PagePlan

    no_cold = {
        "name": "Maria Lopez",
        "goals": "Daily routes to the depot; no interest in cold chain monitoring.",
    }
    picked = [
        {"id": "cold-chain-monitoring", "text": "We watch every load's temperature."},
        {"id": "harvest-route-planning", "text": "Routes that suit your fields."},
    ]
    spec = {**SPEC, "headline": "Cold Chain Monitoring for every load", "offerings": picked}
    plan = PagePlan(
        data={"page_spec": spec}, images={}, palette=PALETTE, logo="", company=COMPANY, testimonials=[],
        offerings=OFFERINGS, cta="Book a route review", profile=no_cold, image_descriptions={},
        instructions=[], sources=[],
    )  # fmt: skip
    page = plan.build()
    assert _offer_names(page) == ["Harvest Route Planning"]
    assert etree.HTML(page).find(".//h1").text == "Harvest Route Planning"
    # With nothing turned down the model's picks and headline stand.
    kept = dataclasses.replace(
        plan, profile={"name": "Maria Lopez", "goals": "Grow the business next year."}
    ).build()
    assert _offer_names(kept) == ["Cold Chain Monitoring", "Harvest Route Planning"]
    assert etree.HTML(kept).find(".//h1").text == "Cold Chain Monitoring for every load"
    # A customer praising what the visitor turned down is left out; one on something else stays.
    quotes = [
        {"quote": "Cold chain alarms saved a load of berries.", "author": "Ana", "role": "Grower"},
        {"quote": "Our routes got shorter in a week.", "author": "Ben", "role": "Haulier"},
    ]
    quoted = dataclasses.replace(plan, testimonials=quotes).build()
    assert "Our routes got shorter in a week." in quoted and "saved a load of berries" not in quoted
    # A model that picked only what was turned down: the page falls back on the others, never on it.
    only = realistic_page({**SPEC, "offerings": picked[:1]}, refused={"cold-chain-monitoring"})
    assert "Cold Chain Monitoring" not in _offer_names(only)


def test_a_stock_close_gives_way_to_the_neutral_one_and_a_specific_one_stays():
    """Raters called "Talk to us today to learn more about our offerings and how they can help you" limp,
    filler or stock in 35 of 72 reasons for the distilled 0.5B's pages (holdout9-12): a close any seller
    could write says nothing of this page's offer."""
    from workflow_core.page.words import stock_close

    for line in (
        "Talk to us today to learn more about our offerings and how they can help you",
        "For more information, please contact us.",
        "Talk to us about how we can help you",
        "Contact us today and learn more about how we can help your business.",
    ):
        assert stock_close(line), line
    for line in (
        "Talk to us about how Winter-Ready Service can help you",
        "Talk to us today and get your bike fixed.",
        "Let's Talk",
        "Ready for a fresher harvest season?",
    ):
        assert not stock_close(line), line
    spec = {
        **SPEC,
        "closing_headline": "Talk to us about how we can help you",
        "closing_text": "Contact us today and learn more about how we can help your business.",
    }
    section = etree.HTML(realistic_page(spec)).find(".//section[@id='contact']")
    assert "".join(section.find(".//h2").itertext()) == "Let's talk"
    assert " ".join("".join(section.find(".//p").itertext()).split()) == (
        "Book a route review, and tell us what you need."
    )
    section = etree.HTML(realistic_page()).find(".//section[@id='contact']")
    assert "".join(section.find(".//h2").itertext()) == SPEC["closing_headline"]


def _hero_and_cards(html: str) -> tuple[str, list[str], list[str], list[str]]:
    tree = etree.HTML(html)
    hero = tree.find(".//section[@id='hero']")
    lede = [" ".join("".join(p.itertext()).split()) for p in hero.iterfind(".//p")]
    cards = [c.find(".//h3").text for c in tree.iterfind(".//li[@class='offer-card']")]
    return hero.find(".//h1").text, lede, cards, [p.text for p in tree.iterfind(".//p[@class='hero-price']")]


def test_a_hero_with_nothing_of_its_own_to_say_presents_the_offer_it_names():
    """holdout9-12: where the model's headline and lede were unfit, the hero said the lead offer's name over
    the seller's blurb ("boilerplate", "generic": 23 of 72 reasons) and the first card said the name again.
    Such a hero now presents the lead offer: its words, its price, and its card leaves the grid."""
    lead = OFFERINGS[0]
    unfit = {
        **SPEC,
        "headline": "Welcome to our landing page for the visitor",  # talks about the page: unfit
        "subheadline": lead["description"],  # what the lead card says already
        "offerings": [{"id": o["id"], "text": "", "image": ""} for o in OFFERINGS],
    }
    h1, lede, cards, price = _hero_and_cards(realistic_page(unfit))
    assert h1 == lead["name"] and lead["description"] in lede
    assert price == [lead["price"]]
    assert cards == ["Cold Chain Monitoring", "Spoilage Analytics"] and h1 not in cards
    # The seller's blurb is still on the page, under the hero, as on any page.
    blurb = {**COMPANY, "description": "We have planned farm logistics since 2009."}
    assert etree.HTML(realistic_page(unfit, company=blurb)).find(".//section[@id='intro']") is not None

    # A lede of the model's own keeps the hero as it was: the model's words, the lead card in the grid.
    own = {**unfit, "subheadline": "Soft fruit arrives firm when every load is watched."}
    h1, lede, cards, price = _hero_and_cards(realistic_page(own))
    assert lede[-1] == own["subheadline"] and cards[0] == lead["name"] and price == []
    # A page with one offer keeps its card: the grid is never left empty.
    one = {**unfit, "offerings": unfit["offerings"][:1]}
    h1, lede, cards, price = _hero_and_cards(realistic_page(one, offerings=OFFERINGS[:1]))
    assert cards == [lead["name"]] and price == []
    # A headline of the model's own is never replaced by the offer.
    mine = {**unfit, "headline": "Get every harvest to market fresh"}
    h1, lede, cards, price = _hero_and_cards(realistic_page(mine))
    assert h1 == mine["headline"] and cards[0] == lead["name"]
    # The offer's name spelt another way is still its name (holdout15: "Cafe & Restaurant Books" over the card
    # "Café & Restaurant Books" kept the seller's blurb as the lede and both spellings on the page).
    respelt = {**unfit, "headline": "harvest  ROUTE-planning"}
    h1, lede, cards, price = _hero_and_cards(realistic_page(respelt))
    assert h1 == lead["name"] and lead["description"] in lede and h1 not in cards
    accented = [{**OFFERINGS[0], "name": "Café Route Planning"}, *OFFERINGS[1:]]
    h1, lede, cards, price = _hero_and_cards(
        realistic_page({**unfit, "headline": "Cafe Route Planning"}, offerings=accented)
    )
    assert h1 == "Café Route Planning" and price == [lead["price"]] and h1 not in cards
    # …and said with only the seller's name, "our" or a label of its own words beside it (holdout15's duo,
    # seed-qa and deep pages); a headline with words of its own stays.
    for said in (
        f"{COMPANY['name']}'s Harvest Route Planning",
        "Our Harvest Route Planning",
        "Route Planning: Harvest Route Planning",
    ):
        h1, lede, cards, price = _hero_and_cards(realistic_page({**unfit, "headline": said}))
        assert h1 == lead["name"] and price == [lead["price"]] and h1 not in cards, said
    h1, *_ = _hero_and_cards(
        realistic_page({**unfit, "headline": "Harvest Route Planning for fresher loads"})
    )
    assert h1 == "Harvest Route Planning for fresher loads"


def test_a_label_a_model_put_before_its_sentence_is_dropped_even_misspelt():
    """holdout14: "Hands-built wheels: Wheels built and trued by hand…" became a hero's lede on Hand-Built
    Wheels. A label that says the offer's words (up to case, hyphens, "&" and plurals) is dropped; a label of
    other words, or one with nothing after it, is kept."""
    from workflow_core.page.copy import without_label

    assert (
        without_label("Hands-built wheels: Wheels built by hand.", "Hand-Built Wheels")
        == "Wheels built by hand."
    )
    assert without_label("Commuter lock and light kit - A Gold D-lock.", "Commuter Lock & Light Kit") == (
        "A Gold D-lock."
    )
    assert without_label("Cold chain: sensors in every trailer.", "Cold Chain Monitoring") == (
        "Cold chain: sensors in every trailer."
    )
    assert without_label("Hands-built wheels:", "Hand-Built Wheels") == "Hands-built wheels:"
    spec = {
        **SPEC,
        "offerings": [
            {**SPEC["offerings"][0], "text": "Harvest routes planning: Daily routes that cut empty miles."}
        ],
    }
    card = etree.HTML(realistic_page(spec)).find(".//li[@class='offer-card']")
    assert [p.text for p in card.iterfind(".//p") if p.get("class") != "price"] == [
        "Daily routes that cut empty miles."
    ]

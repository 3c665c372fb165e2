"""The text axes one rule at a time: grounding, integrity, personalisation and brand."""

import datetime as dt

from workflow_core.page.checks.common import load_page
from workflow_core.quality import Sources, check_page
from workflow_core.quality.brand import check_brand
from workflow_core.quality.grounding import check_grounding
from workflow_core.quality.guidelines import parse_guideline_rules
from workflow_core.quality.integrity import check_integrity
from workflow_core.quality.personalisation import check_personalisation
from workflow_core.quality.sections import step_section
from workflow_core.quality.sources import instruction_text
from workflow_core.quality.text import page_text, split_sentences
from workflow_core.records import Passage

COMPANY = {
    "name": "Northbeam Advisory",
    "contact": {"email": "hi@north-beam.example", "phone": "+1 303 555 0187", "address": "15 Wynkoop Street"},
}
FACTS = Passage(
    doc="notes.md",
    chunk=0,
    score=1.0,
    text="Overruns cost USD 1,200 per hour. Sites saw 12 percent fewer delays, three times faster permits, "
    "and shutdown crews idle for 6 to 10 hours. We hold ISO 9001.",
    metadata={"industry": "mining"},
)


def _text(body: str):
    return page_text(load_page(f"<!DOCTYPE html><html lang='en'><body>{body}</body></html>").root)


def _failures(result):
    return [(f.check.split(".")[1], f.evidence) for f in result.failures]


def test_blocks_sentences_and_hidden_decoration():
    text = _text(
        "<nav><a href='#a'>Home</a><a href='#b'>Work</a></nav><p>Call at 2 a.m. if it fails. <b>Dr. Lee</b> "
        "answers. See <a href='#x'>our notes</a> too.</p><li><span aria-hidden='true'>1</span>Step</li>"
        # An inline icon's title and drawn text are decoration, not copy the checks read.
        "<svg viewBox='0 0 9 9'><title>Cuts costs by 90%</title><text>Award</text></svg>"
    )
    assert [(b.tag, b.text) for b in text.blocks] == [
        ("a", "Home"),
        ("a", "Work"),
        ("p", "Call at 2 a.m. if it fails. Dr. Lee answers. See our notes too."),
        ("li", "Step"),
    ]
    assert split_sentences(text.blocks[2].text) == [
        "Call at 2 a.m. if it fails.",
        "Dr. Lee answers.",
        "See our notes too.",
    ]
    assert "nav" in text.blocks[0].places


def test_grounding_normalises_figures_and_skips_markers():
    sources = Sources(company=COMPANY, passages=[FACTS])
    supported = _text(
        "<p>Overruns cost $1200 an hour. You could see 12% fewer delays and 3x faster permits.</p>"
        "<p>Crews wait 6 to 10 hours.</p><ol><li>1</li></ol><p>Step 2: book a call. We answer 24/7.</p>"
        "<p>We hold ISO 9001.</p><footer><p>© 2019–2026 Northbeam Advisory</p></footer>"
    )
    result = check_grounding(supported, sources, today=dt.date(2026, 3, 1))
    assert result.score == 1.0 and not result.failures, _failures(result)
    invented = _text(
        "<p>Overruns cost $1,500 an hour, and crews wait 12 hours.</p><p>We hold ISO 27001.</p>"
        "<p>Call +1 303 555 0199 or write to sales@north-beam.example.</p><p>Pilbara Iron trusts us.</p>"
        "<table><tr><td>47%</td></tr></table>"
        "<p><a href='tel:+13035550100'>Call us</a></p>"
    )
    result = check_grounding(invented, sources)
    checks = [c for c, _ in _failures(result)]
    assert checks.count("contact") == 3 and {"figures", "certifications", "names"} <= set(checks)
    assert ("figures", "47%") in _failures(result)  # a figure alone in a cell is a claim, not a counter
    figures = next(f for f in result.failures if f.check == "grounding.figures")
    assert figures.message.startswith("$1,500, 12: no source gives these figures")
    assert figures.evidence == "Overruns cost $1,500 an hour, and crews wait 12 hours."
    assert result.score == 0.0


def test_grounding_flags_a_cause_no_source_gives():
    """Two research notes, each true, fused into a cause neither gives (a local 0.5B model's sentence): every
    figure in it is sourced, so only the link gives it away."""
    lab = Passage(
        doc="lab.md",
        chunk=0,
        score=1.0,
        text="Laboratory results were delayed by two days at remote pits last quarter.",
        metadata={},
    )
    water = Passage(
        doc="water.md",
        chunk=3,
        score=1.0,
        text="Water cart routes and haul road watering alone can consume 30-45% of a site's water allowance in "
        "summer. Dust suppression crews pause when pumps fail because spare parts are stocked only at the "
        "main depot.",
        metadata={},
    )
    sources = Sources(passages=[lab, water], profile={"name": "Kiri", "note": "runs three pits"})
    fused = _text(
        "<p>Laboratory results were delayed due to water cart routes and haul road watering alone "
        "consuming 30-45% of a site's water allowance in summer.</p>"
    )
    result = check_grounding(fused, sources)
    assert [c for c, _ in _failures(result)] == ["causes"], _failures(result)
    assert result.failures[0].message.startswith("'due to' links two things no source links")
    # A cause a source gives, reworded, and a persuasive sentence whose halves the sources do not give.
    fine = _text(
        "<p>Dust suppression crews pause when pumps fail, because spare parts are stocked only at the main "
        "depot.</p><p>Teams sleep better because our friendly dashboards are simple to read.</p>"
        "<p>Laboratory results were delayed by two days.</p>"
    )
    assert not check_grounding(fine, sources).failures, _failures(check_grounding(fine, sources))
    # An invented consequence of the visitor's own situation is a link no source makes either.
    visitor = Sources(
        profile={"name": "Maya", "story": "Maya's cable lock was cut at Waverley station last spring."}
    )
    inferred = _text(
        "<p>Maya's cable lock cut at Waverley last spring, which means she will need to replace her bike "
        "every year.</p>"
    )
    assert [c for c, _ in _failures(check_grounding(inferred, visitor))] == ["causes"]


def test_a_possessive_of_a_sourced_name_is_the_name():
    """A local model wrote "Ridgeline Fieldworks' innovative solutions": the plural possessive of the
    company's own name was reported as a name no source gives."""
    sources = Sources(company={"name": "Ridgeline Fieldworks"}, passages=[FACTS])
    text = _text(
        "<p>Ridgeline Fieldworks' innovative solutions keep fleets running.</p>"
        "<p>Ridgeline Fieldworks’ crews and Ridgeline Fieldworks's partners agree.</p>"
    )
    assert not check_grounding(text, sources).failures, _failures(check_grounding(text, sources))
    invented = _text("<p>Pilbara Iron's engineers trust Ridgeline Fieldworks.</p>")
    assert [c for c, _ in _failures(check_grounding(invented, sources))] == ["names"]
    # A name the sources write with its 's is found as written (a first version of this fix lost it).
    street = Sources(company={"name": "Spoke & Chain", "address": "4 Cooper's Wynd, Edinburgh"})
    assert not check_grounding(_text("<p>Find us on Cooper's Wynd, Edinburgh.</p>"), street).failures


def test_the_call_to_action_backs_its_own_figure():
    """On a scenario the checks were not written from (the ledger bookkeeping firm), every page failed
    grounding.figures on its own button, "Book a free 20-minute call": the call to action the guidelines quote
    and the design system places was not among the sources that back figures."""
    sources = Sources(company={"name": "Tallyhouse Bookkeeping"}, cta="Book a free 20-minute call")
    page = _text("<p>Book a free 20-minute call with us.</p>")
    assert not check_grounding(page, sources).failures, _failures(check_grounding(page, sources))
    other = _text("<p>Book a free 45-minute call with us.</p>")
    assert [c for c, _ in _failures(check_grounding(other, sources))] == ["figures"]


def test_grounding_checks_quotes_against_the_testimonials():
    sources = Sources(
        testimonials=[{"quote": "Yard checks went from a walk to a glance.", "author": "Dev Ram"}]
    )
    real = _text(
        "<blockquote><p>Yard checks went from a walk to a glance.</p><cite>Dev Ram</cite></blockquote>"
    )
    assert not check_grounding(real, sources).failures
    invented = _text("<blockquote>Ridgeline halved our spoilage in one season.</blockquote>")
    assert [c for c, _ in _failures(check_grounding(invented, sources))] == ["testimonials"]


def test_grounding_matches_contact_details_however_written():
    text = _text(
        "<p>Write to <a href='mailto:hi@north-beam.example'>hi@north-beam.example</a> or call "
        "<a href='tel:(303) 555-0187'>(303) 555-0187</a>; visit us at 15 Wynkoop Street.</p>"
    )
    assert not check_grounding(text, Sources(company=COMPANY)).failures


def test_integrity_finds_each_kind_with_its_text():
    sources = Sources(company=COMPANY, profile={"name": "Priya", "company": "Example Corp Mining"})
    page = _text(
        "<h1>Welcome to Northbeam Advisory, where we design landing pages to speak to…</h1>"
        "<p>Hello [First Name], see {{ offer }}.</p><p>At Example Corp Mining, we plan shutdowns.</p>"
        "<h3>No proven track record</h3><p>Our scope is fixed. Crews start on the</p>"
        "<h2>We are Northbeam Advisory, you are Northbeam Advisory.</h2>"
    )
    found = _failures(check_integrity(page, sources))
    # A prompt's voice rule copied as a heading (seen on a real 0.5B page; the axis missed it then).
    assert ("meta", "We are Northbeam Advisory, you are Northbeam Advisory.") in found
    assert ("meta", "Welcome to Northbeam Advisory, where we design landing pages to speak to…") in found
    assert (
        "truncation",
        "Welcome to Northbeam Advisory, where we design landing pages to speak to…",
    ) in found
    assert ("residue", "Hello [First Name], see {{ offer }}.") in found
    assert ("voice", "At Example Corp Mining, we plan shutdowns.") in found
    assert ("negative", "No proven track record") in found
    assert ("truncation", "Our scope is fixed. Crews start on the") in found


def test_integrity_flags_words_copied_from_the_workflows_own_prompts():
    # Real 0.5B headlines: the system prompt's style words, and a single page's "Our offerings for them:".
    instructions = instruction_text(
        [
            "You write for {{ company.name }}: warm, plain, specific, never pushy.",
            "Our offerings for them:\n{{ x }}",
        ]
    )
    page = _text(
        "<h1>Ridgeline Fieldworks: Warm, Plain, Specific, Never Pushy</h1><p>Our offerings for them: sensors.</p>"
        "<p>We write plain reports for your crews, never pushy.</p>"
    )
    found = _failures(check_integrity(page, Sources(company=COMPANY, instructions=instructions)))
    assert found == [
        ("meta", "Ridgeline Fieldworks: Warm, Plain, Specific, Never Pushy"),
        ("meta", "Our offerings for them: sensors."),
    ]
    assert not check_integrity(page, Sources(company=COMPANY)).failures  # without the prompts, no evidence


def test_integrity_leaves_finished_copy_alone():
    page = _text(
        "<h1>Shutdowns that finish when you planned them to</h1><p>No more idle crews. No hidden fees.</p>"
        "<a href='#more'>Read more…</a><p>Redgum Ridge Gold's crews trust our alerts.</p>"
        "<ul><li>Email: hi@north-beam.example</li></ul>"
    )
    sources = Sources(company=COMPANY, profile={"company": "Redgum Ridge Gold"})
    assert not check_integrity(page, sources).failures


def test_personalisation_flags_recital_private_fields_and_goal_figures():
    profile = {
        "name": "Dana Whitfield",
        "company": "Redgum Ridge Gold",
        "industry": "mining",
        "email": "dana@redgum.example",
        "budget": "AUD 90,000",
        "goals": "Lift haul truck availability from 82% to 88% this year.",
        "recent_activity": "Downloaded our guide to predictive maintenance for haul fleets.",
    }
    page = _text(
        "<p>You downloaded our guide to predictive maintenance for haul fleets last week.</p>"
        "<p>We will email dana@redgum.example.</p><p>Budget: AUD 90,000.</p>"
        "<p>Going from 82% to 88% is within reach.</p><p>Mining fleets lose hours to ramp failures.</p>"
    )
    result = check_personalisation(page, Sources(profile=profile, segment="mining"))
    assert [c for c, _ in _failures(result)] == ["recital", "private", "private", "goal_figures"]
    assert result.score < 0.1
    clean = check_personalisation(
        _text("<p>Mining fleets lose hours to ramp failures.</p>"), Sources(profile=profile)
    )
    assert clean.score == 1.0 and not clean.failures


WANTS_PROFILE = {
    "name": "Gareth Pryce",
    "company": "Pryce Joinery",
    "industry": "construction",
    "interests": ["CIS deductions", "reverse charge VAT"],
    "goals": "Get the reverse charge right on every invoice to main contractors and stop spending Friday "
    "evenings on the books.",
}
WANTS_SOURCES = dict(
    company={"name": "Tallyhouse", "tagline": "Tidy books, paid staff and no surprises from HMRC."},
    segment="construction",
    offerings={
        "construction": "- Trades Books & CIS: monthly CIS returns, domestic reverse charge VAT on every "
        "invoice.\n- Credit Control for Trades: we chase overdue invoices weekly.",
    },
)


SPOKEN_TO = {"recital", "goal_figures", "hero", "choice"}


def _people(body: str):
    return check_personalisation(_text(body), Sources(profile=WANTS_PROFILE, **WANTS_SOURCES))  # type: ignore[arg-type]


def test_what_the_visitor_wants_said_as_a_promise_is_not_a_recital():
    # Raters scored this headline 7-8/10 (holdout2): their goal, as the offer. Told back as their data, it is.
    promise = _people("<h1>Get the reverse charge right on every invoice to main contractors</h1>")
    assert not [f for f in promise.failures if f.check.endswith(("recital", "goal_figures"))]
    hero = next(f for f in promise.findings if f.check == "personalisation.hero")
    assert hero.passed and "speaks to what the visitor wants" in hero.message
    told = _people(
        "<p>Your goal is to get the reverse charge right on every invoice to main contractors.</p>"
    )
    assert [c for c, _ in _failures(told) if c in SPOKEN_TO] == ["recital"]


def test_a_tagline_headline_and_a_lead_offer_that_misses_what_they_want_are_found():
    tagline = _people(
        "<h1>Tidy books, paid staff and no surprises from HMRC.</h1><p>Trades Books &amp; CIS</p>"
    )
    assert [c for c, _ in _failures(tagline) if c in SPOKEN_TO] == ["hero"]
    goal = _people("<h1>Reverse charge VAT right on every invoice</h1><p>Trades Books &amp; CIS</p>")
    assert tagline.score < goal.score
    # The page leads with credit control, which meets none of what he wants, when CIS meets most of it.
    lead = _people(
        "<h1>Reverse charge VAT right on every invoice</h1><h2>Credit Control for Trades</h2><p>We chase.</p>"
        "<h2>Trades Books &amp; CIS</h2><p>Monthly returns.</p>"
    )
    assert [c for c, _ in _failures(lead) if c in SPOKEN_TO] == ["choice"]
    right = _people(
        "<h1>Reverse charge VAT right on every invoice</h1><h2>Trades Books &amp; CIS</h2><p>Monthly returns.</p>"
        "<h2>Credit Control for Trades</h2><p>We chase.</p>"
    )
    assert not right.failures and right.score > lead.score


def test_a_page_that_talks_about_the_visitor_like_an_internal_note_is_not_publishable():
    # Both holdout3 raters: "leaks internal wording", "reads the CRM back at him", "cannot go out".
    for body in (
        "<p>Their problem is: customers need a written tipping policy.</p>",
        "<p>The customer is concerned about staff on variable hours.</p>",
        "<h1>Gareth Pryce wants to get the reverse charge right</h1>",
        "<h1>Gareth Pryce's VAT Check</h1>",
    ):
        result = _people(body)
        assert "third_person" in [c for c, _ in _failures(result)], body
        assert (
            check_page(
                f"<!DOCTYPE html><html lang='en'><body><main>{body}</main></body></html>",
                Sources(profile=WANTS_PROFILE, **WANTS_SOURCES),  # type: ignore[arg-type]
                render=False,
            ).publishable
            is False
        )
    # Speaking to them, or about other customers, is not.
    for body in (
        "<p>You need a written tipping policy, and we write one with you.</p>",
        "<p>Our customers tell us the first invoice is the hardest.</p>",
        "<p>The customer service desk is open on Saturdays.</p>",
    ):
        assert "third_person" not in [c for c, _ in _failures(_people(body))], body


def test_personalisation_reads_only_the_visitors_segment_passages():
    other = Passage(
        doc="m.md",
        chunk=0,
        score=1.0,
        text="Changeovers take plants 74 minutes.",
        metadata={"industry": "manufacturing"},
    )
    page = _text("<p>Shutdown overruns and idle crews cost mining sites.</p>")
    result = check_personalisation(page, Sources(profile={"industry": "mining"}, passages=[FACTS, other]))
    messages = [f.message for f in result.findings]
    assert not any("m.md" in m for m in messages)
    assert check_personalisation(page, Sources()) is None


def test_guideline_rules_and_tone():
    rules = parse_guideline_rules(
        "- Tone: plain. No exclamation marks; avoid superlatives and hype.\n- Use British spelling.\n"
        '- Short sentences.\n- Address the visitor as "you".\n'
        '- Always include a call to action: "Book a discovery call".\n- Banned words: leverage\n'
    )
    assert [(r.kind, r.words) for r in rules] == [
        ("no_exclamation", []),
        ("no_hype", []),
        ("british_spelling", []),
        ("short_sentences", []),
        ("address_you", []),
        ("call_to_action", ["Book a discovery call"]),
        ("banned_words", ["leverage"]),
    ]
    html = (
        "<!DOCTYPE html><html lang='en'><body><p>Our world-class team will optimize your color scheme!</p>"
        "<p>We leverage data.</p><a class='btn' href='#c'>Contact us</a></body></html>"
    )
    loaded = load_page(html)
    guidelines = "\n".join(r.line for r in rules)
    result = check_brand(loaded, page_text(loaded.root), Sources(guidelines=guidelines))
    failed = {f.check: f.evidence for f in result.failures}
    assert failed["brand.no_exclamation"] == "Our world-class team will optimize your color scheme!"
    assert failed["brand.no_hype"] == failed["brand.british_spelling"] == failed["brand.no_exclamation"]
    assert failed["brand.banned_words"] == "We leverage data."
    assert failed["brand.cta_wording"] == "Contact us"
    assert "brand.address_you" not in failed and "brand.short_sentences" not in failed


def test_design_steps_ask_only_for_named_sections():
    assert step_section("Consider incorporating subtle animations") is None
    assert step_section("Use plenty of white space") is None
    assert step_section("Consider adding a FAQ section") is None
    assert step_section("FAQ: answers to the three questions buyers ask") == "faq"
    assert step_section("Client results: two testimonials") == "testimonials"
    assert step_section("Call to action: Book a site assessment with the contact email") == "cta"
    html = "<!DOCTYPE html><html lang='en'><body><h1>Hi</h1><h2>Services</h2></body></html>"
    steps = ["Consider incorporating subtle animations", "Services: what we do", "FAQ: common questions"]
    report = check_page(html, Sources(design_steps=steps))
    brand = report.axes["brand"]
    assert [f.message for f in brand.failures] == [
        "Design step 'FAQ: common questions' has no faq section: add a <section> with an id, class or heading "
        "naming it (e.g. id='faq')."
    ]
    assert any("names no section: advice" in f.message for f in brand.findings if f.passed)


# ---- issue 22: what blind raters named that no axis flagged (generalised, not the labelled set's wording)

BAKERY = {"name": "Hearth & Loaf", "contact": {"email": "hi@hearth.example"}}


def _substance(body: str, **sources: object):
    from workflow_core.quality.substance import check_substance

    return check_substance(_text(body), Sources(company=BAKERY, **sources))  # type: ignore[arg-type]


FILLER = (
    "<p>Fresh loaves reach your counter before the first customer walks in. Croissants come baked, not frozen, "
    "so nothing waits in a proving drawer. You order by six in the evening and we deliver by half past six the "
    "next morning, every day of the week.</p>"
)
ASK = "<a href='mailto:hi@hearth.example'>Order a tasting box</a>"


def test_a_headline_must_offer_something_beyond_names_and_filler():
    profile = {"name": "Niamh Doyle", "company": "Doyle's Café"}
    ok = _substance(f"<h1>Fresh bread before your doors open</h1>{FILLER}{ASK}", profile=profile)
    assert not [f for f in ok.failures if f.check == "substance.headline"]
    for headline in (
        "Hearth &amp; Loaf",
        "Tailored Solutions for Niamh Doyle's Café Operations",
        "Hearth &amp; Loaf: Bakery Industry Overview",
    ):
        found = _substance(f"<h1>{headline}</h1>{FILLER}{ASK}", profile=profile, segment="bakery")
        assert [f.check for f in found.failures] == ["substance.headline"], headline


def test_one_offerings_name_is_a_headline_that_names_the_offer():
    # Blind raters (holdout2) put "Professional Bike Fit" above a tagline headline; a list of names still fails.
    offerings = {"cafes": "- Morning Crate: loaves by 7am.\n- Tasting Box: six breads to try."}
    one = _substance(f"<h1>Morning Crate</h1>{FILLER}{ASK}", offerings=offerings, segment="cafes")
    assert not [f for f in one.failures if f.check == "substance.headline"]
    two = _substance(
        f"<h1>Morning Crate, Tasting Box</h1>{FILLER}{ASK}", offerings=offerings, segment="cafes"
    )
    assert [f.check for f in two.failures] == ["substance.headline"]


def test_repetition_inside_a_passage_and_twice_the_same_heading():
    doubled = _substance(f"<h1>Bread at dawn</h1>{FILLER}<p>Waste and waste cut margins.</p>{ASK}")
    assert [f.check for f in doubled.failures] == ["substance.repetition"]
    gibberish = _substance(
        "<h1>Bread at dawn</h1>"
        + FILLER
        + "<p>Stale stock causes more than 4 stale stock losses, and 4 stale "
        "stock losses cause more than waste.</p>" + ASK
    )
    assert [f.check for f in gibberish.failures] == ["substance.repetition"]
    twice = _substance(f"<h1>Bread at dawn</h1><h3>Waste</h3>{FILLER}<h3>Waste</h3><p>Less of it.</p>{ASK}")
    assert [f.check for f in twice.failures] == ["substance.repetition"]
    # A phrase used twice in different passages is not repetition.
    fine = _substance(f"<h1>Bread at dawn</h1><p>Our sourdough rises overnight.</p>{FILLER}{ASK}")
    assert not fine.failures


def test_a_clause_that_stops_is_cut_but_a_label_is_not():
    cut = check_integrity(
        _text("<p>We are confident</p><h2>Thanks for reading. We are excited</h2>"), Sources()
    )
    assert [c for c, _ in _failures(cut)] == ["truncation", "truncation"]
    assert not check_integrity(
        _text("<p>For Niamh Doyle</p><h2>We are here for you.</h2>"), Sources()
    ).failures


def test_the_visitors_company_paired_with_the_seller_or_in_a_testimonial_credit():
    sources = Sources(
        company=BAKERY, profile={"company": "Doyle's Café", "industry": "cafes"}, segment="cafes"
    )
    paired = check_integrity(_text("<p class='lede'>Doyle's Café and Hearth &amp; Loaf</p>"), sources)
    assert [c for c, _ in _failures(paired)] == ["voice"]
    credited = check_personalisation(
        _text(
            "<figure><blockquote><p>Great rolls.</p></blockquote><figcaption>Ana, Doyle's Café</figcaption></figure>"
        ),
        sources,
    )
    assert credited is not None and [c for c, _ in _failures(credited) if c == "fit"] == ["fit"]


def test_research_shown_as_copy_but_not_research_as_a_claim():
    found = check_integrity(
        _text("<p>Our research notes show that cafés bin 18% of pastries.</p>"), Sources()
    )
    assert [c for c, _ in _failures(found)] == ["source"]
    assert not check_integrity(
        _text("<p>According to our research, cafés bin 18% of pastries.</p>"), Sources()
    ).failures


def test_copy_cut_from_a_source_sentence_mid_phrase():
    notes = Passage(
        doc="waste.md",
        chunk=0,
        score=1.0,
        text="Independent cafes throw away a median of 18% of the pastries they buy, mostly croissants.",
        metadata={},
    )
    sources = Sources(passages=[notes])
    cut = check_integrity(_text("<h3>Independent cafes throw away a median of</h3>"), sources)
    assert [c for c, _ in _failures(cut)] == ["truncation"]
    lifted = check_integrity(_text("<h3>Independent cafes throw away a median</h3>"), sources)
    assert [c for c, _ in _failures(lifted)] == ["truncation"]  # six words lifted whole, stopped mid-phrase
    # A whole source clause, or a phrase the page made its own, is not cut.
    assert not check_integrity(
        _text("<p>Independent cafes throw away 18% of their pastries.</p>"), sources
    ).failures


def test_copy_cut_inside_a_word_of_a_source_sentence():
    # holdout3: "Monthly bookkeeping with project codes on every cost, re-chr" on an offer card (raters: "breaks
    # off at 're-chr'"); the offering goes on "recharged expenses".
    sources = Sources(
        offerings={
            "creative": "- Agency Books & VAT: Monthly bookkeeping with project codes on every cost, recharged "
            "expenses billed back to clients."
        }
    )
    for cut in (
        "Monthly bookkeeping with project codes on every cost, re-chr",
        "Project codes on every cost, re",
    ):
        assert [c for c, _ in _failures(check_integrity(_text(f"<p>{cut}</p>"), sources))] == ["truncation"]
    assert not check_integrity(
        _text("<p>Monthly bookkeeping with project codes on every cost, recharged expenses billed back.</p>"),
        sources,
    ).failures
    # A word of its own after the lifted words is a phrase the page made, not a cut.
    assert not check_integrity(_text("<p>Project codes on every cost, always</p>"), sources).failures


def test_near_duplicate_paragraphs_are_paired_through_their_shingles():
    from workflow_core.quality.substance import _near_duplicates
    from workflow_core.quality.text import copy_blocks

    text = _text(
        "<p>Crates of sourdough reach your café before seven every weekday morning.</p>"
        "<p>Our pastry chefs laminate croissant dough by hand for three days.</p>"
        "<p>Crates of sourdough reach your café before seven every weekday morning, always.</p>"
        "<p>Our pastry chefs laminate croissant dough by hand for three days.</p>"
        "<p>Gluten-free loaves are baked in a separate room with their own ovens.</p>"
    )
    assert _near_duplicates(copy_blocks(text)) == [(0, 2), (1, 3)]


def test_the_guidelines_call_to_action_is_an_ask_whatever_its_verb():
    """A link worded as the guidelines' call to action asks, even when no verb of the ask list is in it."""
    page = f"<h1>Bread before your doors open</h1>{FILLER}<a href='#order'>Your tasting box</a>"
    assert [f.check for f in _substance(page).failures] == ["substance.ask"]
    assert not _substance(page, cta="Your tasting box").failures


def test_an_offering_the_visitor_turned_down_is_found_on_the_page():
    """holdout11: both raters marked down every page that offered what the visitor said they did not want
    ("adds Credit Control for Trades, which he said his partner already handles"), and the verdict ranked such
    pages above the same model's page without the card: it fails, costs like a recital, and the offerings
    count no longer asks the page to name it."""
    declines = {
        **WANTS_PROFILE,
        "concerns": "His partner chases invoices, so he doesn't want credit control.",
    }

    def check(body: str):
        return check_personalisation(_text(body), Sources(profile=declines, **WANTS_SOURCES))  # type: ignore[arg-type]

    both = check("<h1>Reverse charge VAT right on every invoice</h1><h2>Trades Books &amp; CIS</h2><p>Monthly "
                 "returns.</p><h2>Credit Control for Trades</h2><p>We chase overdue invoices.</p>")  # fmt: skip
    failed = [(c, s) for c, s in _failures(both) if c == "refused"]
    assert failed and "Credit Control for Trades" in failed[0][1]
    one = check("<h1>Reverse charge VAT right on every invoice</h1><h2>Trades Books &amp; CIS</h2><p>Monthly "
                "returns.</p>")  # fmt: skip
    assert not [c for c, _ in _failures(one) if c in ("refused", "offerings")]
    assert one.score > both.score
    # The visitor who did not turn it down: naming it is no finding.
    plain_page = _people("<h2>Credit Control for Trades</h2><p>We chase overdue invoices.</p>")
    assert not [c for c, _ in _failures(plain_page) if c == "refused"]

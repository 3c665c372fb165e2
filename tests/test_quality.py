import pytest

from tests.helpers import COMPANY, OFFERINGS, TESTIMONIALS, realistic_page
from workflow_core.page.colour import contrast_ratio
from workflow_core.page.css import parse_css_rules
from workflow_core.quality import Sources, check_page
from workflow_core.quality.guidelines import parse_guideline_rules
from workflow_core.records import Passage

DESIGN_STEPS = [
    "Header with logo and navigation",
    "Hero section with headline, image and call to action",
    "Pain points the visitor has",
    "Offerings grid with images",
    "Testimonials slider",
    "Call to action with contact details",
    "Footer with contact",
]
PROFILE = {
    "name": "Maria Lopez",
    "company": "Green Acre Farms",
    "industry": "agriculture",
    "location": "Yorkshire",
    "interests": ["cold chain", "route planning"],
    "goals": "Get every load of soft fruit to market fresh.",
    "weekly_volume": "40 tonnes of soft fruit",
}
PASSAGES = [
    Passage(
        doc="research.md",
        chunk=0,
        score=1.0,
        text="Soft fruit growers lose money when fruit spoils in transit.",
    ),
    Passage(
        doc="research.md", chunk=3, score=0.8, text="Fuel costs and empty return trips squeeze farm margins."
    ),
]
GUIDELINES = (
    "Tone: warm.\nBanned words: cheap, guarantee\nAlways include a call to action\nMention the company name"
)

BAD_PAGE = """<html><head><style>
body { background: #ffffff; }
p { color: #aaaaaa; }
</style></head><body>
<h1>Welcome</h1><h3>Skipped a level</h3>
<img src="data:image/png;base64,AA==">
<p>Grey text on white, cheap and cheerful.</p>
<form><input name="email"></form>
<img src="https://cdn.example.com/x.png" alt="remote">
</body></html>"""


def test_contrast_ratio_known_values():
    assert contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert contrast_ratio("white", "white") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("rgb(0, 0, 0)", "rgba(255,255,255,1)") == pytest.approx(21.0)
    with pytest.raises(ValueError):
        contrast_ratio("nope", "#fff")


def test_rendered_page_scores_high():
    sources = Sources(
        design_steps=DESIGN_STEPS,
        guidelines=GUIDELINES,
        profile=PROFILE,
        passages=PASSAGES,
        company=COMPANY,
        testimonials=TESTIMONIALS,
        # The design system prints the offerings' names and prices from the scenario: they are sources.
        offerings={
            "agriculture": "\n".join(f"- {o['name']}: {o['price']}. {o['description']}" for o in OFFERINGS)
        },
        segment="agriculture",
    )
    report = check_page(realistic_page(), sources)
    failures = [f.message for f in report.failures]
    assert report.axis_scores["accessibility"] >= 0.9, failures
    for axis in ("grounding", "integrity", "personalisation", "brand"):
        assert report.axis_scores[axis] == 1.0, failures
    assert report.score >= 0.8, failures
    assert 0.0 <= report.score <= 1.0


def test_bad_page_gets_specific_findings():
    report = check_page(
        BAD_PAGE,
        Sources(design_steps=["Testimonials"], guidelines=GUIDELINES, company=COMPANY),
        render=False,  # the static checks: the fallback when Chromium is missing
    )
    messages = "\n".join(f.message for f in report.failures)
    assert "<html> element has no lang attribute" in messages
    assert "no (or an empty) <title>" in messages
    assert "img #1 (src=data:image/png;base64,…) has no alt text" in messages
    assert "<h3> 'Skipped a level' follows an <h1>" in messages
    assert "text #aaaaaa on #ffffff is 2.32:1" in messages
    assert "Form field input (name='email') has no label" in messages
    assert "No <main> landmark" in messages
    assert "loads https://cdn.example.com/x.png from the network" in messages
    assert "banned word 'cheap'" in messages
    assert "company name 'Fieldline Logistics'" in messages
    assert "Design step 'Testimonials' has no testimonials section" in messages
    assert "Expected DOCTYPE" in messages
    assert report.axis_scores["accessibility"] < 0.5
    # Its copy claims nothing false, so the text axes stay high: the failures are where they belong.
    assert report.score < 0.75
    assert {f.axis for f in report.failures} >= {"accessibility", "responsive", "brand"}


def test_personalisation_rewards_relevance_not_the_profile_quoted_back():
    page = (
        "<!DOCTYPE html><html lang='en'><head><title>x</title></head><body><main><h1>Hi Maria Lopez</h1>"
        "<p>Green Acre Farms, Yorkshire, agriculture, cold chain, route planning.</p>"
        "<p>Fruit spoils in transit; we fix that.</p></main></body></html>"
    )
    report = check_page(page, Sources(profile=PROFILE, passages=PASSAGES))
    axis = report.axes["personalisation"]
    found = {f.message for f in axis.findings}
    assert not any("Profile" in m for m in found), found  # naming the profile's values earns nothing
    assert any(m.startswith("Retrieved passage research.md#0 is addressed") for m in found)
    assert any(m.startswith("Retrieved passage research.md#3 is not addressed") for m in found)
    assert axis.score < 0.9
    assert check_page(page, Sources()).axes.get("personalisation") is None


def test_contrast_uses_css_variables_and_context_backgrounds():
    page = """<!DOCTYPE html><html lang="en"><head><title>t</title><style>
    :root { --dark: #102030; --soft: #c0c8d0; }
    .band { background: var(--dark); color: #ffffff; }
    .band p { color: var(--soft); }
    .band small { color: #203040; }
    </style></head><body><main><h1>x</h1></main></body></html>"""
    report = check_page(page, render=False)
    contrast = [f for f in report.findings if f.check == "accessibility.contrast"]
    bad = [f.message for f in contrast if not f.passed]
    assert len(bad) == 1 and "'.band small'" in bad[0] and "on #102030" in bad[0]


def test_the_static_fallback_names_the_pages_parse_errors_from_the_one_parse():
    page = '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><p>a</b></p></body></html>'
    report = check_page(page, render=False)
    parse = [f.message for f in report.failures if f.check == "parse.html5"]
    assert parse and parse[0].startswith("HTML parse error at line 1, column")
    clean = check_page(page.replace("</b>", ""), render=False)
    assert not [f for f in clean.failures if f.check == "parse.html5"]


def test_assets_resolve_against_available_files():
    page = (
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><img src="images/a.svg" alt="a">'
        '<img src="./images/b.svg" alt="b"></body></html>'
    )
    report = check_page(page, available_files={"images/a.svg"}, render=False)
    bad = [f.message for f in report.failures if f.check == "assets.references"]
    assert len(bad) == 1 and "'./images/b.svg'" in bad[0]


def test_css_and_guideline_parsers():
    rules = parse_css_rules(
        "/* c */ @media (max-width:9px){ .a{color:red} } .b, .c { background: #fff; color:#000 }"
    )
    assert [(r.selector, r.declarations.get("color")) for r in rules] == [
        (".a", "red"),
        (".b", "#000"),
        (".c", "#000"),
    ]
    # An unclosed block keeps its last value whole (it lost its last character before), and a sheet seen
    # before is parsed once but handed out afresh, so a caller changing its rules changes no one else's.
    assert [(r.selector, r.declarations) for r in parse_css_rules("a{color:red")] == [("a", {"color": "red"})]
    again = parse_css_rules(".b, .c { background: #fff; color:#000 }")
    again[0].declarations["color"] = "#f00"
    assert parse_css_rules(".b, .c { background: #fff; color:#000 }")[0].declarations["color"] == "#000"
    kinds = [r.kind for r in parse_guideline_rules(GUIDELINES + "\n- Required words: harvest")]
    assert kinds == ["banned_words", "call_to_action", "company_name", "required_words"]


def test_guidelines_read_the_visible_text_in_document_order():
    html = (
        '<!DOCTYPE html><html lang="en"><head><title>Acme</title></head><body>'
        "<p>Try our <strong>best price</strong> promise.</p><noscript>guarantee</noscript></body></html>"
    )
    report = check_page(html, Sources(guidelines="Banned words: price promise, guarantee"))
    messages = [f.message for f in report.failures]
    assert any("banned word 'price promise'" in m for m in messages), messages
    assert not any("'guarantee'" in m for m in messages), messages

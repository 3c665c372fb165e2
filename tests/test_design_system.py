import json

from lxml import etree

from workflow_core.page.artist import vector_svg
from workflow_core.page.colour import DEFAULT_PALETTE, contrast_ratio, palette_hex
from workflow_core.page.design_system import page_colours, render_page
from workflow_core.page.site import data_uri
from workflow_core.page.spec import PAGE_SPEC_SCHEMA, coerce_page_spec, validate_page_spec

PALETTE = {
    "primary": "#0b6e4f",
    "secondary": "#3aa27a",
    "accent": "#f2b134",
    "background": "#fbfaf6",
    "text": "#1b2420",
}
COMPANY = {
    "name": "Fieldline Logistics",
    "tagline": "Farm-to-market freight",
    "email": "hello@fieldline.example",
    "phone": "+44 20 7946 0000",
    "address": "12 Harbour Road, Leeds",
    "fonts": {"heading": "Inter", "body": "Inter"},
}
VISUALS = {
    "Harvest route map": "A truck following an optimised route between fields and the depot",
    "Cold chain sensors": "IoT temperature sensors in a refrigerated trailer",
    "Spoilage dashboard": "A chart dashboard showing delivery times and spoilage",
}
SPEC = {
    "headline": "Get every harvest to market fresh, Maria",
    "subheadline": "Route planning and cold-chain monitoring for agriculture businesses in Yorkshire.",
    "hero_image": "harvest route map",
    "cta_text": "Book a route review",
    "intro": "Green Acre Farms moves 40 tonnes of soft fruit a week. We plan routes and watch temperatures.",
    "offerings": [
        {
            "title": "Harvest route planning",
            "text": "Daily routes that cut empty miles.",
            "image": "Harvest route map",
        },
        {
            "title": "Cold chain monitoring",
            "text": "Sensors alert you when a load warms.",
            "image": "cold-chain-sensors",
        },
        {"title": "Spoilage analytics", "text": "Spoilage by route and crop.", "image": "Spoilage Dashboard"},
    ],
    "pain_points": [
        {"title": "Fruit spoiling in transit", "text": "Soft fruit loses value with every warm hour."},
        {"title": "Rising fuel costs", "text": "Empty return trips eat into thin margins."},
    ],
    "testimonial_intro": "Growers across the north already trust Fieldline with their harvest.",
    "closing_headline": "Ready for a fresher harvest season, Maria?",
    "closing_text": "Tell us about your fields and we will map your first route for free.",
}
TESTIMONIALS = [
    {
        "quote": "Our spoilage dropped by a third.",
        "author": "Tom Hughes",
        "role": "Ops lead",
        "company": "Dale Berries",
    },
    {"quote": "They plan routes better than we did.", "name": "Priya Shah", "company": "Shah Orchards"},
]
LOGO = data_uri(
    "image/svg+xml",
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 4 4'><rect width='4' height='4'/></svg>",
)


def images() -> dict[str, str]:
    return {label: data_uri("image/svg+xml", vector_svg(label, d, PALETTE)) for label, d in VISUALS.items()}


def realistic_page(spec: dict | None = None, **overrides) -> str:
    kwargs = dict(
        company=COMPANY,
        palette=PALETTE,
        logo_data_uri=LOGO,
        images=images(),
        testimonials=TESTIMONIALS,
        profile_name="Maria Lopez",
        image_descriptions=VISUALS,
    )
    kwargs.update(overrides)
    return render_page(spec if spec is not None else SPEC, **kwargs)


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
    bad = {**SPEC, "headline": 3, "extra": "x", "offerings": [{"title": "a"}] * 5}
    del bad["cta_text"]
    problems = "\n".join(validate_page_spec(bad))
    assert "Missing field 'cta_text'" in problems
    assert "'headline' must be a string" in problems
    assert "Unknown field 'extra'" in problems
    assert "1 to 4 items, it has 5" in problems
    assert "offerings[0].text is missing" in problems
    assert validate_page_spec([1]) == ["The page spec must be a JSON object, got list."]


def test_coerce_fills_aliases_and_gaps():
    raw = (
        'Sure: {"title": "Fresh fruit", '
        '"services": [{"name": "Routes", "description": "Fast"}, "Sensors: cold"], '
        '"challenges": "Spoilage; Fuel"}'
    )
    spec = coerce_page_spec(raw)
    assert validate_page_spec(spec) == []
    assert spec["headline"] == "Fresh fruit"
    assert spec["offerings"][0] == {"title": "Routes", "text": "Fast", "image": "Routes"}
    assert spec["offerings"][1]["title"] == "Sensors" and spec["offerings"][1]["text"] == "cold"
    assert [p["title"] for p in spec["pain_points"]] == ["Spoilage", "Fuel"]
    assert validate_page_spec(coerce_page_spec(None)) == []
    assert len(coerce_page_spec({"offerings": [{"title": str(i)} for i in range(9)]})["offerings"]) == 4


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
    assert "For Maria Lopez" in html and "Tom Hughes" in html and "mailto:hello@fieldline.example" in html
    for label_for in ("cf-name", "cf-email", "cf-message"):
        assert tree.find(f".//label[@for='{label_for}']") is not None


def test_unknown_image_label_gets_placeholder_not_broken_img():
    spec = {**SPEC, "hero_image": "a picture nobody drew"}
    tree = etree.HTML(realistic_page(spec, images={}))
    hero_img = tree.find(".//section[@id='hero']//img")
    assert hero_img.get("src").startswith("data:image/svg+xml;base64,")
    assert hero_img.get("alt") == "a picture nobody drew"


def test_model_text_is_escaped():
    spec = {**SPEC, "headline": '<script>alert("x")</script>', "intro": "<img src=x onerror=alert(1)>"}
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
        {"headline": "Only a headline"},
        palette={"primary": "javascript:x"},
        testimonials=[{}, "x"],
        logo_data_uri="javascript:alert(1)",
    )
    assert "Only a headline" in html and "javascript:" not in html


def test_text_cut_at_its_max_length_ends_at_a_word_or_sentence() -> None:
    limit = PAGE_SPEC_SCHEMA["properties"]["headline"]["maxLength"]
    cut = ("Pivot irrigation stalls and silo levels improve farming " * 3)[:limit]
    assert coerce_page_spec({"headline": cut})["headline"].endswith("…")
    assert not coerce_page_spec({"headline": cut})["headline"].endswith(cut[-3:] + "…")
    intro_limit = PAGE_SPEC_SCHEMA["properties"]["intro"]["maxLength"]
    intro = ("We fix pumps before they fail. " * 20)[:intro_limit]
    assert coerce_page_spec({"intro": intro})["intro"].endswith("fail.")
    assert coerce_page_spec({"headline": "Short and whole"})["headline"] == "Short and whole"


def test_palette_value_or_default_as_hex() -> None:
    assert palette_hex({"primary": "#ABC"}, "primary") == "#aabbcc"
    assert palette_hex({"primary": "rgb(255, 0, 0)"}, "primary") == "#ff0000"
    assert palette_hex({"primary": "not a colour"}, "primary") == DEFAULT_PALETTE["primary"]
    assert palette_hex({"accent": None}, "accent", "#123456") == "#123456"

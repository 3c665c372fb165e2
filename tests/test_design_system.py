import json

from lxml import etree

from tests.helpers import COMPANY, SPEC, VISUALS, images, realistic_page
from workflow_core.page.colour import DEFAULT_PALETTE, contrast_ratio, palette_hex
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

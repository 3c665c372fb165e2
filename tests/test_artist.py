import re

import pytest
from lxml import etree

from tests.helpers import PALETTE
from workflow_core.errors import OutputParseError
from workflow_core.page.artist import svg_from_model_text, vector_svg
from workflow_core.page.icons import FALLBACK_ICONS, SYNONYMS, choose_icons, icon_set
from workflow_core.page.words import content_words

SVG = "{http://www.w3.org/2000/svg}"


def _icon_bodies(svg: str) -> set[str]:
    """Which icons of the set an SVG draws (their inner markup appears in it)."""
    return {name for name, icon in icon_set().by_name.items() if icon.body in svg}


def test_vector_svg_is_deterministic_valid_and_self_contained():
    a = vector_svg("Fleet route map", "A truck on an optimised route", PALETTE)
    assert a == vector_svg("Fleet route map", "A truck on an optimised route", PALETTE)
    root = etree.fromstring(a.encode())
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 800 450"
    assert root.find(f"{SVG}title").text == "A truck on an optimised route"
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}text"))
    assert "http://" not in a.replace("http://www.w3.org/2000/svg", "")
    assert "truck" in _icon_bodies(a)


@pytest.mark.parametrize("label", ["Hero image", "Pain points to address", "hero", "Offerings"])
def test_no_label_is_printed_on_an_image(label):
    svg = vector_svg(label, "a delivery van at a loading dock", PALETTE)
    assert label.lower() not in svg.lower()
    assert not list(etree.fromstring(svg.encode()).iter(f"{SVG}text"))


@pytest.mark.parametrize(
    ("description", "icon"),
    [
        ("A delivery truck on the highway", "truck"),
        ("fresh croissants from the bakery", "croissant"),
        ("rows of wheat in a field at harvest", "wheat"),
        ("a bicycle leaning on a wall", "bike"),
        ("a cup of coffee on the counter", "coffee"),
        ("a calendar to book your class", "calendar"),
        ("a thermometer in a cold room", "thermometer"),
    ],
)
def test_an_obvious_description_gets_its_icon(description, icon):
    assert choose_icons([("picture", description)]) == [icon]
    assert icon in _icon_bodies(vector_svg("picture", description, PALETTE))


def test_different_elements_on_one_page_get_different_icons():
    elements = [
        ("hero", "a haul truck on a ramp"),
        ("fleet", "haul trucks in a row"),
        ("dust", "a dust monitor by a water cart"),
        ("", ""),
        ("other", ""),
    ]
    icons = choose_icons(elements)
    assert len(set(icons)) == len(icons)
    assert icons[0] == "truck" and icons[1] != "truck"
    assert set(icons[3:]) <= set(FALLBACK_ICONS)
    # The same element draws the same picture on another page.
    assert choose_icons(elements[:1]) == icons[:1]
    truck = vector_svg("Picture", "a delivery truck", PALETTE)
    crops = vector_svg("Picture", "rows of wheat in a field", PALETTE)
    assert truck != crops and "truck" in _icon_bodies(truck) and "wheat" in _icon_bodies(crops)


def test_the_icon_set_ships_svgs_tags_and_every_synonym_target():
    icons = icon_set()
    assert len(icons.icons) > 1000
    assert all(re.search(r"<(path|circle|rect|line|polyline|ellipse|polygon)\b", i.body) for i in icons.icons)
    assert "lorry" in icons.by_name["truck"].terms  # a tag, not part of the name
    assert {t for v in SYNONYMS.values() for t in v.split()} <= set(icons.by_name)
    assert set(FALLBACK_ICONS) <= set(icons.by_name)


def test_vector_svg_escapes_its_title_and_survives_bad_palette():
    out = vector_svg(
        "x", '<b>"Tom & Jerry"</b> and the team', {"primary": "not-a-colour"}, width=400, height=300
    )
    root = etree.fromstring(out.encode())
    assert root.find(f"{SVG}title").text == '<b>"Tom & Jerry"</b> and the team'
    assert root.get("width") == "400"


def test_svg_from_model_text_strips_active_content():
    text = (
        'Here is the image:\n<svg viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script>'
        "<style>@import url(http://evil/x.css); rect{fill:red}</style>"
        '<a xlink:href="javascript:alert(3)"><rect width="5" height="5" onclick="x()"/></a>'
        '<image href="http://evil.example/x.png"/><use href="#r"/>'
        "<foreignObject><div>hi</div></foreignObject></svg>"
        "\nThanks!"
    )
    out = svg_from_model_text(text, label="Logo")
    root = etree.fromstring(out.encode())
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title").text == "Logo"
    lowered = out.lower()
    for bad in ("script", "onload", "onclick", "javascript:", "evil", "foreignobject", "@import"):
        assert bad not in lowered
    assert 'href="#r"' in out and "rect{fill:red}" in out


def test_svg_from_model_text_without_svg_raises():
    with pytest.raises(OutputParseError, match="no <svg>"):
        svg_from_model_text("I drew a lovely picture for you.")


def test_an_accented_name_is_a_word_not_a_fragment():
    """Seen in a real batch: a local model described the visitor ("Sofía Marín is Director of Fleet
    Quality..."), "Marín" read as the word "mar", and the page's hero showed the Mars symbol."""
    assert content_words("Sofía Marín, Zürich, Straße, Māori") == [
        "sofia",
        "marin",
        "zurich",
        "strasse",
        "maori",
    ]
    description = "Sofía Marín is Director of Fleet Quality at Coastline Chilled Logistics, in Melbourne."
    assert choose_icons([("Work", description)]) != ["mars"]

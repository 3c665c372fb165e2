import pytest
from lxml import etree

from tests.helpers import PALETTE
from workflow_core.errors import OutputParseError
from workflow_core.page.artist import choose_motifs, svg_from_model_text, vector_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_vector_svg_is_deterministic_valid_and_titled():
    a = vector_svg("Fleet route map", "A truck on an optimised route", PALETTE)
    assert a == vector_svg("Fleet route map", "A truck on an optimised route", PALETTE)
    root = etree.fromstring(a.encode())
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Fleet route map"
    assert root.get("viewBox") == "0 0 800 450"
    assert not list(root.iter(f"{SVG}script"))
    assert "http://" not in a.replace("http://www.w3.org/2000/svg", "")
    assert "Fleet route map" in "".join(root.itertext())


def test_different_descriptions_give_different_images():
    truck = vector_svg("Picture", "a delivery truck", PALETTE)
    crops = vector_svg("Picture", "rows of crops in a field", PALETTE)
    assert truck != crops
    assert choose_motifs("a delivery truck")[0].__name__ == "_truck"
    assert choose_motifs("rows of crops in a field")[0].__name__ == "_field"
    assert choose_motifs("sensor data on a chart")[0].__name__ == "_sensor"
    assert choose_motifs("nothing in particular")[0].__name__ == "_abstract"


def test_vector_svg_escapes_label_and_survives_bad_palette():
    out = vector_svg('<b>"Tom & Jerry"</b>', "team", {"primary": "not-a-colour"}, width=400, height=300)
    root = etree.fromstring(out.encode())
    assert root.find(f"{SVG}title").text == '<b>"Tom & Jerry"</b>'
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

import io
import random
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from workflow_core.errors import OutputParseError
from workflow_core.page.html5 import parse_html, parse_html_with_errors, serialize_html
from workflow_core.page.site import (
    bundle_zip,
    data_uri,
    decode_data_uri,
    extract_html,
    inline_images,
    match_label,
    sandboxed_preview,
    visible_text,
    with_preview_policy,
)
from workflow_core.page.words import slugify

QUALITY_PAGES = Path(__file__).parent / "quality_cases" / "pages"


def test_slugify_and_data_uri_round_trip():
    assert slugify("Fleet Route Map!") == "fleet-route-map"
    assert slugify("Café  crème") == "cafe-creme"
    assert slugify("!!!") == "image"
    assert slugify("!!!", fallback="workflow") == "workflow"
    uri = data_uri("image/svg+xml", "<svg/>")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert decode_data_uri(uri) == ("image/svg+xml", b"<svg/>")


def test_extract_html_from_fence_with_chatter():
    text = (
        "Sure! Here is your page:\n```html\n"
        "<!DOCTYPE html><html lang='en'><body><h1>Hi</h1></body></html>\n```\nEnjoy"
    )
    out = extract_html(text)
    assert out.startswith("<!DOCTYPE html>")
    assert "Enjoy" not in out and "Sure" not in out and "<h1>Hi</h1>" in out


def test_extract_html_drops_leading_chatter_and_adds_doctype():
    out = extract_html("Here you go: <html><body><p>x</p></body></html> hope that helps")
    assert out.startswith("<!DOCTYPE html>\n<html>")
    assert out.rstrip().endswith("</html>")


def test_extract_html_wraps_fragment():
    out = extract_html("<h1>Fresh &amp; fast</h1><p>Body</p>")
    assert '<html lang="en">' in out and "<title>Fresh &amp; fast</title>" in out
    assert "<body>\n<h1>Fresh &amp; fast</h1><p>Body</p>" in out


def test_extract_html_without_html_raises():
    with pytest.raises(OutputParseError, match="contains no HTML"):
        extract_html("I am sorry, I cannot build that page.")


def test_match_label_variants():
    labels = ["Fleet route map", "Cold chain sensors"]
    assert match_label("fleet-route-map.png", labels) == "Fleet route map"
    assert match_label("images/Cold_Chain_Sensors.svg", labels) == "Cold chain sensors"
    assert match_label("FLEET ROUTE MAP", labels) == "Fleet route map"
    assert match_label("fleet route", labels) == "Fleet route map"
    assert match_label("completely different", labels) is None


def test_inline_images_replaces_labels_files_and_logo():
    html = (
        "<!DOCTYPE html><html><head><style>.h{background:url('images/fleet-route-map.png')}</style></head>"
        '<body><img src="logo.png" alt="logo"><img src="fleet_route_map.svg" alt="map">'
        '<img src="https://example.com/x.png" alt="Cold chain sensors">'
        '<img src="unknown.png" alt="zzz"></body></html>'
    )
    images = {
        "Fleet route map": "data:image/svg+xml;base64,QQ==",
        "Cold chain sensors": "data:image/png;base64,Qg==",
    }
    out = inline_images(html, images, "data:image/svg+xml;base64,TE9HTw==")
    tree = etree.HTML(out)
    srcs = [img.get("src") for img in tree.iter("img")]
    assert srcs == [
        "data:image/svg+xml;base64,TE9HTw==",
        "data:image/svg+xml;base64,QQ==",
        "data:image/png;base64,Qg==",  # matched through its alt text
        "unknown.png",
    ]
    assert 'url("data:image/svg+xml;base64,QQ==")' in out


SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("rewrite", ["inline_images", "bundle_zip"])
def test_inline_svg_survives_a_rewrite_as_html(rewrite):
    """A page with inline SVG icons (an `<svg>` with a `<use xlink:href>`) comes out as HTML writes it: lxml
    wrote `<ns0:svg xmlns:ns0=...>`, which a browser takes for an unknown element and does not draw."""
    html = (
        "<!DOCTYPE html><html><body><img src='map.png' alt='map'>"
        "<svg viewBox='0 0 10 10' xmlns:xlink='http://www.w3.org/1999/xlink'><defs><path id='i' d='M0 0h5v5z'/>"
        "</defs><use xlink:href='#i'/></svg><math><mi>x</mi></math></body></html>"
    )
    if rewrite == "inline_images":
        out = inline_images(html, {"map": "data:image/png;base64,Qg=="})
    else:
        blob = bundle_zip(html, {"map.png": ("image/png", b"B")})
        out = zipfile.ZipFile(io.BytesIO(blob)).read("index.html").decode()
    assert "ns0" not in out and "xmlns" not in out
    assert '<svg viewBox="0 0 10 10">' in out and '<use href="#i">' in out
    # Read again as a browser reads it (HTML5), the icon is SVG again and its reference holds.
    root = parse_html(out).getroot()
    svg = root.find(f".//{SVG}svg")
    assert svg is not None and svg.find(f"{SVG}use").get("href") == "#i"
    assert svg.find(f"{SVG}defs/{SVG}path") is not None
    assert root.find(".//{http://www.w3.org/1998/Math/MathML}mi") is not None


def test_bundle_zip_writes_images_and_rewrites_references():
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    html = (
        f'<!DOCTYPE html><html><body><img src="{data_uri("image/svg+xml", svg)}" alt="a">'
        '<img src="Crop Field" alt="b"></body></html>'
    )
    blob = bundle_zip(
        html, {"fleet-map.svg": ("image/svg+xml", svg), "crop-field.png": ("image/png", b"PNG")}
    )
    zf = zipfile.ZipFile(io.BytesIO(blob))
    assert sorted(zf.namelist()) == ["images/crop-field.png", "images/fleet-map.svg", "index.html"]
    index = zf.read("index.html").decode()
    assert 'src="images/fleet-map.svg"' in index and 'src="images/crop-field.png"' in index
    assert "base64" not in index
    assert zf.read("images/crop-field.png") == b"PNG"


def test_sandboxed_preview_is_sandboxed_without_same_origin():
    page = '<html><body><script>alert("x")</script><p class="a">Hi & bye</p></body></html>'
    out = sandboxed_preview(page, 390, 700)
    tree = etree.HTML(out)
    (iframe,) = tree.iter("iframe")
    assert iframe.get("sandbox") == "allow-scripts"
    assert "allow-same-origin" not in out
    assert iframe.get("srcdoc") == with_preview_policy(page)  # escaped in the attribute, intact once parsed
    assert "Content-Security-Policy" in iframe.get("srcdoc")
    assert "width:390px" in iframe.get("style") and "height:700px" in iframe.get("style")


def test_visible_text_reads_what_a_visitor_meets_in_document_order():
    html = (
        "<html><head><title>Acme</title><style>p{color:red}</style></head><body>"
        "<h1>Hello Ana</h1><p>Acme <b>Fleet</b> Services<!-- note -->, today</p>"
        '<img src="x.png" alt="A truck on a route"><input placeholder="Your email">'
        "<script>var hidden = 1;</script><noscript>Enable scripts</noscript>"
        "<template><p>Not shown</p></template></body></html>"
    )
    assert visible_text(html) == "Acme Hello Ana Acme Fleet Services , today A truck on a route Your email"
    assert visible_text(html, attributes=False) == "Acme Hello Ana Acme Fleet Services , today"


def test_visible_text_of_a_deeply_nested_page():
    html = "<div>" * 5000 + "deep" + "</div>" * 5000
    assert visible_text(html) == "deep"


_SOUP = [
    "<p>", "</p>", "<div class='a'>", "</div>", "<b>", "</b>", "<i>", "</i>", "<table>", "<tr>", "<td>",
    "</table>", "text ", "&amp;", "&nosuch;", "&lt", "<!-- c -->", "<!-- a -- b -->", "<svg viewBox='0 0 1 1'>",
    "<path d='M0'/>", "</svg>", "<math><mi>x</mi>", "</math>", "<a href=x>", "</a>", "<img src=y alt=''>",
    "<br/>", "<li>", "<ul>", "</ul>", "<select><option>1", "<template><p>t</template>", "<a'b>",
    "<p x'y=1 1z=2 a:b=3 xmlns:q=4>", "<script>if(a<b)</script>", "<style>p{}</style>", "\x00", "a\x0cb",
    "<title>t</title>", "<form><input>", "<foreignObject><p>f</p></foreignObject>", "<use xlink:href='#a'/>",
    "<!DOCTYPE html>", "</html>", "</body><!--after-->", "<frameset>", "<noscript><p>n</noscript>", "<h1>",
]  # fmt: skip


def _shape(tree: etree._ElementTree) -> list[tuple]:
    """Every node of a document, the comments around its root included, as plain values."""
    first = tree.getroot()
    while first.getprevious() is not None:
        first = first.getprevious()
    out = []
    while first is not None:
        for el in first.iter():
            is_element = isinstance(el.tag, str)
            out.append(
                (el.tag if is_element else "#comment", sorted(el.attrib.items()) if is_element else None)
            )
            out.append((el.text, el.tail if el is not first else None))
        first = first.getnext()
    return out


@pytest.mark.filterwarnings("ignore::html5lib.constants.DataLossWarning")
def test_the_parse_gives_html5libs_own_tree_and_errors():
    """The page's tree is copied from html5lib's ElementTree into lxml (faster than html5lib's lxml builder):
    on tag soup and on the labelled pages it is that builder's tree, with the same parse errors."""
    import html5lib

    rnd = random.Random(13)
    soups = ["".join(rnd.choice(_SOUP) for _ in range(rnd.randint(1, 40))) for _ in range(400)]
    pages = [p.read_text(encoding="utf-8") for p in sorted(QUALITY_PAGES.glob("*.html"))[:12]]
    assert len(pages) == 12
    for html in soups + pages:
        reference = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("lxml"), namespaceHTMLElements=False)
        expected = reference.parse(html)
        tree, errors = parse_html_with_errors(html)
        assert _shape(tree) == _shape(expected), html
        assert errors == list(reference.errors), html


def test_a_control_character_is_a_parse_error_not_a_crash():
    """html5lib's lxml builder raised on characters XML cannot hold (a vertical tab from a small model), so
    the page could not be checked at all; now each is a parse error and the tree leaves it out."""
    html = (
        "<!DOCTYPE html><html lang='en'><head><title>T</title></head><body><h1>Fast\x0b fixes</h1>"
        "<p title='a\x01b'>Same\x0cday</p><!-- x\x02 --></body></html>"
    )
    tree, errors = parse_html_with_errors(html)
    assert [code for _, code, _ in errors].count("invalid-codepoint") == 3
    root = tree.getroot()
    assert root.find(".//h1").text == "Fast fixes"
    assert root.find(".//p").get("title") == "ab" and root.find(".//p").text == "Same day"
    assert "\x0b" not in serialize_html(tree)

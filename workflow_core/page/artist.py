"""Image backends that need no image model.

`vector_svg` is the built-in offline "vector artist": a deterministic illustration of a visual element,
composed in the company palette around an icon from an open icon set (Lucide, see `page.icons`) chosen by
what the element is about, with two related icons beside it. It never prints the element's label: labels are
internal names ("hero", "Pain points to address"), not copy. `svg_from_model_text` is the "LLM writes SVG"
backend: it takes the `<svg>` out of a model's answer and strips anything that could run or load.
"""

from __future__ import annotations

import hashlib
import random
import re
from xml.sax.saxutils import escape

from lxml import etree

from workflow_core.errors import OutputParseError
from workflow_core.page.colour import DEFAULT_PALETTE, mix, palette_hex
from workflow_core.page.icons import FALLBACK_ICONS, brief, choose_icons, icon_set

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


def _icon(name: str, x: float, y: float, size: float, colour: str, width: float = 1.6) -> str:
    """Icon `name` (drawn in a 24x24 box) scaled to `size` px with its top left at (x, y)."""
    body = icon_set().by_name[name].body
    return (
        f'<g transform="translate({x:.1f} {y:.1f}) scale({size / 24:.3f})" fill="none" stroke="{colour}" '
        f'stroke-width="{width}" stroke-linecap="round" stroke-linejoin="round">{body}</g>'
    )


def _companions(main: str, label: str, description: str) -> list[str]:
    """Two icons related to the element (its next-best matches), for the small bubbles beside the card."""
    ranked = [n for n in icon_set().rank(brief(label, description), k=8) if n != main]
    related = [n for n in ranked if n.split("-")[0] != main.split("-")[0]] + ranked
    pool = related + [n for n in FALLBACK_ICONS if n != main]
    out: list[str] = []
    for name in pool:
        if name not in out:
            out.append(name)
    return out[:2]


def vector_svg(
    label: str,
    description: str,
    palette: dict[str, str],
    width: int = 800,
    height: int = 450,
    icon: str | None = None,
) -> str:
    """A deterministic illustration for a visual element: an icon that matches its label and description
    (or `icon`, a name from `page.icons`, when the caller chose one for the whole page) on a card, two related
    icons beside it, soft shapes and hills in the palette.

    The same arguments always give the same SVG; different subjects give different pictures. The label is
    never printed; the `<title>` holds the description. No scripts and no external references.
    """
    width, height = max(int(width), 120), max(int(height), 90)
    c = {k: palette_hex(palette, k) for k in DEFAULT_PALETTE}
    main = icon if icon in icon_set().by_name else choose_icons([(label, description)])[0]
    seed_text = f"{label}\n{description}\n{main}\n{sorted(c.items())}\n{width}x{height}"
    digest = hashlib.sha256(seed_text.encode("utf-8")).hexdigest()
    r = random.Random(int(digest, 16))
    uid = digest[:8]
    w, h = width, height
    unit = min(w / 800, h / 450)
    paper = mix(c["background"], "#ffffff", 0.75)
    title = " ".join(description.split())[:200]
    parts: list[str] = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img"'
        + (f' aria-labelledby="t-{uid}">' if title else ' aria-hidden="true">'),
        f'<title id="t-{uid}">{escape(title)}</title>' if title else "",
        "<defs>",
        f'<linearGradient id="bg-{uid}" x1="0" y1="0" x2="{r.choice(["1", "0.4"])}" y2="1">'
        f'<stop offset="0" stop-color="{c["background"]}"/>'
        f'<stop offset="1" stop-color="{mix(c["background"], c["primary"], 0.18)}"/></linearGradient>',
        f'<pattern id="dots-{uid}" width="{22 * unit:.1f}" height="{22 * unit:.1f}" '
        f'patternUnits="userSpaceOnUse"><circle cx="2" cy="2" r="{1.6 * unit:.1f}" fill="{c["primary"]}" '
        'opacity="0.3"/></pattern>',
        "</defs>",
        f'<rect width="{w}" height="{h}" fill="url(#bg-{uid})"/>',
    ]
    for _ in range(r.randint(3, 5)):
        colour = r.choice([c["secondary"], c["accent"], c["primary"]])
        parts.append(
            f'<circle cx="{r.uniform(0, w):.0f}" cy="{r.uniform(0, h * 0.7):.0f}" '
            f'r="{r.uniform(0.08, 0.28) * max(w, h):.0f}" fill="{colour}" opacity="{r.uniform(0.07, 0.16):.2f}"/>'
        )
    parts.append(
        f'<rect x="{r.uniform(0.03, 0.2) * w:.0f}" y="{r.uniform(0.05, 0.2) * h:.0f}" width="{w * 0.3:.0f}" '
        f'height="{h * 0.4:.0f}" fill="url(#dots-{uid})"/>'
    )
    for base, colour, opacity in (
        (0.66, c["secondary"], 0.3),
        (0.76, c["primary"], 0.45),
        (0.88, mix(c["primary"], c["text"], 0.35), 0.85),
    ):
        y0 = h * (base + r.uniform(-0.04, 0.04))
        amp = h * r.uniform(0.04, 0.09)
        c1, c2 = w * r.uniform(0.15, 0.4), w * r.uniform(0.55, 0.85)
        parts.append(
            f'<path d="M0 {y0:.0f} C {c1:.0f} {y0 - amp:.0f}, {c2:.0f} {y0 + amp:.0f}, {w} {y0 - amp / 2:.0f} '
            f'V {h} H 0 Z" fill="{colour}" opacity="{opacity}"/>'
        )
    # The card with the subject: a tinted disc, the icon's accent echo, then the icon itself.
    card = min(h * 0.74, w * 0.5)
    cx, cy = w / 2 + r.uniform(-0.08, 0.08) * w, h * 0.47
    x0, y0 = cx - card / 2, cy - card / 2
    radius = card * 0.12
    parts.append(
        f'<rect x="{x0 + card * 0.03:.0f}" y="{y0 + card * 0.04:.0f}" width="{card:.0f}" height="{card:.0f}" '
        f'rx="{radius:.0f}" fill="{c["text"]}" opacity="0.12"/>'
        f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{card:.0f}" height="{card:.0f}" rx="{radius:.0f}" '
        f'fill="{paper}"/>'
        f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{card * 0.36:.0f}" fill="{mix(paper, c["accent"], 0.3)}"/>'
    )
    size = card * 0.5
    parts.append(
        _icon(main, cx - size / 2 + card * 0.02, cy - size / 2 + card * 0.02, size, c["accent"], 2.2)
    )
    parts.append(_icon(main, cx - size / 2, cy - size / 2, size, mix(c["primary"], c["text"], 0.2), 1.8))
    # Two related subjects in bubbles on either side of the card.
    bubble = card * 0.2
    spots = ((x0 - bubble * 0.35, y0 + card * 0.28), (x0 + card + bubble * 0.35, y0 + card * 0.72))
    for name, (bx, by) in zip(_companions(main, label, description), spots, strict=False):
        parts.append(
            f'<circle cx="{bx:.0f}" cy="{by:.0f}" r="{bubble:.0f}" fill="{paper}" stroke="{c["secondary"]}" '
            f'stroke-width="{max(1.5, 3 * unit):.1f}"/>'
            + _icon(name, bx - bubble * 0.55, by - bubble * 0.55, bubble * 1.1, c["secondary"], 1.8)
        )
    for _ in range(3):
        sx, sy, s = r.uniform(0.1, 0.9) * w, r.uniform(0.08, 0.3) * h, r.uniform(5, 10) * unit
        parts.append(
            f'<path d="M{sx:.0f} {sy - s:.0f} V{sy + s:.0f} M{sx - s:.0f} {sy:.0f} H{sx + s:.0f}" '
            f'stroke="{c["accent"]}" stroke-width="{max(1.5, 3 * unit):.1f}" stroke-linecap="round"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


_SVG_BLOCK = re.compile(r"<svg\b.*?</svg\s*>", re.IGNORECASE | re.DOTALL)
_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "object", "embed", "audio", "video", "handler"}
_SAFE_HREF = re.compile(r"^\s*(#|data:image/(png|jpeg|gif|webp);)", re.IGNORECASE)
_UNSAFE_CSS = re.compile(
    r"@import[^;]*;?|url\(\s*['\"]?(?!#)[^)]*\)|expression\s*\(|javascript:", re.IGNORECASE
)


def svg_from_model_text(text: str, label: str | None = None) -> str:
    """The `<svg>...</svg>` in a model's answer, sanitised: no scripts, event handlers, foreign objects or
    external references. Adds a `<title>` with `label` when the SVG has none. Raises OutputParseError when the
    text holds no SVG or the SVG is not parseable."""
    match = _SVG_BLOCK.search(text)
    if not match:
        preview = text.strip()[:60].replace("\n", " ")
        raise OutputParseError(
            f"The image model's answer contains no <svg>...</svg> element (it starts with {preview!r}). "
            "Ask it to answer with one complete SVG document, or use the built-in vector artist."
        )
    source = match.group(0)
    opening = source[: source.find(">") + 1]
    if "xmlns=" not in opening:
        source = source.replace("<svg", f'<svg xmlns="{SVG_NS}"', 1)
    if "xlink:" in source and "xmlns:xlink" not in opening:
        source = source.replace("<svg", f'<svg xmlns:xlink="{XLINK_NS}"', 1)
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(source.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise OutputParseError(f"The model's SVG cannot be parsed ({exc}); ask for well-formed SVG.") from exc
    if root is None or etree.QName(root).localname.lower() != "svg":
        raise OutputParseError("The model's SVG cannot be parsed; ask it for one well-formed <svg> element.")
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # comments and processing instructions
            if el.getparent() is not None:
                el.getparent().remove(el)
            continue
        if etree.QName(el).localname.lower() in _FORBIDDEN_TAGS:
            el.getparent().remove(el)
            continue
        for attr in list(el.attrib):
            local = etree.QName(attr).localname.lower()
            value = el.attrib[attr]
            if (
                local.startswith("on")
                or (local == "href" and not _SAFE_HREF.match(value))
                or (local == "style" and _UNSAFE_CSS.search(value))
                or "javascript:" in value.lower()
            ):
                del el.attrib[attr]
        if etree.QName(el).localname.lower() == "style" and el.text:
            el.text = _UNSAFE_CSS.sub("", el.text)
    if label and root.find(f"{{{SVG_NS}}}title") is None:
        title = etree.Element(f"{{{SVG_NS}}}title")
        title.text = label
        root.insert(0, title)
    return etree.tostring(root, encoding="unicode")

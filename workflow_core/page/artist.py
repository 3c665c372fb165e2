"""Image backends that need no image model.

`vector_svg` is the built-in offline "vector artist": a deterministic abstract illustration composed from
a visual element's description (keywords pick geometric motifs: a truck, a route, crop rows, a sensor, a
chart, a shield, a team...), the company palette and the label as a caption. `svg_from_model_text` is the
"LLM writes SVG" backend: it takes the `<svg>` out of a model's answer and strips anything that could
run or load.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from xml.sax.saxutils import escape

from lxml import etree

from workflow_core.errors import OutputParseError
from workflow_core.page.colour import DEFAULT_PALETTE, mix, palette_hex, parse_color, readable_on

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


# ---------------------------------------------------------------- motifs: each draws in a 240x160 box at 0,0


def _truck(c: dict[str, str], r: random.Random) -> str:
    return (
        f'<rect x="10" y="40" width="140" height="80" rx="8" fill="{c["primary"]}"/>'
        f'<path d="M150 62 h40 l30 30 v28 h-70 z" fill="{c["secondary"]}"/>'
        f'<rect x="160" y="70" width="26" height="20" rx="3" fill="{c["background"]}" opacity="0.9"/>'
        f'<rect x="26" y="56" width="60" height="10" rx="5" fill="{c["background"]}" opacity="0.55"/>'
        f'<rect x="26" y="74" width="40" height="10" rx="5" fill="{c["background"]}" opacity="0.35"/>'
        + "".join(
            f'<circle cx="{x}" cy="124" r="18" fill="{c["text"]}"/>'
            f'<circle cx="{x}" cy="124" r="7" fill="{c["background"]}"/>'
            for x in (50, 120, 190)
        )
        + f'<path d="M0 148 h240" stroke="{c["text"]}" stroke-width="3" stroke-linecap="round" '
        'opacity="0.3"/>'
    )


def _pin(x: float, y: float, fill: str, hole: str) -> str:
    return (
        f'<path d="M{x} {y} c-14 -18 -18 -24 -18 -34 a18 18 0 1 1 36 0 c0 10 -4 16 -18 34z" fill="{fill}"/>'
        f'<circle cx="{x}" cy="{y - 34}" r="7" fill="{hole}"/>'
    )


def _route(c: dict[str, str], r: random.Random) -> str:
    y1, y2 = r.randint(100, 140), r.randint(40, 80)
    return (
        f'<path d="M30 {y1} C 90 {y1 - 90}, 140 {y2 + 110}, 210 {y2}" fill="none" stroke="{c["primary"]}" '
        'stroke-width="6" stroke-dasharray="14 10" stroke-linecap="round"/>'
        + _pin(30, y1 + 14, c["secondary"], c["background"])
        + _pin(210, y2 + 14, c["accent"], c["background"])
    )


def _field(c: dict[str, str], r: random.Random) -> str:
    rows = []
    for i, y in enumerate((70, 100, 130)):
        rows.append(
            f'<path d="M0 {y + 14} Q120 {y + 4} 240 {y + 14}" stroke="{c["secondary"]}" stroke-width="4" '
            f'fill="none" opacity="{0.5 + i * 0.2:.1f}"/>'
        )
        for x in range(14 + i * 6, 240, 34):
            h = r.randint(14, 24)
            rows.append(
                f'<path d="M{x} {y + 10} q-10 -{h // 2} 0 -{h} q10 {h // 2} 0 {h}z" fill="{c["secondary"]}"/>'
            )
    return f'<circle cx="200" cy="30" r="22" fill="{c["accent"]}"/>' + "".join(rows)


def _mine(c: dict[str, str], r: random.Random) -> str:
    return (
        f'<path d="M0 150 L80 30 L130 90 L160 60 L240 150 Z" fill="{c["primary"]}"/>'
        f'<path d="M80 30 L100 60 L88 58 L80 70 L70 52 Z" fill="{c["background"]}" opacity="0.8"/>'
        f'<path d="M95 150 v-30 a25 25 0 0 1 50 0 v30 z" fill="{c["text"]}"/>'
        f'<path d="M170 20 L220 70" stroke="{c["accent"]}" stroke-width="7" stroke-linecap="round"/>'
        f'<path d="M190 14 q22 2 36 22" stroke="{c["secondary"]}" stroke-width="8" fill="none" '
        'stroke-linecap="round"/>'
    )


def _sensor(c: dict[str, str], r: random.Random) -> str:
    arcs = "".join(
        f'<path d="M{120 - d} {70 - d * 0.2} a{d} {d} 0 0 1 {2 * d} 0" fill="none" stroke="{c["primary"]}" '
        f'stroke-width="6" stroke-linecap="round" opacity="{1 - i * 0.25:.2f}"/>'
        for i, d in enumerate((28, 52, 76))
    )
    return (
        arcs
        + f'<rect x="100" y="70" width="40" height="56" rx="8" fill="{c["secondary"]}"/>'
        + f'<circle cx="120" cy="90" r="7" fill="{c["accent"]}"/>'
        + f'<path d="M120 126 v24" stroke="{c["text"]}" stroke-width="5"/>'
    )


def _chart(c: dict[str, str], r: random.Random) -> str:
    heights = [r.randint(30, 120) for _ in range(5)]
    bars = "".join(
        f'<rect x="{14 + i * 46}" y="{150 - h}" width="30" height="{h}" rx="5" '
        f'fill="{c["primary"] if i % 2 == 0 else c["secondary"]}"/>'
        for i, h in enumerate(heights)
    )
    pts = [(29 + i * 46, 150 - h - 16) for i, h in enumerate(sorted(heights))]
    line = " ".join(f"{x},{y}" for x, y in pts)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="5" fill="{c["accent"]}"/>' for x, y in pts)
    return (
        bars + f'<polyline points="{line}" fill="none" stroke="{c["accent"]}" stroke-width="4" '
        'stroke-linejoin="round"/>' + dots
    )


def _shield(c: dict[str, str], r: random.Random) -> str:
    return (
        f'<path d="M120 6 L190 30 V80 C190 120 160 142 120 156 C80 142 50 120 50 80 V30 Z" '
        f'fill="{c["primary"]}"/>'
        f'<path d="M120 20 L176 40 V80 C176 112 152 130 120 142 Z" fill="{c["secondary"]}" opacity="0.45"/>'
        f'<path d="M92 80 l20 20 l38 -40" fill="none" stroke="{c["background"]}" stroke-width="12" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
    )


def _team(c: dict[str, str], r: random.Random) -> str:
    people = []
    for x, s, key in ((60, 0.85, "secondary"), (180, 0.85, "accent"), (120, 1.0, "primary")):
        head_r, y = 22 * s, 60 if s == 1.0 else 70
        people.append(
            f'<circle cx="{x}" cy="{y}" r="{head_r:.0f}" fill="{c[key]}"/>'
            f'<path d="M{x - 42 * s:.0f} {y + 90 * s:.0f} a{42 * s:.0f} {46 * s:.0f} 0 0 1 {84 * s:.0f} 0 z" '
            f'fill="{c[key]}"/>'
        )
    return "".join(people)


def _coins(c: dict[str, str], r: random.Random) -> str:
    coins = "".join(
        f'<ellipse cx="{x}" cy="{y}" rx="34" ry="11" fill="{c["accent"]}" stroke="{c["text"]}" '
        'stroke-opacity="0.25" stroke-width="2"/>'
        for x, top in ((70, 4), (150, 7))
        for y in range(140, 140 - top * 14, -14)
    )
    return coins + (
        f'<path d="M30 60 L80 40 L120 56 L200 16" fill="none" stroke="{c["secondary"]}" stroke-width="6" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
        f'<path d="M186 12 h18 v18" fill="none" stroke="{c["secondary"]}" stroke-width="6" '
        'stroke-linecap="round"/>'
    )


def _clock(c: dict[str, str], r: random.Random) -> str:
    ticks = "".join(
        f'<rect x="118" y="18" width="4" height="12" rx="2" fill="{c["text"]}" '
        f'transform="rotate({a} 120 80)"/>'
        for a in range(0, 360, 30)
    )
    return (
        f'<circle cx="120" cy="80" r="70" fill="{c["background"]}" stroke="{c["primary"]}" '
        'stroke-width="10"/>'
        + ticks
        + f'<path d="M120 80 V40 M120 80 L150 98" stroke="{c["accent"]}" stroke-width="7" '
        'stroke-linecap="round"/>'
    )


def _leaf(c: dict[str, str], r: random.Random) -> str:
    return (
        f'<path d="M40 150 C40 60 110 10 210 14 C214 110 150 150 40 150 Z" fill="{c["secondary"]}"/>'
        f'<path d="M40 150 C90 100 140 60 190 34" stroke="{c["background"]}" stroke-width="5" fill="none" '
        'stroke-linecap="round"/>'
    )


def _abstract(c: dict[str, str], r: random.Random) -> str:
    shapes = []
    for i in range(4):
        size = 110 - i * 22
        shapes.append(
            f'<rect x="{120 - size / 2:.0f}" y="{80 - size / 2:.0f}" width="{size}" height="{size}" rx="16" '
            f'fill="{(c["primary"], c["secondary"], c["accent"], c["background"])[i]}" '
            f'transform="rotate({r.randint(-30, 30) + i * 12} 120 80)" opacity="{0.95 - i * 0.1:.2f}"/>'
        )
    return "".join(shapes)


Motif = Callable[[dict[str, str], random.Random], str]
# keyword -> motif; the description's earliest keyword wins, a second one adds a smaller companion motif
MOTIFS: list[tuple[tuple[str, ...], Motif]] = [
    (("truck", "fleet", "lorry", "haul", "delivery", "vehicle", "logistic", "transport", "freight"), _truck),
    (("route", "map", "journey", "path", "navigation", "gps", "location", "dispatch"), _route),
    (("field", "crop", "farm", "harvest", "agri", "soil", "plant", "grain", "orchard"), _field),
    (("mine", "mining", "ore", "quarry", "excavat", "drill", "mountain"), _mine),
    (("sensor", "iot", "signal", "telemetry", "device", "wireless", "connect", "monitor"), _sensor),
    (("chart", "data", "analytic", "dashboard", "report", "growth", "metric", "insight", "graph"), _chart),
    (("shield", "secur", "safety", "safe", "compliance", "protect", "risk", "trust"), _shield),
    (("team", "people", "crew", "staff", "support", "customer", "community", "partner", "expert"), _team),
    (("cost", "money", "saving", "price", "budget", "fuel", "profit", "roi", "finance"), _coins),
    (("time", "clock", "fast", "speed", "schedule", "hour", "deadline", "uptime", "real-time"), _clock),
    (("leaf", "sustain", "eco", "green", "emission", "carbon", "environment", "nature"), _leaf),
]


def choose_motifs(description: str) -> list[Motif]:
    """Up to two motifs for a description, by the position of their first keyword (abstract if none)."""
    low = description.lower()
    found: list[tuple[int, Motif]] = []
    for keywords, motif in MOTIFS:
        positions = [p for k in keywords if (p := low.find(k)) != -1]
        if positions:
            found.append((min(positions), motif))
    found.sort(key=lambda t: t[0])
    return [m for _, m in found[:2]] or [_abstract]


def vector_svg(
    label: str, description: str, palette: dict[str, str], width: int = 800, height: int = 450
) -> str:
    """A deterministic abstract SVG illustration for a visual element.

    The same (label, description, palette, size) always gives the same SVG; different descriptions give
    visibly different pictures (motifs chosen by keywords, shapes seeded by a hash). It has a `<title>` with
    the label, a caption, no scripts and no external references.
    """
    width, height = max(int(width), 160), max(int(height), 90)
    c = {k: palette_hex(palette, k) for k in DEFAULT_PALETTE}
    seed_text = f"{label}\n{description}\n{sorted(c.items())}\n{width}x{height}"
    r = random.Random(int(hashlib.sha256(seed_text.encode("utf-8")).hexdigest(), 16))
    w, h = width, height
    uid = hashlib.sha256(seed_text.encode("utf-8")).hexdigest()[:8]
    bg_top, bg_bottom = c["background"], mix(c["background"], c["primary"], 0.16)
    parts: list[str] = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-labelledby="t-{uid}">',
        f'<title id="t-{uid}">{escape(label)}</title>',
        "<defs>",
        f'<linearGradient id="bg-{uid}" x1="0" y1="0" x2="{r.choice(["1", "0.4"])}" y2="1">'
        f'<stop offset="0" stop-color="{bg_top}"/><stop offset="1" stop-color="{bg_bottom}"/>'
        "</linearGradient>",
        f'<pattern id="dots-{uid}" width="22" height="22" patternUnits="userSpaceOnUse">'
        f'<circle cx="2" cy="2" r="1.6" fill="{c["primary"]}" opacity="0.35"/></pattern>',
        "</defs>",
        f'<rect width="{w}" height="{h}" fill="url(#bg-{uid})"/>',
    ]
    # soft background circles
    for _ in range(r.randint(3, 5)):
        colour = r.choice([c["secondary"], c["accent"], c["primary"]])
        parts.append(
            f'<circle cx="{r.uniform(0, w):.0f}" cy="{r.uniform(0, h * 0.7):.0f}" '
            f'r="{r.uniform(0.08, 0.3) * w:.0f}" fill="{colour}" opacity="{r.uniform(0.08, 0.2):.2f}"/>'
        )
    # a dotted grid panel
    gx, gy = r.uniform(0.02, 0.25) * w, r.uniform(0.05, 0.2) * h
    parts.append(
        f'<rect x="{gx:.0f}" y="{gy:.0f}" width="{w * 0.32:.0f}" height="{h * 0.42:.0f}" '
        f'fill="url(#dots-{uid})"/>'
    )
    # layered hills
    layers = [
        (0.62, c["secondary"], 0.35),
        (0.72, c["primary"], 0.55),
        (0.84, mix(c["primary"], c["text"], 0.35), 0.9),
    ]
    for base, colour, opacity in layers:
        y0 = h * (base + r.uniform(-0.04, 0.04))
        amp = h * r.uniform(0.04, 0.1)
        c1, c2 = w * r.uniform(0.15, 0.4), w * r.uniform(0.55, 0.85)
        parts.append(
            f'<path d="M0 {y0:.0f} C {c1:.0f} {y0 - amp:.0f}, {c2:.0f} {y0 + amp:.0f}, '
            f'{w} {y0 - amp / 2:.0f} V {h} H 0 Z" fill="{colour}" opacity="{opacity}"/>'
        )
    # motifs on a card
    motifs = choose_motifs(f"{label} {description}")
    scale = min(w / 800, h / 450) * 1.1
    card_w, card_h, radius = 300 * scale, 210 * scale, 22 * scale
    cx = w * r.uniform(0.46, 0.54)
    cy = h * 0.1
    parts.append(
        f'<rect x="{cx + 8:.0f}" y="{cy + 10:.0f}" width="{card_w:.0f}" height="{card_h:.0f}" '
        f'rx="{radius:.0f}" fill="{c["text"]}" opacity="0.12"/>'
        f'<rect x="{cx:.0f}" y="{cy:.0f}" width="{card_w:.0f}" height="{card_h:.0f}" rx="{radius:.0f}" '
        f'fill="{mix(c["background"], "#ffffff", 0.7)}"/>'
        f'<g transform="translate({cx + 30 * scale:.1f} {cy + 25 * scale:.1f}) scale({scale:.3f})">'
        f"{motifs[0](c, r)}</g>"
    )
    if len(motifs) > 1:
        small = scale * 0.55
        bx, by = cx - 10 * scale, cy + card_h * 0.78
        parts.append(
            f'<circle cx="{bx:.0f}" cy="{by:.0f}" r="{80 * small:.0f}" '
            f'fill="{mix(c["background"], "#ffffff", 0.8)}" stroke="{c["accent"]}" stroke-width="3"/>'
            f'<g transform="translate({bx - 96 * small:.1f} {by - 64 * small:.1f}) '
            f'scale({small * 0.8:.3f})">{motifs[1](c, r)}</g>'
        )
    # caption
    font = max(14, round(h * 0.045))
    caption = label if len(label) <= 48 else label[:47] + "…"
    cap_w = min(w * 0.9, font * 0.6 * len(caption) + font * 2)
    cap_bg = c["text"] if parse_color(c["text"]) else "#14181f"
    cap_fg = readable_on(cap_bg, ["#ffffff", c["background"]])
    parts.append(
        f'<rect x="{font:.0f}" y="{h - font * 3:.0f}" width="{cap_w:.0f}" height="{font * 2:.0f}" '
        f'rx="{font:.0f}" fill="{cap_bg}" opacity="0.88"/>'
        f'<text x="{font * 2:.0f}" y="{h - font * 1.65:.0f}" font-family="{FONT_STACK}" font-size="{font}" '
        f'font-weight="600" fill="{cap_fg}">{escape(caption)}</text>'
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

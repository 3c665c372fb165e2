"""Colour maths shared by the design system, the artist and the quality checks: CSS colour parsing, mixing,
WCAG 2 contrast, and the one default palette used wherever a scenario gives none."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

AA_NORMAL = 4.5
AA_LARGE = 3.0

# Used wherever a scenario has no palette (or a palette lacks a colour).
DEFAULT_PALETTE: dict[str, str] = {
    "primary": "#1f5fbf",
    "secondary": "#0f9d76",
    "accent": "#f2a516",
    "background": "#ffffff",
    "text": "#14181f",
}

NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "orange": (255, 165, 0),
    "purple": (128, 0, 128),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "lightgray": (211, 211, 211),
    "lightgrey": (211, 211, 211),
    "darkgray": (169, 169, 169),
    "darkgrey": (169, 169, 169),
    "silver": (192, 192, 192),
    "navy": (0, 0, 128),
    "teal": (0, 128, 128),
    "maroon": (128, 0, 0),
    "olive": (128, 128, 0),
    "lime": (0, 255, 0),
    "aqua": (0, 255, 255),
    "cyan": (0, 255, 255),
    "fuchsia": (255, 0, 255),
    "magenta": (255, 0, 255),
    "pink": (255, 192, 203),
    "brown": (165, 42, 42),
    "gold": (255, 215, 0),
    "beige": (245, 245, 220),
    "whitesmoke": (245, 245, 245),
    "ivory": (255, 255, 240),
}
COLOR_TOKEN = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|rgba?\([^)]*\)|\b(?:" + "|".join(NAMED_COLORS) + r"|transparent)\b",
    re.IGNORECASE,
)

RGBA = tuple[float, float, float, float]


def parse_color_rgba(value: str) -> RGBA | None:
    """(r, g, b, alpha) of a CSS colour: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba(), basic names."""
    v = value.strip().lower()
    if v == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    if v in NAMED_COLORS:
        r, g, b = NAMED_COLORS[v]
        return (r, g, b, 1.0)
    if v.startswith("#"):
        h = v[1:]
        if len(h) in (3, 4) and all(c in "0123456789abcdef" for c in h):
            h = "".join(c * 2 for c in h)
        if len(h) in (6, 8) and all(c in "0123456789abcdef" for c in h):
            alpha = int(h[6:8], 16) / 255 if len(h) == 8 else 1.0
            return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha)
        return None
    m = re.fullmatch(r"rgba?\(([^)]*)\)", v)
    if m:
        parts = [p for p in re.split(r"[\s,/]+", m.group(1).strip()) if p]
        if len(parts) not in (3, 4):
            return None
        try:
            rgb = [float(p[:-1]) * 2.55 if p.endswith("%") else float(p) for p in parts[:3]]
            alpha = 1.0
            if len(parts) == 4:
                alpha = float(parts[3][:-1]) / 100 if parts[3].endswith("%") else float(parts[3])
        except ValueError:
            return None
        red, green, blue = (max(0.0, min(255.0, c)) for c in rgb)
        return (red, green, blue, max(0.0, min(1.0, alpha)))
    return None


def parse_color(value: str) -> tuple[int, int, int] | None:
    """(r, g, b) of a CSS colour, ignoring alpha; None when it is not a colour we understand."""
    rgba = parse_color_rgba(value)
    return None if rgba is None else (round(rgba[0]), round(rgba[1]), round(rgba[2]))


def to_hex(rgb: tuple[float, float, float]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(max(0, min(255, c))) for c in rgb))


def palette_hex(palette: Mapping[str, Any], key: str, default: str | None = None) -> str:
    """`palette[key]` as #rrggbb; when it is missing or not a colour, `default`, else the DEFAULT_PALETTE
    colour of `key`."""
    rgb = parse_color(str(palette.get(key) or ""))
    if rgb is not None:
        return to_hex(rgb)
    return default if default is not None else DEFAULT_PALETTE[key]


def _blend(top: RGBA, under: tuple[float, float, float]) -> tuple[float, float, float]:
    a = top[3]
    return (top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a))


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two CSS colours; a translucent colour is blended over what is below
    it (the background over white). Raises ValueError for a value that is not a colour."""
    fg_rgba, bg_rgba = parse_color_rgba(fg), parse_color_rgba(bg)
    if fg_rgba is None or bg_rgba is None:
        raise ValueError(f"not a CSS colour: {fg if fg_rgba is None else bg!r}")
    bg_rgb = _blend(bg_rgba, (255, 255, 255))
    fg_rgb = _blend(fg_rgba, bg_rgb)
    lighter, darker = sorted((relative_luminance(fg_rgb), relative_luminance(bg_rgb)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(bg: str, preferred: Iterable[str] = (), minimum: float = AA_NORMAL) -> str:
    """A text colour readable on `bg`: the first preferred one reaching `minimum`, else black or white."""
    for colour in preferred:
        if parse_color(colour) is not None and contrast_ratio(colour, bg) >= minimum:
            return colour
    dark, light = "#111418", "#ffffff"
    return dark if contrast_ratio(dark, bg) >= contrast_ratio(light, bg) else light


def ensure_contrast(fg: str, bg: str, minimum: float = AA_NORMAL) -> str:
    """`fg`, darkened or lightened just enough to reach `minimum` contrast against `bg` (as hex)."""
    rgb = parse_color(fg)
    if rgb is None:
        return readable_on(bg, minimum=minimum)
    if contrast_ratio(fg, bg) >= minimum:
        return to_hex(rgb)
    bg_rgb = parse_color(bg) or (255, 255, 255)
    target = (0.0, 0.0, 0.0) if relative_luminance(bg_rgb) > 0.18 else (255.0, 255.0, 255.0)
    for step in range(1, 21):
        t = step / 20
        mixed = to_hex(tuple(c + (tc - c) * t for c, tc in zip(rgb, target, strict=True)))  # type: ignore[arg-type]
        if contrast_ratio(mixed, bg) >= minimum:
            return mixed
    return readable_on(bg, minimum=minimum)


def mix(a: str, b: str, t: float) -> str:
    """The colour a fraction `t` of the way from `a` to `b` (as hex); a value that is not a colour counts as black."""
    ra, rb = parse_color(a) or (0, 0, 0), parse_color(b) or (0, 0, 0)
    return to_hex(tuple(x + (y - x) * t for x, y in zip(ra, rb, strict=True)))  # type: ignore[arg-type]

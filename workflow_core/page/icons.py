"""The open icon set the vector artist draws from: Lucide (ISC/MIT), as shipped on PyPI by `python-lucide`,
whose wheel holds every icon's SVG with its tags and categories in one SQLite file. Icons are chosen for a
visual element by BM25 (bm25s) over their names, tags and categories."""

from __future__ import annotations

import importlib.util
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
from lxml import etree

from workflow_core.errors import DecomposeError
from workflow_core.page.words import content_words, light_stem

# Words every image brief uses that say nothing about what the picture shows.
_BRIEF_WORDS = frozenset(
    [
        "hero",
        "image",
        "images",
        "picture",
        "pictures",
        "illustration",
        "illustrations",
        "photo",
        "photos",
        "photograph",
        "icon",
        "icons",
        "visual",
        "visuals",
        "graphic",
        "graphics",
        "banner",
        "background",
        "showing",
        "shown",
        "depicting",
        "depicts",
        "scene",
        "element",
        "label",
        "view",
        "shot",
        "style",
        "flat",
        "simple",
        "modern",
        "colour",
        "colours",
        "color",
        "colors",
        "bright",
        "soft",
        "warm",
        "close",
        "closeup",
        "wide",
        "section",
        "sections",
        "point",
        "points",
        "address",
        "pain",
        "top",
        "bottom",
        "left",
        "right",
        "centre",
        "center",
    ]
)
# Icons that read as interface furniture, not as a subject.
_UI_CATEGORIES = frozenset(
    {"arrows", "cursors", "layout", "text", "math", "development", "shapes", "design", "photography"}
)
# Drawn when nothing in a brief matches an icon: pleasant, neutral subjects.
FALLBACK_ICONS = ("sparkles", "leaf", "compass", "sun", "rocket", "mountain", "award", "flower-2")
_NAME_WEIGHT = 3
# Subjects a brief names that the icons' own tags miss, mapped to icon-name words (a query expansion).
SYNONYMS: dict[str, str] = {
    "bread": "wheat croissant",
    "bakery": "croissant cake",
    "baker": "croissant",
    "pastry": "croissant",
    "sourdough": "wheat",
    "loaf": "wheat",
    "field": "wheat sprout",
    "crop": "wheat sprout",
    "farm": "tractor wheat",
    "paddock": "fence tractor",
    "irrigation": "droplets",
    "sensor": "radio gauge",
    "telemetry": "radio activity",
    "dust": "wind",
    "mine": "pickaxe",
    "mining": "pickaxe",
    "pit": "pickaxe",
    "pump": "droplets gauge",
    "substation": "zap",
    "transformer": "zap",
    "power": "zap",
    "electricity": "zap plug",
    "yoga": "person-standing",
    "stretch": "person-standing",
    "fitness": "dumbbell",
    "gym": "dumbbell",
    "fleet": "truck",
    "haul": "truck",
    "repair": "wrench",
    "mechanic": "wrench",
    "workshop": "wrench",
    "dashboard": "gauge",
    "growth": "trending-up",
    "saving": "piggy-bank",
    "cost": "coins",
    "team": "users",
    "customer": "users",
    "support": "headset",
    "delivery": "truck package",
    "cold": "snowflake thermometer",
    "temperature": "thermometer",
    "safety": "shield-check",
    "compliance": "badge-check",
    "uptime": "timer",
    "alert": "bell-ring",
    "leak": "droplets",
    "water": "droplets",
    "silo": "warehouse",
    "tank": "fuel",
    "cycling": "bike",
    "cyclist": "bike",
    "ride": "bike",
    "rider": "bike",
    "wheel": "bike",
    "meditation": "flower-2",
    "calm": "leaf",
    "class": "users",
    "studio": "house",
    "shop": "store",
}


@dataclass(frozen=True)
class Icon:
    name: str
    body: str  # the SVG's inner elements, drawn in a 24x24 box with stroke="currentColor"
    terms: tuple[str, ...]


def _database() -> Path:
    spec = importlib.util.find_spec("lucide")
    origin = Path(spec.origin) if spec and spec.origin else None
    path = origin.parent / "data" / "lucide-icons.db" if origin else None
    if path is None or not path.is_file():
        raise DecomposeError(
            "the vector artist's icon set is missing: install it with `pip install python-lucide==0.5.11` "
            "(or reinstall decompose-studio)."
        )
    return path


def _inner_svg(svg: str) -> str:
    root = etree.fromstring(svg.encode("utf-8"))
    return "".join(etree.tostring(child, encoding="unicode").strip() for child in root)


def terms(text: str) -> list[str]:
    """The stemmed subject words of a brief or an icon's metadata."""
    return [light_stem(w) for w in content_words(text.replace("-", " ")) if w not in _BRIEF_WORDS]


class IconSet:
    """Every usable Lucide icon with a BM25 index over its name (weighted), tags and categories."""

    def __init__(self, path: Path) -> None:
        uri = f"file:{path}?mode=ro"
        with sqlite3.connect(uri, uri=True) as db:
            rows = db.execute("SELECT name, svg FROM icons ORDER BY name").fetchall()
            tags: dict[str, list[str]] = {}
            for name, tag in db.execute("SELECT name, tag FROM icon_tags"):
                tags.setdefault(name, []).append(tag)
            cats: dict[str, list[str]] = {}
            for name, cat in db.execute("SELECT name, category FROM icon_categories"):
                cats.setdefault(name, []).append(cat)
        self.icons: list[Icon] = []
        for name, svg in rows:
            categories = cats.get(name, [])
            if name.endswith("-off") or (categories and set(categories) <= _UI_CATEGORIES):
                continue
            words = (
                terms(name) * _NAME_WEIGHT + terms(" ".join(tags.get(name, []))) + terms(" ".join(categories))
            )
            self.icons.append(Icon(name=name, body=_inner_svg(svg), terms=tuple(words)))
        self.by_name = {icon.name: icon for icon in self.icons}
        self._bm25 = bm25s.BM25()
        self._bm25.index([list(icon.terms) or [""] for icon in self.icons], show_progress=False)
        # Ranking scores every icon (a few ms); pages ask for the same pictures again and again (the same
        # offerings for every visitor of a batch), so rankings are remembered.
        self._ranked = lru_cache(maxsize=4096)(self._rank)

    def rank(self, text: str, k: int = 8) -> list[str]:
        """The names of up to `k` icons that match `text`, best first (ties by name); [] when none does. The
        first subject words count double (a brief names its subject first) and `SYNONYMS`, curated hints, count double."""
        return list(self._ranked(text, k))

    def _rank(self, text: str, k: int) -> tuple[str, ...]:
        found = terms(text)
        if not found:
            return ()
        query = found[:2] + found + [t for w in found if w in SYNONYMS for t in terms(SYNONYMS[w])] * 2
        scores = [float(x) for x in self._bm25.get_scores(query)]
        # An icon named exactly for a subject the brief names beats its rarer-named variants ("calendar" over
        # "lamp-wall-up" for "a wall calendar"): BM25 alone favours rare words.
        bonus = max(scores) * 0.6
        named = set(found)
        for i, icon in enumerate(self.icons):
            if light_stem(icon.name) in named:
                scores[i] += bonus
        order = sorted(range(len(self.icons)), key=lambda i: (-scores[i], self.icons[i].name))
        return tuple(self.icons[i].name for i in order[:k] if scores[i] > 0)


_LOCK = threading.Lock()
_ICON_SET: IconSet | None = None


def icon_set() -> IconSet:
    """The icon set, loaded and indexed once per process."""
    global _ICON_SET
    with _LOCK:
        if _ICON_SET is None:
            _ICON_SET = IconSet(_database())
        return _ICON_SET


def brief(label: str, description: str) -> str:
    """The text an element's icon is matched on: the label counts twice (it names the subject)."""
    return f"{label} {label} {description}"


def choose_icons(elements: list[tuple[str, str]], seed: int = 0) -> list[str]:
    """One icon name per (label, description), in order, each the best match not already taken by an
    earlier element, so different elements on one page look different. An element that matches nothing gets
    a neutral icon picked by `seed` and its position."""
    icons = icon_set()
    taken: set[str] = set()
    out: list[str] = []
    for n, (label, description) in enumerate(elements):
        ranked = icons.rank(brief(label, description), k=12)
        pool = ranked or [
            FALLBACK_ICONS[(seed + n + i) % len(FALLBACK_ICONS)] for i in range(len(FALLBACK_ICONS))
        ]
        name = next((x for x in pool if x not in taken), pool[0])
        taken.add(name)
        out.append(name)
    return out

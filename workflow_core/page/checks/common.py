"""What every check works with: the page parsed once, one scored check with its findings, and the ways a
finding names an element or a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow_core.page.css import CssRule, parse_css_rules
from workflow_core.page.html5 import parse_html_with_errors
from workflow_core.page.site import visible_text_of
from workflow_core.records import QAFinding


@dataclass
class LoadedPage:
    """A page parsed once for all checks: its root element, its visible text and the rules of its style
    sheets."""

    root: Any
    text: str
    rules: list[CssRule] = field(default_factory=list)
    parse_errors: list[Any] = field(default_factory=list)  # html5lib's ((line, col), code, data)


def load_page(html: str) -> LoadedPage:
    tree, errors = parse_html_with_errors(html)
    root = tree.getroot()
    rules: list[CssRule] = []
    for style in root.iter("style"):
        rules.extend(parse_css_rules(style.text or ""))
    return LoadedPage(root=root, text=visible_text_of(root), rules=rules, parse_errors=errors)


@dataclass
class Check:
    """One check of a category: a score in [0, 1], its weight, and its findings."""

    name: str
    category: str
    weight: float = 1.0
    findings: list[QAFinding] = field(default_factory=list)
    score: float = 1.0

    def _record(self, passed: bool, message: str) -> None:
        check = f"{self.category}.{self.name}"
        self.findings.append(
            QAFinding(check=check, axis=self.category, passed=passed, message=message, weight=self.weight)
        )

    def ok(self, message: str) -> None:
        self._record(True, message)

    def fail(self, message: str) -> None:
        self._record(False, message)


def text_of(el: Any) -> str:
    """All the text inside an element, whitespace collapsed."""
    return " ".join("".join(el.itertext()).split())


def describe(el: Any) -> str:
    """An element as a selector a reader can find: tag#id.class."""
    bits = [el.tag]
    if el.get("id"):
        bits.append(f"#{el.get('id')}")
    if el.get("class"):
        bits.append("." + ".".join(el.get("class").split()))
    return "".join(bits)


def short(value: str, limit: int = 60) -> str:
    """A value cut to fit a message (a data: URI to its header)."""
    value = value.strip()
    if value.startswith("data:"):
        return value[: min(limit, value.find(",") + 1 if "," in value else limit)] + "…"
    return value if len(value) <= limit else value[: limit - 1] + "…"

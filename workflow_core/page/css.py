"""Enough of CSS to check a generated page: flat style rules and declarations, custom properties resolved,
the background and font size a rule sets, and the `url()` references a stylesheet makes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from workflow_core.page.colour import COLOR_TOKEN

# A CSS url() reference; group 2 is the address without its quotes.
CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)", re.IGNORECASE)


@dataclass
class CssRule:
    """One selector of a style rule and the declarations it sets."""

    selector: str
    declarations: dict[str, str]


def _strip_css_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)


def parse_css_rules(css: str) -> list[CssRule]:
    """Flat style rules of a stylesheet (rules inside @media/@supports included, other at-rules skipped).
    The caller may change what it gets: each call returns fresh rules, though a stylesheet seen before (the
    design system's, on every page) is parsed only once."""
    return [CssRule(r.selector, dict(r.declarations)) for r in _parsed_rules(css)]


@lru_cache(maxsize=64)
def _parsed_rules(css: str) -> tuple[CssRule, ...]:
    return tuple(_parse_rules(_strip_css_comments(css)))


_BRACE = re.compile(r"[{}]")
_NESTING_AT_RULE = re.compile(r"@(media|supports|layer|container)\b")


def _parse_rules(css: str) -> list[CssRule]:
    rules: list[CssRule] = []
    i, n = 0, len(css)
    while i < n:
        brace = css.find("{", i)
        if brace == -1:
            break
        prelude = css[i:brace].strip()
        depth, j = 1, brace + 1
        for m in _BRACE.finditer(css, brace + 1):
            depth += 1 if m.group() == "{" else -1
            if depth == 0:
                j = m.end()
                break
        else:
            j = n + 1  # unclosed: the block runs to the end
        body = css[brace + 1 : j - 1]
        # a stray ';'-terminated at-rule (@import, @charset) may sit in front of the prelude
        prelude = prelude.rsplit(";", 1)[-1].strip()
        if prelude.startswith("@"):
            if _NESTING_AT_RULE.match(prelude):
                rules.extend(_parse_rules(body))
        elif prelude:
            decls = parse_declarations(body)
            for selector in prelude.split(","):
                rules.append(CssRule(" ".join(selector.split()), dict(decls)))
        i = j
    return rules


def parse_declarations(body: str) -> dict[str, str]:
    """Property -> value of a declaration block or a style attribute (names lower-cased, `!important` dropped)."""
    decls: dict[str, str] = {}
    for part in re.split(r";(?![^(]*\))", body):
        if ":" not in part:
            continue
        name, value = part.split(":", 1)
        value = re.sub(r"\s*!important\s*$", "", value.strip(), flags=re.IGNORECASE)
        if name.strip():
            decls[name.strip().lower()] = value
    return decls


def resolve_vars(value: str, variables: dict[str, str], depth: int = 0) -> str:
    """`value` with every `var(--name, fallback)` replaced by the variable's value (or the fallback)."""
    if "var(" not in value or depth > 8:
        return value

    def sub(m: re.Match[str]) -> str:
        name, fallback = m.group(1).strip(), (m.group(2) or "").strip()
        return variables.get(name, fallback)

    return resolve_vars(re.sub(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*))?\)", sub, value), variables, depth + 1)


def merged_rules(rules: list[CssRule]) -> dict[str, dict[str, str]]:
    """Selector -> its declarations, later rules overriding earlier ones, custom properties resolved."""
    merged: dict[str, dict[str, str]] = {}
    variables: dict[str, str] = {}
    for rule in rules:
        merged.setdefault(rule.selector, {}).update(rule.declarations)
        for k, v in rule.declarations.items():
            if k.startswith("--"):
                variables[k] = v
    for _ in range(3):  # variables may name variables
        variables = {k: resolve_vars(v, variables) for k, v in variables.items()}
    return {
        sel: {k: resolve_vars(v, variables) for k, v in decls.items() if not k.startswith("--")}
        for sel, decls in merged.items()
    }


def background_colour(decls: dict[str, str]) -> str | None:
    """The background colour a rule sets; for a gradient, its stops joined by '|'; None for none or an image."""
    for key in ("background-color", "background"):
        value = decls.get(key)
        if not value:
            continue
        if "url(" in value and key == "background":
            return None  # an image behind the text: its contrast cannot be computed from the CSS
        tokens = COLOR_TOKEN.findall(value)
        if "gradient" in value:
            # judge text against the stop it contrasts least with; the caller picks the worst
            return "|".join(tokens) if tokens else None
        if tokens:
            return tokens[-1] if key == "background" else tokens[0]
    return None


def font_size_px(decls: dict[str, str]) -> float | None:
    """The font size a rule sets in px (rem and em taken as 16 px); None when it sets none we can read."""
    m = re.match(r"([\d.]+)(px|rem|em)", decls.get("font-size", ""))
    if not m:
        return None
    return float(m.group(1)) * (16 if m.group(2) in ("rem", "em") else 1)

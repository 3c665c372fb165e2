"""What a page may carry when it reaches a visitor: model-written HTML made safe by construction, the
Content-Security-Policy and headers it is served with, and a list of what an unsafe page tried to do.

A generated page is untrusted. Before it is served (`decompose serve`), written (`decompose batch`,
`decompose run --out`) or bundled (site.zip), `sanitise` rebuilds it from what the allow-list keeps:
- **kept**: the elements and attributes our pages use (sections, headings, text, lists, images, the contact
  form, inline SVG, `<style>` and `style=`), `data:image/…` pictures, links to `#`, `http(s):`, `mailto:`
  and `tel:`, a form posting to one of `PagePolicy.form_actions` (the seller's own address);
- **dropped**: every `<script>` but the design system's own (allowed by hash), event handlers (`onclick=`),
  `javascript:` and other schemes, `<iframe>`, `<object>`, `<embed>`, `<base>`, `<meta http-equiv>`, external
  pictures, style sheets and fonts (`url(https://…)`, `@import`), forms posting anywhere else.
The sanitiser is nh3 (the Rust `ammonia` crate): an HTML5 parser and an allow-list, not a pattern list.

`hazards` names what a page carries that `sanitise` drops for safety (the integrity axis reports each
as a blocking finding), and `PagePolicy.headers` are the headers every served response carries: a strict
policy (no script but the design system's, pictures only from `data:`, no connection anywhere, forms only
to the seller's address, no framing unless configured), `nosniff` and no referrer.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import nh3

from workflow_core.interrupts import deferred

# The design system's one script (the testimonial slider's buttons), the only script a page may run.
SLIDER_JS = resources.files("workflow_core.page").joinpath("design/slider.js").read_text(encoding="utf-8")


def script_hash(text: str) -> str:
    """A CSP hash source for an inline script's exact text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


ALLOWED_SCRIPTS = frozenset({SLIDER_JS})


def _allowed_script(text: str, allowed: frozenset[str]) -> str | None:
    """The allowed script `text` is (whatever white space surrounds it), or None."""
    stripped = text.strip()
    return next((s for s in allowed if s.strip() == stripped), None)


_SVG = {
    "svg", "g", "path", "circle", "ellipse", "rect", "line", "polyline", "polygon", "text", "tspan",
    "defs", "lineargradient", "radialgradient", "stop", "clippath", "use", "symbol", "desc",
}  # fmt: skip
_TAGS = (
    set(nh3.ALLOWED_TAGS)
    | {"main", "section", "header", "footer", "nav", "article", "aside", "address", "picture"}
    | {"form", "fieldset", "legend", "label", "input", "textarea", "button", "select", "option"}
    | {"style", "title", "meta"}
    | _SVG
) - {"area", "map"}
_SVG_ATTRIBUTES = {
    "viewBox", "width", "height", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
    "stroke-dasharray", "fill-rule", "clip-rule", "opacity", "fill-opacity", "stroke-opacity", "d", "cx",
    "cy", "r", "rx", "ry", "x", "y", "x1", "y1", "x2", "y2", "points", "transform", "offset", "stop-color",
    "stop-opacity", "preserveAspectRatio", "xmlns", "focusable", "gradientUnits", "gradientTransform",
    "clip-path", "font-size", "font-weight", "text-anchor", "dominant-baseline", "href",
}  # fmt: skip
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "style", "role", "title", "lang", "dir", "hidden", "tabindex"},
    "a": {"href", "target", "hreflang", "download"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "form": {"action", "method", "enctype", "autocomplete", "novalidate"},
    "label": {"for"},
    "input": {"type", "name", "value", "placeholder", "required", "autocomplete", "checked", "disabled",
              "maxlength", "minlength", "pattern", "min", "max", "step", "inputmode", "size", "readonly"},
    "textarea": {"name", "rows", "cols", "placeholder", "required", "maxlength", "autocomplete", "readonly"},
    "button": {"type", "name", "value", "disabled"},
    "select": {"name", "required", "multiple", "autocomplete"},
    "option": {"value", "selected", "label"},
    "fieldset": {"disabled"},
    "meta": {"name", "content", "charset"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    **{tag: set(_SVG_ATTRIBUTES) for tag in _SVG},
}  # fmt: skip
# Elements removed with their content: their text was never meant to be read.
_CLEAN_CONTENT = {
    "script",
    "template",
    "noscript",
    "iframe",
    "object",
    "embed",
    "frame",
    "frameset",
    "applet",
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "data"}
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.IGNORECASE)
_CSS_OLD_SCRIPT = re.compile(r"\bexpression\s*\(|-moz-binding|(?<![\w-])behavior\s*:", re.IGNORECASE)
_HEAD_PARTS = re.compile(r"<title>.*?</title>|<meta name=\"description\" content=\"[^\"]*\">|<style>.*?</style>",
                         re.DOTALL)  # fmt: skip
_OTHER_META = re.compile(r"<meta\b[^>]*>")
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)", re.IGNORECASE)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _local_url(value: str) -> bool:
    return value.startswith("#") or value.lower().startswith("data:image/")


def clean_css(css: str) -> str:
    """`css` that loads nothing: `@import` gone, every `url(…)` but a `data:image` or `#fragment` one
    replaced by `none`, and old script hooks (`expression(`, `-moz-binding`, `behavior:`) defused."""
    css = _CSS_IMPORT.sub("", css)
    css = _CSS_URL.sub(lambda m: m.group(0) if _local_url(m.group(2).strip()) else "none", css)
    return _CSS_OLD_SCRIPT.sub("x-removed(", css)


@dataclass(frozen=True)
class PagePolicy:
    """Where a served page may send a visitor's form (`form_actions`: exact targets, e.g. the seller's
    `mailto:` address or a configured endpoint) and who may frame it (`frame_ancestors`, a CSP source list)."""

    form_actions: tuple[str, ...] = ()
    frame_ancestors: str = "'none'"
    scripts: frozenset[str] = field(default=ALLOWED_SCRIPTS)
    # Where pictures may come from: inlined only, for a served page; a site bundle's own files beside it.
    image_sources: str = "data:"

    @classmethod
    def for_company(cls, company: dict[str, Any], *, form_action: str | None = None,
                    frame_ancestors: str = "'none'") -> PagePolicy:  # fmt: skip
        """The policy for a scenario's company: its contact form may post to its own e-mail address (as the
        design system writes it) and to `form_action` when one is configured."""
        contact = company.get("contact") if isinstance(company.get("contact"), dict) else {}
        email = str(company.get("email") or (contact or {}).get("email") or "").strip()
        actions = ([f"mailto:{email}"] if email else []) + ([form_action] if form_action else [])
        return cls(form_actions=tuple(actions), frame_ancestors=frame_ancestors)

    def csp(self, *, in_page: bool = False) -> str:
        """The policy as a header; `in_page` for a `<meta>`, which does not honour `frame-ancestors`."""
        scripts = " ".join(sorted(script_hash(s) for s in self.scripts)) or "'none'"
        actions = sorted({_csp_source(a) for a in self.form_actions}) or ["'none'"]
        return (
            f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src {self.image_sources}; "
            f"font-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; "
            f"form-action {' '.join(actions)}"
            + ("" if in_page else f"; frame-ancestors {self.frame_ancestors}")
        )

    def headers(self) -> dict[str, str]:
        """The headers a served page (and every other response of the server) carries."""
        return {
            "Content-Security-Policy": self.csp(),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY" if self.frame_ancestors == "'none'" else "SAMEORIGIN",
        }


def _csp_source(action: str) -> str:
    """A CSP source for a form target: `mailto:` for any address (the sanitiser keeps only the exact one),
    else the URL's origin and path."""
    return (
        "mailto:" if action.lower().startswith("mailto:") else action.replace(";", "%3B").replace(" ", "%20")
    )


@cache
def _cleaner(form_actions: tuple[str, ...]) -> nh3.Cleaner:
    allowed_actions = set(form_actions)

    def attribute(tag: str, name: str, value: str) -> str | None:
        value = value.strip()
        if name == "style":
            return clean_css(value)
        if name == "src":
            return value if value.lower().startswith("data:image/") else None
        if name == "href":
            if tag in _SVG:
                return value if value.startswith("#") else None
            return None if value.lower().startswith("data:") else value
        if name == "action":
            return value if value in allowed_actions else None
        if tag == "meta" and name == "charset":
            return None
        return value

    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_CLEAN_CONTENT,
        attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
        generic_attribute_prefixes={"aria-", "data-"},
        attribute_filter=attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitise(html: str, policy: PagePolicy | None = None) -> str:
    """`html` rebuilt from what the allow-list keeps, as a whole document that carries `policy`'s CSP."""
    policy = policy or PagePolicy()
    with deferred():  # a Ctrl-C inside nh3's attribute callback would be printed and dropped
        body = _cleaner(policy.form_actions).clean(html)
    head: list[str] = []

    def to_head(match: re.Match[str]) -> str:
        part = match.group(0)
        if part.startswith("<style>"):
            part = f"<style>{clean_css(part[7:-8])}</style>"
        head.append(part)
        return ""

    body = _OTHER_META.sub("", _HEAD_PARTS.sub(to_head, body)).strip()
    kept_scripts = [
        s for s in (_allowed_script(t, policy.scripts) for t in _INLINE_SCRIPT.findall(html)) if s is not None
    ]
    lang = _LANG.search(html[:4096])
    csp = policy.csp(in_page=True)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang.group(1) if lang else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + body
        + "".join(f"\n<script>{s}</script>" for s in dict.fromkeys(kept_scripts))
        + "\n</body>\n</html>\n"
    )


def _local(tag: Any) -> str:
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1].lower()


_URL_ATTRIBUTES = (
    "href",
    "src",
    "action",
    "formaction",
    "srcset",
    "poster",
    "data",
    "background",
    "xlink:href",
)
_DANGEROUS_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data:(?!image/))", re.IGNORECASE)
_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _short(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


_CSP = "content-security-policy"


def hazards(root: Any, policy: PagePolicy | None = None) -> list[str]:
    """What the page under `root` (an lxml element) carries that could run, load or send something in a
    visitor's browser: scripts (but the design system's own), event handlers, `javascript:` and other
    script URLs, frames and plug-ins, external pictures, style sheets and fonts, forms posting anywhere
    but `policy.form_actions`, a `<base>` or a `<meta http-equiv>` other than a Content-Security-Policy. One
    line per kind and element."""
    policy = policy or PagePolicy()
    found: list[str] = []
    for el in root.iter():
        tag = _local(el.tag)
        if not tag:
            continue
        if tag == "script":
            src = el.get("src")
            if src:
                found.append(f"a script loaded from {_short(src)}")
            elif _allowed_script(el.text or "", policy.scripts) is None:
                found.append(f"an inline script: {_short(el.text or '')}")
        elif tag in {"iframe", "frame", "object", "embed", "applet"}:
            found.append(f"an <{tag}> {_short(el.get('src') or el.get('data') or '')}".rstrip())
        elif tag == "base":
            found.append(f"a <base href> ({_short(el.get('href') or '')})")
        elif tag == "meta" and (el.get("http-equiv") or "").strip().lower() not in {"", _CSP}:
            # A Content-Security-Policy only takes permissions away (a <meta> one cannot even report), and
            # every page `sanitise` writes carries one: a page exported by compare or batch must check clean.
            found.append(f'a <meta http-equiv="{el.get("http-equiv")}">')
        elif tag == "link" and _EXTERNAL.match(el.get("href") or ""):
            found.append(f"a linked {el.get('rel') or 'resource'} from {_short(el.get('href') or '')}")
        elif tag == "style":
            found.extend(_css_hazards(el.text or "", "a style sheet"))
        for name, value in el.attrib.items():
            name = _local(name)
            if name.startswith("on"):
                found.append(f"an {name}= handler on <{tag}>: {_short(value, 40)}")
            elif name == "style":
                found.extend(_css_hazards(value, f"the style of <{tag}>"))
            elif name in _URL_ATTRIBUTES or name.endswith(":href"):
                found.extend(_url_hazards(tag, name, value, policy))
    return found


def _url_hazards(tag: str, name: str, value: str, policy: PagePolicy) -> list[str]:
    if _DANGEROUS_SCHEME.match(value):
        scheme = value.strip().split(":", 1)[0].lower()
        return [f"a {scheme}: URL in <{tag} {name}>: {_short(value, 40)}"]
    if tag == "form" and name == "action":
        offsite = _EXTERNAL.match(value) and value.strip() not in policy.form_actions
        return [f"a form that posts off the site, to {_short(value)}"] if offsite else []
    if name == "formaction":
        return [f"a button that posts the form to {_short(value)}"]
    loads = name in {"src", "srcset", "poster", "data", "background"} or (
        tag in _SVG and name.endswith("href")
    )
    if loads and _EXTERNAL.match(value) and not value.strip().lower().startswith("data:image/"):
        return [f"an external resource in <{tag} {name}>: {_short(value)}"]
    return []


def _css_hazards(css: str, where: str) -> list[str]:
    found = [f"{where} imports {_short(m.group(0))}" for m in _CSS_IMPORT.finditer(css)]
    found += [
        f"{where} loads {_short(m.group(2))}"
        for m in _CSS_URL.finditer(css)
        if _EXTERNAL.match(m.group(2).strip()) and not _local_url(m.group(2).strip())
    ]
    if _CSS_OLD_SCRIPT.search(css):
        found.append(f"{where} has a script hook ({_short(_CSS_OLD_SCRIPT.search(css).group(0))})")  # type: ignore[union-attr]
    return found

"""Turn a model's page output into a usable site: pull the HTML out, inline generated images, bundle a ZIP,
and wrap a page for a sandboxed preview.

Generated pages are untrusted: the preview runs them in an iframe with `sandbox="allow-scripts"` and without
`allow-same-origin`, so a page's script cannot reach the app.
"""

from __future__ import annotations

import base64
import difflib
import html as html_lib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from lxml import etree

from workflow_core.errors import OutputParseError
from workflow_core.page.css import CSS_URL
from workflow_core.page.html5 import DOCTYPE, parse_html, serialize_html
from workflow_core.page.words import slugify

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_DOC_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_DOC_END = re.compile(r"</html\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"<(?:html|head|body|header|nav|main|section|article|aside|footer|div|span|h[1-6]|p|ul|ol|li|a|img|"
    r"button|form|input|label|style|script|table|figure|blockquote|meta|title|link|svg)\b[^>]*>",
    re.IGNORECASE,
)
_IMAGE_EXT = re.compile(r"\.(svg|png|jpe?g|gif|webp|avif)$", re.IGNORECASE)
# Elements whose content a visitor never reads, and attributes whose text a visitor (or a screen reader) does.
_UNREAD_ELEMENTS = frozenset({"script", "style", "template", "noscript"})
_READ_ATTRIBUTES = ("alt", "aria-label", "title", "placeholder")


def data_uri(mime: str, data: str | bytes) -> str:
    """A base64 `data:` URI; text is encoded as UTF-8."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def decode_data_uri(uri: str) -> tuple[str, bytes] | None:
    """(mime, bytes) of a `data:` URI, or None when it is not one."""
    if not uri.startswith("data:") or "," not in uri:
        return None
    head, payload = uri[5:].split(",", 1)
    parts = head.split(";")
    mime = parts[0] or "text/plain"
    try:
        data = base64.b64decode(payload) if "base64" in parts[1:] else unquote(payload).encode("utf-8")
    except ValueError:
        return None
    return mime, data


def reference_slug(ref: str) -> str:
    """The slug a src/href names: its last path part without query and image extension."""
    path = urlsplit(ref.strip()).path if "://" in ref else ref.split("?", 1)[0].split("#", 1)[0]
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    return slugify(_IMAGE_EXT.sub("", name))


def match_label(ref: str, labels: Iterable[str]) -> str | None:
    """The label a reference means: exact slug, then containment, then the closest slug; else None.

    `ref` may be a label ("Fleet map"), a filename ("fleet-map.png"), or a path ("images/fleet_map.svg").
    """
    labels = list(labels)
    if not labels:
        return None
    target = reference_slug(ref)
    by_slug = {slugify(label): label for label in labels}
    if target in by_slug:
        return by_slug[target]
    contained = [s for s in by_slug if len(s) >= 3 and (s in target or target in s)]
    if contained:
        return by_slug[max(contained, key=len)]
    close = difflib.get_close_matches(target, list(by_slug), n=1, cutoff=0.6)
    return by_slug[close[0]] if close else None


def _wrap_fragment(fragment: str) -> str:
    title_match = re.search(r"<h1[^>]*>(.*?)</h1>", fragment, re.IGNORECASE | re.DOTALL)
    title = re.sub(r"<[^>]+>", "", title_match.group(1)).strip() if title_match else "Page"
    return (
        f'{DOCTYPE}\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_lib.escape(html_lib.unescape(title))}</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n"
    )


def extract_html(text: str) -> str:
    """The HTML document in a model's output.

    Takes the contents of a ```html fence when there is one, drops chatter before `<!DOCTYPE`/`<html>`
    and after `</html>`, and wraps a bare fragment into a complete document. Raises OutputParseError when
    there is no HTML at all.
    """
    candidates = [body for lang, body in _FENCE.findall(text) if lang.lower() in {"html", "htm", ""}]
    source = next((c for c in candidates if _HTML_TAG.search(c)), text)
    start = _DOC_START.search(source)
    if start:
        doc = source[start.start() :]
        end = _DOC_END.search(doc)
        doc = doc[: end.end()] if end else doc
        if not doc.lower().startswith("<!doctype"):
            doc = f"{DOCTYPE}\n{doc}"
        return doc.strip() + "\n"
    first = _HTML_TAG.search(source)
    if not first:
        preview = text.strip()[:80].replace("\n", " ")
        raise OutputParseError(
            f"The model's output contains no HTML (it starts with: {preview!r}). Ask the front-end node "
            "for a complete HTML document, or switch its output format to 'page_spec'."
        )
    fragment = source[first.start() : source.rfind(">") + 1]
    return _wrap_fragment(fragment)


@lru_cache(maxsize=512)
def visible_text(html: str, *, attributes: bool = True) -> str:
    """The text a visitor meets on a page, in document order (see `visible_text_of`). Cached: the lab reads
    the same pages again on every what-if re-pricing, and parsing one costs milliseconds."""
    return visible_text_of(parse_html(html).getroot(), attributes=attributes)


def visible_text_of(root: etree._Element, *, attributes: bool = True) -> str:
    """The text under an element in document order, whitespace collapsed: element text and, unless
    `attributes` is False, the text of alt, aria-label, title and placeholder attributes (what a screen reader
    or a form also says); nothing inside script, style, template or noscript."""
    read_attributes = _READ_ATTRIBUTES if attributes else ()
    parts: list[str] = []
    # Depth first with an explicit stack (a generated page may nest deeper than Python recursion allows);
    # a child's tail is pushed under it, so it comes out after the child's own text.
    stack: list[etree._Element | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        if not isinstance(item.tag, str) or item.tag in _UNREAD_ELEMENTS:
            continue
        parts.extend(value for attr in read_attributes if (value := item.get(attr)))
        if item.text:
            parts.append(item.text)
        for child in reversed(item):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)
    return " ".join(" ".join(parts).split())


def _replace_css_urls(css: str, lookup: Callable[[str], str | None]) -> str:
    def sub(m: re.Match[str]) -> str:
        new = lookup(m.group(2))
        return f'url("{new}")' if new else m.group(0)

    return CSS_URL.sub(sub, css)


def _rewrite_references(
    tree: etree._ElementTree, lookup: Callable[[str], str | None], *, try_alt: bool
) -> None:
    """Point every `<img src>` and CSS `url()` that `lookup` resolves at its new target, in place."""
    for img in tree.iter("img"):
        src = img.get("src") or ""
        new = lookup(src)
        if new is None and try_alt and not src.startswith("data:") and img.get("alt"):
            new = lookup(img.get("alt") or "")
        if new:
            img.set("src", new)
            img.attrib.pop("srcset", None)
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        style = el.get("style")
        if style and "url(" in style:
            el.set("style", _replace_css_urls(style, lookup))
        if el.tag == "style" and el.text and "url(" in el.text:
            el.text = _replace_css_urls(el.text, lookup)


def inline_images(html: str, images: dict[str, str], logo_data_uri: str | None = None) -> str:
    """Replace image references with data URIs.

    `images` maps a visual element's label to its data URI. An `<img src>` (or CSS `url()`) that names a
    label, a "label.svg"/"label.png" file, "images/<label>..." or the logo is replaced; data URIs and
    unmatched external references are left alone. When an `<img>`'s src does not match, its alt is tried.
    """
    tree = parse_html(html)

    def lookup(ref: str) -> str | None:
        if not ref or ref.startswith("data:"):
            return None
        slug = reference_slug(ref)
        if logo_data_uri and (slug == "logo" or slug.startswith("logo-") or slug.endswith("-logo")):
            return logo_data_uri
        label = match_label(ref, images)
        return images[label] if label else None

    _rewrite_references(tree, lookup, try_alt=True)
    return serialize_html(tree)


_EXT_BY_MIME = {
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def image_filename(label: str, mime: str) -> str:
    """The file name an image gets in a bundle: the slug of its label plus the extension of its type."""
    return f"{slugify(label)}.{_EXT_BY_MIME.get(mime, 'bin')}"


def bundle_zip(html: str, images: dict[str, tuple[str, bytes]]) -> bytes:
    """A ZIP with `index.html` and `images/<filename>` for each image (filename -> (mime, bytes)).

    Image references in the page (data URIs with the same bytes, labels, filenames, "images/..." paths) are
    rewritten to `images/<filename>`, so the unpacked folder works offline. Other data URIs stay inline.
    """
    by_bytes = {data: name for name, (_, data) in images.items()}
    stems = {_IMAGE_EXT.sub("", name): name for name in images}

    def lookup(ref: str) -> str | None:
        decoded = decode_data_uri(ref)
        if decoded is not None:
            name = by_bytes.get(decoded[1])
        else:
            stem = match_label(ref, stems) if ref and "://" not in ref else None
            name = stems[stem] if stem else None
        return f"images/{name}" if name else None

    tree = parse_html(html)
    _rewrite_references(tree, lookup, try_alt=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.html", serialize_html(tree))
        for name, (_, data) in sorted(images.items()):
            zf.writestr(f"images/{name}", data)
    return buffer.getvalue()


# The preview's page may run its own scripts and use inline styles and data: images, but reach no network:
# no fetch, no image, font or frame from anywhere, no form posts.
PREVIEW_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "font-src data:; media-src data:; connect-src 'none'; frame-src 'none'; form-action 'none'; "
    "base-uri 'none'"
)
_HEAD_OPEN = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_HTML_OPEN = re.compile(r"<html\b[^>]*>", re.IGNORECASE)


def with_preview_policy(html: str) -> str:
    """`html` with PREVIEW_POLICY as the first thing in its head (a policy set by a meta tag covers only what
    comes after it)."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{PREVIEW_POLICY}">'
    head = _HEAD_OPEN.search(html)
    if head:
        return html[: head.end()] + meta + html[head.end() :]
    opening = _HTML_OPEN.search(html)
    if opening:
        return html[: opening.end()] + f"<head>{meta}</head>" + html[opening.end() :]
    return f"{DOCTYPE}<html><head>{meta}</head><body>{html}</body></html>"


# Inside the untrusted page: tell the wrapper how tall the page is, so the preview can fit it. It can only
# post a number to its parent (which any page script can do anyway); the wrapper checks the sender and clamps.
_REPORT_HEIGHT = (
    "<script>(function(){function h(){var d=document.documentElement,b=document.body;"
    "parent.postMessage({previewHeight:Math.max(d.scrollHeight,b?b.scrollHeight:0)},'*');}"
    "addEventListener('load',function(){h();setTimeout(h,400);setTimeout(h,1500);"
    "if(window.ResizeObserver){var o=new ResizeObserver(h);o.observe(document.documentElement);"
    "if(document.body)o.observe(document.body);}});"
    "})();</script>"
)


def sandboxed_preview(
    html: str, width: int, height: int, *, fit_height: int | None = None, phone_below: int | None = None
) -> str:
    """A small HTML document that shows `html` in an `<iframe sandbox="allow-scripts">` of the given size.

    There is deliberately no `allow-same-origin`: the page's scripts run, but in an opaque origin that cannot
    read the app's cookies, storage or DOM; and the page carries PREVIEW_POLICY, so it cannot reach the
    network either (no beacon, no fetch, no tracking pixel).

    With `fit_height`, the frame takes the page's own height once the page reports it (up to `fit_height`
    pixels, scrolling inside beyond that), so a short page leaves no empty band and a long one is seen whole.

    With `phone_below`, in a window narrower than that many pixels (the app's window, or the screen where the
    app cannot be read) the page is laid out at the frame's own width, unscaled, and scrolls inside the frame:
    a 1280 px layout scaled into a phone's column is an unreadable thumbnail.
    """
    html = with_preview_policy(html)
    if fit_height is not None:
        html = _with_height_report(html)
    width, height = max(int(width), 1), max(int(height), 1)
    most = max(int(fit_height or height), 1)
    # The page is laid out at the requested width (a desktop page at 1280 px) and scaled down to fit the
    # space the preview gets, so a narrow column shows the desktop layout, not a squeezed one. This script
    # belongs to the wrapper; the untrusted page stays inside the sandboxed frame.
    fit = (
        "<script>(function(){var f=document.getElementById('fit'),fr=f.firstElementChild,"
        f"box=document.getElementById('box'),W={width},H={height},MOST={most},PHONE={int(phone_below or 0)};"
        "function phone(){if(!PHONE)return false;var w;try{w=window.top.innerWidth}catch(e){w=screen.width}"
        "return w<PHONE;}"
        "function go(){var d=document.documentElement,p=phone();"
        "d.style.overflowY=p?'scroll':'';d.style.overflowX=p?'hidden':'';"
        "var cw=d.clientWidth,w=p?cw:W,s=p?1:Math.min(1,cw/W);"
        "f.style.width=w+'px';fr.style.width=w+'px';"
        "f.style.transform='scale('+s+')';"
        # A transform does not shrink the layout box: the clipping box takes the scaled height, so the
        # document (which Streamlit measures to size the frame) is as tall as what shows.
        "box.style.height=Math.ceil(H*s)+'px';}"
        "addEventListener('message',function(e){if(e.source!==fr.contentWindow||!e.data)return;"
        "var h=Number(e.data.previewHeight);if(!(h>0))return;"
        "H=Math.max(120,Math.min(MOST,Math.ceil(h)));f.style.height=H+'px';fr.style.height=H+'px';go();});"
        "go();addEventListener('resize',go);})();</script>"
    )
    return (
        f'{DOCTYPE}\n<html lang="en"><head><meta charset="utf-8"><title>Preview</title>'
        "<style>html,body{margin:0;padding:0;background:#f1f3f5;overflow:hidden}"
        "#fit{transform-origin:0 0;margin:0 auto}"
        "iframe{display:block;border:0;background:#fff}</style></head><body>"
        f'<div id="box" style="overflow:hidden"><div id="fit" style="width:{width}px;height:{height}px">'
        f'<iframe title="Generated page preview" sandbox="allow-scripts" width="{width}" height="{height}" '
        f'style="width:{width}px;height:{height}px" srcdoc="{html_lib.escape(html, quote=True)}"></iframe>'
        f"</div></div>{fit}</body></html>\n"
    )


def _with_height_report(html: str) -> str:
    """`html` with _REPORT_HEIGHT right after the preview policy (the policy allows inline scripts)."""
    marker = PREVIEW_POLICY + '">'
    at = html.find(marker)
    return html[: at + len(marker)] + _REPORT_HEIGHT + html[at + len(marker) :] if at >= 0 else html

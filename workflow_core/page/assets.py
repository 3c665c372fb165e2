"""A page's images after assembly: draw what nobody drew, and bundle a finished run as a ZIP."""

from __future__ import annotations

import dataclasses
import re

from lxml import etree

from workflow_core.page.artist import vector_svg
from workflow_core.page.html5 import parse_html, serialize_html
from workflow_core.page.icons import choose_icons
from workflow_core.page.safety import PagePolicy, sanitise
from workflow_core.page.site import (
    bundle_zip,
    data_uri,
    decode_data_uri,
    image_filename,
    reference_slug,
)
from workflow_core.records import RunRecord

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\ssrc\s*=\s*["']?\s*(data:|https?:|//)?""", re.IGNORECASE)
_OTHER_IMAGE_TAG = re.compile(r"<image\b", re.IGNORECASE)  # HTML5 parsers read <image> as <img>


def _nothing_missing(html: str) -> bool:
    """True only when every image tag in the page's text plainly has one data:, http(s): or // source, so the
    page cannot need filling and the full HTML5 parse (the slow part of assembly) can be skipped. Anything
    unusual (an <image> tag, a tag with no or two sources, a `>` inside an attribute) answers False, and the
    parse decides."""
    if _OTHER_IMAGE_TAG.search(html):
        return False
    for tag in _IMG_TAG.findall(html):
        sources = _SRC.findall(tag)
        if len(sources) != 1 or not sources[0]:
            return False
    return True


def _images(html: str) -> tuple[etree._ElementTree, list[etree._Element]]:
    tree = parse_html(html)
    return tree, list(tree.iter("img"))


def fill_missing_images(html: str, palette: dict[str, str]) -> str:
    """Give every `<img>` that points at a local file nobody produced the built-in vector artist's drawing of
    its alt text, so a page never shows a broken image. Remote (http) and data: images are left as they are."""
    if _nothing_missing(html):
        return html
    tree, imgs = _images(html)
    missing = []
    for img in imgs:
        src = (img.get("src") or "").strip()
        if src.startswith(("data:", "http://", "https://", "//")):
            continue
        label = reference_slug(src) or "image"
        missing.append((img, label, img.get("alt") or label.replace("-", " ")))
    if not missing:
        return html
    # Chosen together, so two missing images on one page get different subjects.
    icons = choose_icons([(label, description) for _, label, description in missing])
    for (img, label, description), icon in zip(missing, icons, strict=True):
        img.set("src", data_uri("image/svg+xml", vector_svg(label, description, palette, icon=icon)))
        if not img.get("alt"):
            img.set("alt", description)
    return serialize_html(tree)


def run_zip(run: RunRecord, policy: PagePolicy | None = None) -> bytes:
    """The run's page, sanitised for `policy` (`page.safety`: no policy lets its form post nowhere), as a
    ZIP: index.html plus images/ holding every inlined image as a file."""
    policy = dataclasses.replace(policy or PagePolicy(), image_sources="'self' data:")  # images/ beside it
    html = sanitise(run.page_html or "", policy)
    _, imgs = _images(html)
    files: dict[str, tuple[str, bytes]] = {}
    for n, img in enumerate(imgs):
        decoded = decode_data_uri(img.get("src") or "")
        if decoded is None:
            continue
        mime, data = decoded
        name = image_filename(img.get("alt") or f"image-{n}", mime)
        if name in files and files[name][1] != data:
            name = image_filename(f"{img.get('alt') or 'image'}-{n}", mime)
        files[name] = (mime, data)
    return bundle_zip(html, files)

"""HTML5 in and out: a page parsed as a browser parses it (html5lib, into an lxml tree, with its parse errors),
and an lxml tree written back as HTML."""

from __future__ import annotations

import re
import warnings
from typing import Any
from xml.etree import ElementTree

import html5lib
from html5lib._ihatexml import InfosetFilter
from html5lib.constants import DataLossWarning
from lxml import etree

DOCTYPE = "<!DOCTYPE html>"
XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/"


def parse_html(html: str) -> etree._ElementTree:
    return parse_html_with_errors(html)[0]


def parse_html_with_errors(html: str) -> tuple[etree._ElementTree, list[Any]]:
    """The page's tree and its HTML5 parse errors ((line, col), code, data), from one parse.

    html5lib builds the tree in the standard library's ElementTree, which is written in C, and it is copied
    into lxml, whose tree the checks work on (`getparent`, ...): on our 27 KB pages that is 7.7 ms against
    9.6 for html5lib's own lxml builder, which wraps every element and attribute in Python. The tree and
    the errors are the same; names that are not XML names are coerced as that builder coerces them."""
    parser = html5lib.HTMLParser(tree=_ELEMENT_TREE, namespaceHTMLElements=False)
    document = parser.parse(html)
    return _lxml_tree(document), list(parser.errors)


_ELEMENT_TREE = html5lib.getTreeBuilder("etree", ElementTree, fullTree=True)
_XML_NAMES = InfosetFilter(preventDoubleDashComments=True)  # what html5lib's lxml builder coerces
# It warns on each coercion ("Coercing non-XML name"): in a page worker that reached the user's terminal as
# noise about their page, which the structure check already reports as parse errors.
warnings.filterwarnings("ignore", category=DataLossWarning)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _lxml_tree(document: ElementTree.Element) -> etree._ElementTree:
    """An lxml copy of html5lib's ElementTree document: its `<html>` element, with the comments around it
    (the doctype is not kept: `serialize_html` writes its own)."""
    top = [node for node in document if node.tag != "<!DOCTYPE>"]
    at = next(i for i, node in enumerate(top) if node.tag == "html")
    root = _lxml_copy(top[at])
    for node in top[:at]:
        root.addprevious(_lxml_comment(node.text))
    for node in reversed(top[at + 1 :]):
        root.addnext(_lxml_comment(node.text))
    return etree.ElementTree(root)


def _lxml_copy(source: ElementTree.Element) -> etree._Element:
    root = etree.Element(source.tag)
    stack = [(source, root)]  # depth first without recursion: a page may nest deeper than Python recurses
    while stack:
        src, dst = stack.pop()
        for name, value in src.attrib.items():
            try:
                dst.set(name, value)
            except ValueError:
                dst.set(_XML_NAMES.coerceAttribute(name), _xml_text(value))
        try:
            dst.text = src.text
        except ValueError:
            dst.text = _xml_text(src.text)
        for child in src:
            node: etree._Element
            if child.tag is ElementTree.Comment:
                node = _lxml_comment(child.text)
                dst.append(node)
            else:
                try:
                    node = etree.SubElement(dst, child.tag)
                except ValueError:
                    node = etree.SubElement(dst, _xml_name(child.tag))
                stack.append((child, node))
            try:
                node.tail = child.tail
            except ValueError:
                node.tail = _xml_text(child.tail)
    return root


def _xml_text(text: str | None) -> str | None:
    """`text` without the characters XML cannot hold (C0 controls other than tab and line breaks, lone
    surrogates, U+FFFE and U+FFFF; a form feed, which HTML reads as a space, becomes one). A browser draws
    none of them, and the structure check counts each as a parse error; the tree drops them (html5lib's lxml
    builder raised on them, and the page went unchecked)."""
    return _NOT_XML.sub("", text.replace("\x0c", " ")) if text else text  # a form feed is a space in HTML


def _xml_name(tag: str) -> str:
    namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    name = _XML_NAMES.coerceElement(local)
    return f"{{{namespace}}}{name}" if namespace else name


def _lxml_comment(text: str | None) -> etree._Element:
    try:
        return etree.Comment(text)
    except ValueError:  # "--" inside, "-" at the end, or a character XML cannot hold
        return etree.Comment(_XML_NAMES.coerceComment(_xml_text(text) or ""))


def serialize_html(tree: etree._ElementTree) -> str:
    """The page as HTML. Inline SVG and MathML are written as HTML writes them (`<svg>`, `href`), which
    means renaming them in `tree`: the parse gives them XML namespaces, and lxml would write those as
    prefixes (`<ns0:svg xmlns:ns0=...>`) that a browser reads as unknown elements and does not draw."""
    _html_names(tree.getroot())
    return etree.tostring(tree, method="html", encoding="unicode", doctype=DOCTYPE) + "\n"


def _html_names(root: etree._Element) -> None:
    """Drop the XML namespaces of foreign elements (SVG, MathML) and their attributes, in place: in HTML a
    browser puts `<svg>` and what is inside it in the SVG namespace by itself. `xlink:href` becomes `href`
    (SVG 2, which every current browser reads) and namespace declarations go."""
    renamed = False
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.startswith("{"):
            el.tag, renamed = el.tag.split("}", 1)[1], True
        for name in [n for n in el.attrib if n.startswith("{")]:
            value, renamed = el.attrib.pop(name), True
            namespace, local = name[1:].split("}", 1)
            if namespace != XMLNS_NAMESPACE and local not in el.attrib:
                el.set(local, value)
    if renamed:
        etree.cleanup_namespaces(root)

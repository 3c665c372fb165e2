"""The page's text as the text axes read it: blocks (a heading, a paragraph, a list item, a button...) in
document order, each with the sentences it holds and where it sits (footer, navigation, quote), built once per
page from the parsed tree that `page.checks.common.load_page` made."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workflow_core.page.copy import sentences as split_sentences
from workflow_core.page.words import folded
from workflow_core.records import QAFinding

# Elements whose text runs on inside the block around them; every other element starts a block of its own.
_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "br",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "font",
        "i",
        "img",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "wbr",
        "label",
    ]
)
_UNREAD = frozenset({"script", "style", "template", "noscript", "head", "svg", "select", "option"})
# Landmarks and roles that change what a block may say (a footer's copyright year, a testimonial's quote).
_PLACES = {"footer": "footer", "nav": "nav", "blockquote": "quote", "figure": "figure", "form": "form"}

_NOT_COPY = frozenset({"nav", "footer", "form"})  # what a reader does not read as copy
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’%$£€.,-]*")


@dataclass
class Block:
    """One run of text a reader sees as a unit: `tag` is the block element it sits in (h1, p, li, button, a
    for a link on its own, title), `places` the landmarks around it (footer, nav, quote, figure, form)."""

    tag: str
    text: str
    places: frozenset[str] = frozenset()
    sentences: list[str] = field(default_factory=list)

    @property
    def is_heading(self) -> bool:
        return self.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "title")


@dataclass
class PageText:
    """The page's blocks in document order, and the `href`s of its links (mailto:, tel:, http...)."""

    blocks: list[Block]
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, the link's text)

    @property
    def sentences(self) -> list[tuple[Block, str]]:
        return [(b, s) for b in self.blocks for s in b.sentences]


def _in_running_text(el: Any) -> bool:
    """Whether an inline element sits inside words of its parent (a link in a sentence) rather than standing
    alone (a button-like link, a form label), which reads as a block of its own."""
    parent = el.getparent()
    if parent is None:
        return False
    return bool((parent.text or "").strip()) or any((c.tail or "").strip() for c in parent)


def page_text(root: Any) -> PageText:
    """The blocks of the page under `root` (an lxml element, e.g. `LoadedPage.root`)."""
    blocks: list[Block] = []
    links: list[tuple[str, str]] = []
    buffer: list[str] = []
    current: list[tuple[str, frozenset[str]]] = [("body", frozenset())]

    def flush() -> None:
        text = " ".join(" ".join(buffer).split())
        buffer.clear()
        if text:
            tag, places = current[-1]
            blocks.append(Block(tag, text, places, split_sentences(text)))

    title = root.find(".//title")
    if title is not None and (title.text or "").strip():
        text = " ".join(title.text.split())
        blocks.append(Block("title", text, frozenset(), [text]))
    # An explicit stack (a generated page may nest deeper than recursion allows); ("end", el) closes a block.
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            buffer.append(item)
            continue
        if isinstance(item, tuple):
            flush()
            current.pop()
            continue
        tag = item.tag if isinstance(item.tag, str) else ""
        if tag.startswith("{"):  # SVG and MathML come namespaced from the HTML5 parse
            tag = tag.rsplit("}", 1)[1]
        # Decoration hidden from assistive technology (a card's number, an avatar's initials) claims nothing.
        if not tag or tag in _UNREAD or item.get("aria-hidden") == "true":
            continue
        if tag == "a" and item.get("href"):
            links.append((item.get("href"), " ".join("".join(item.itertext()).split())))
        if tag not in _INLINE or (tag in ("a", "label", "cite") and not _in_running_text(item)):
            flush()
            places = current[-1][1] | ({_PLACES[tag]} if tag in _PLACES else set())
            current.append((tag, frozenset(places)))
            stack.append(("end", item))
        for child in reversed(item):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)
        if item.text:
            stack.append(item.text)
    flush()
    return PageText(blocks, links)


_WORD_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def words_of(text: str) -> list[str]:
    """The lower-case words of `text`, accents folded, an apostrophe kept inside a word ("it's", "Dana's")."""
    return _WORD_TOKEN.findall(folded(text))


def tokens_of(text: str) -> list[str]:
    """`words_of` with a possessive's 's dropped ("Whitfield's" is "whitfield"): names compare as names."""
    return [re.sub(r"['’]s$", "", w) for w in words_of(text)]


def normalised(text: str) -> str:
    """`text` as its `tokens_of`, one space apart: two texts that say the same words compare equal."""
    return " ".join(tokens_of(text))


def copy_blocks(page: PageText) -> list[Block]:
    """The blocks a reader reads as the page's copy: not the title, navigation, forms or footer."""
    return [b for b in page.blocks if b.tag != "title" and not (b.places & _NOT_COPY)]


def quote(text: str, limit: int = 200) -> str:
    """A page's text cut to fit a finding's evidence."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finding(
    axis: str, check: str, passed: bool, message: str, evidence: str = "", weight: float = 1.0
) -> QAFinding:
    return QAFinding(
        check=f"{axis}.{check}",
        axis=axis,
        passed=passed,
        message=message,
        evidence=quote(evidence) if evidence else "",
        weight=weight,
    )


def score_of_penalties(findings: list[QAFinding], per_weight: float = 0.25) -> float:
    """An axis whose every failure is a defect a visitor meets: each failing finding takes `per_weight` times
    its weight off 1.0 (floor 0), so one invented figure (weight 1) scores 0.75 however many claims the page
    also makes, and four sink the axis."""
    lost = sum(f.weight for f in findings if not f.passed) * per_weight
    return round(max(0.0, 1.0 - lost), 4)

"""Scenario files as people write them: lists whose numbering skips or repeats and whose items wrap onto
several lines, and testimonials written as quoted paragraphs or lines with an attribution when there is one
("— Jane Doe, COO, Acme")."""

from __future__ import annotations

import re

from workflow_core.page.words import slugify
from workflow_core.scenario.model import Testimonial

# A list item: `-`, `*`, `+`, `•`, `1.`, `1)`, `(1)`, `a)` or `Step 1:`; the numbers themselves do not matter.
_ITEM = re.compile(
    r"^\s*(?:[-*+•·▪]|\(?\d{1,3}[.):]|\(?[a-z][.)]|step\s+\d{1,3}\s*[.:)\-–—]?)\s+(?P<text>\S.*)$",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s*(?:#{1,6}\s|[=\-_*]{3,}\s*$)")
_INDENTED = re.compile(r"^(?:\s{2,}|\t)\S")


def parse_list_items(text: str) -> list[str]:
    """The items of a bulleted or numbered list, each on one line (an item's indented or unbroken
    continuation lines join it). Headings and the prose around the list are left out. Without any list, every
    non-empty line that is not a heading is an item (headings too when there is nothing else)."""
    items: list[str] = []
    open_item = False
    for line in text.splitlines():
        if not line.strip():
            open_item = False
            continue
        if _HEADING.match(line):
            open_item = False
            continue
        match = _ITEM.match(line)
        if match:
            items.append(" ".join(match.group("text").split()))
            open_item = True
        elif items and (open_item or _INDENTED.match(line)):
            items[-1] = f"{items[-1]} {' '.join(line.split())}"
            open_item = True
    if items:
        return items
    plain = [ln.strip() for ln in text.splitlines() if ln.strip() and not _HEADING.match(ln)]
    return plain or [ln.lstrip("#").strip() for ln in text.splitlines() if ln.lstrip("#").strip()]


def parse_design_steps(text: str) -> list[str]:
    """The steps of design_steps.md/.txt: its list items (see `parse_list_items`)."""
    return parse_list_items(text)


_QUOTES = "\"“”„«»‘’'"
_OPEN_QUOTE = "\"“„«‘'"
# `"quote" — Jane Doe, COO` on one line (also with a hyphen or a tilde before the name).
_INLINE = re.compile(r"^(?P<quote>[\"“„«].*[\"”»])\s*(?:[—–~]|--?)\s*(?P<attribution>\S.*)$")
# `Best coffee in town. — Sam, Leeds` (an unquoted line needs a real dash before a short attribution).
_INLINE_DASH = re.compile(r"^(?P<quote>\S.*?\S)\s+[—–]\s+(?P<attribution>[A-ZÀ-Þ][^—–]*)$")
_DASH_ATTRIBUTION = re.compile(r"^(?:[—–~]|--)\s*(?P<attribution>\S.*)$")
_HYPHEN_ATTRIBUTION = re.compile(r"^-\s*(?P<attribution>[^\"“„«].*)$")


def _attribution(text: str) -> tuple[str, str, str | None]:
    """(author, role, segment) of `Jane Doe, COO, Acme | retail` or `Jane Doe (COO at Acme)`."""
    text, _, segment = text.partition("|")
    text = text.strip().rstrip(".")
    paren = re.match(r"^(?P<author>[^(]+)\((?P<role>[^)]*)\)\s*$", text)
    if paren:
        author, role = paren.group("author"), paren.group("role")
    else:
        author, _, role = text.partition(",")
    return author.strip(), role.strip(), segment.strip() or None


def _looks_like_name(text: str) -> bool:
    """Whether a hyphen line after a quote reads as an attribution (short, no sentence) rather than a bullet."""
    words = text.split("|")[0].split()
    return 0 < len(words) <= 10 and not text.rstrip().endswith(("!", "?"))


def _unquote(text: str) -> str:
    return " ".join(text.split()).strip(_QUOTES + " ")


def _quote_line(line: str) -> tuple[str, bool]:
    """A line of quote text without its blockquote marker or bullet, and whether it was marked as a quote
    (a blockquote, or opening with a quotation mark)."""
    stripped = line.strip()
    if stripped.startswith(">"):
        return stripped.lstrip("> ").strip(), True
    match = _ITEM.match(stripped)
    if match:
        stripped = match.group("text")
    return stripped, stripped[:1] in _OPEN_QUOTE


def parse_testimonials_text(text: str) -> list[Testimonial]:
    """Testimonials from free text (testimonials.md or .txt): each a quoted paragraph or line (`> ...`
    blockquotes, "..." or “...”, one per bullet), followed by an attribution line when there is one
    (`— Jane Doe, COO, Acme`, `- Jane Doe`, `~ Jane`) or with the attribution on the same line
    (`"Lovely bikes." — Sam, Leeds`). `| segment` after the attribution names the segment. A quote without an
    attribution has no author. When some paragraphs are marked as quotes, unmarked paragraphs without an
    attribution (an introduction, a heading) are not testimonials."""
    # Each candidate: [quote lines, marked as a quote, attribution or None]
    blocks: list[tuple[list[str], bool, tuple[str, str, str | None] | None]] = []
    current: list[str] = []
    marked = False
    paragraph_open = False

    def close(attribution: tuple[str, str, str | None] | None = None) -> None:
        nonlocal current, marked
        if current:
            blocks.append((current, marked, attribution))
        current, marked = [], False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            paragraph_open = False
            continue
        if _HEADING.match(raw):
            close()
            paragraph_open = False
            continue
        body, is_quote = _quote_line(line)
        inline = _INLINE.match(body) or _INLINE_DASH.match(body)
        if inline and _looks_like_name(inline.group("attribution")):
            close()
            current, marked = [inline.group("quote")], True
            close(_attribution(inline.group("attribution")))
            paragraph_open = False
            continue
        unmarked = line.lstrip("> ") if line.startswith(">") else line
        dash = _DASH_ATTRIBUTION.match(unmarked)
        hyphen = _HYPHEN_ATTRIBUTION.match(unmarked)
        if current and (dash or (hyphen and _looks_like_name(hyphen.group("attribution")))):
            close(_attribution((dash or hyphen).group("attribution")))  # type: ignore[union-attr]
            paragraph_open = False
            continue
        starts_item = is_quote or _ITEM.match(line) is not None
        if not paragraph_open or (starts_item and current and current[-1].rstrip()[-1:] in _QUOTES):
            close()
        current.append(body)
        marked = marked or is_quote
        paragraph_open = True
    close()

    any_marked = any(m for _, m, _ in blocks)
    out: list[Testimonial] = []
    for lines, is_marked, attribution in blocks:
        if any_marked and not is_marked and attribution is None:
            continue
        quote = _unquote(" ".join(lines))
        if not quote:
            continue
        author, role, segment = attribution or ("", "", None)
        out.append(Testimonial(quote=quote, author=author, role=role, segment=segment))
    return out


_PRICED_NAME = re.compile(r"^(?P<name>.*?\S)\s*\((?P<price>[^()]*(?:\d|free)[^()]*)\)$", re.IGNORECASE)
_NAME_SPLIT = re.compile(r":\s+|\s+[—–-]\s+")


def offering_items(text: str) -> list[dict[str, str]]:
    """The offerings in a segment's offering text, each {id, name, price, description}: list items written
    `Name (price): description` (how offerings.json/.yaml lists are turned into text), `Name — description`, or
    a short line that is just a name. `id` is the name's slug, unique within the text."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in parse_list_items(text):
        parts = _NAME_SPLIT.split(item, maxsplit=1)
        name, description = (parts[0], parts[1]) if len(parts) == 2 and len(parts[0]) <= 80 else (item, "")
        if not description and len(name) > 60:
            # A sentence, not a name: the name is its opening words, the whole sentence describes it.
            sentence = re.split(r"(?<=[.!?])\s", name, maxsplit=1)[0]
            name, description = " ".join(sentence.rstrip(".!?").split()[:8]), item
        priced = _PRICED_NAME.match(name)
        price = priced.group("price").strip() if priced else ""
        name = (priced.group("name") if priced else name).strip().rstrip(".")
        base = slugify(name, fallback="offering")
        base = base if len(base) <= 40 else base[:40].rsplit("-", 1)[0]
        oid, n = base, 2
        while oid in seen:
            oid, n = f"{base}-{n}", n + 1
        seen.add(oid)
        out.append({"id": oid, "name": name, "price": price, "description": description.strip()})
    return out


_CTA_LINE = re.compile(r"call[ -]to[ -]action|\bcta\b|\bbutton\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"“”]{3,40})[\"”]")


def call_to_action(guidelines: str) -> str:
    """The call to action the guidelines ask for: the first quoted phrase of two to six words on a line that
    mentions the call to action or the main button (e.g. `Always include a call to action: "Book a site
    assessment"`), else ""."""
    for line in guidelines.splitlines():
        if _CTA_LINE.search(line):
            for phrase in _QUOTED.findall(line):
                if 2 <= len(phrase.split()) <= 6:
                    return phrase.strip()
    return ""

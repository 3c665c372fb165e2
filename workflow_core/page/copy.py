"""What of a model's copy is fit to publish: whole sentences only (a hard length limit may cut the last one),
and no sentence that talks about the page instead of to the reader, speaks as the visitor's company, runs the
seller down, or copies the workflow's own prompt text (four words in a row: `copied_from`). The design system
falls back to the scenario's own words when nothing is left."""

from __future__ import annotations

import re
from collections.abc import Iterable

from workflow_core.page.words import about_visitor, light_stem

# Talk about the page, the brief or the model: instruction text that belongs in a prompt, never on a page.
_META = re.compile(
    r"\b(landing[- ]pages?|web[- ]?pages?|websites?|web sites?|the visitors?|visitor'?s?|visual elements?|"
    r"hero images?|page spec|sub-?headlines?|headlines?|call[- ]to[- ]action|pain[- ]points?|target audience|as an ai|"
    r"language model|this section|placeholder|lorem ipsum|json|research notes?|our notes)\b|\{\{|\}\}"
    # A template's blank left in, or an id in brackets: "[Company Name]", "[contact_info]", "[silo-tank-levels]",
    # "[customer's contact information]".
    r"|\[[A-Za-z][A-Za-z0-9_ '’.-]*\]"
    # A brief's label for the visitor's problem as a heading: "Customer's Problem: Wheel Spoke Tension".
    r"|\bcustomers?['’]?s? (?:problems?|pains?|pain points?|needs?|goals?|challenges?|issues?)\s*:"
    # A prompt's voice rule copied onto the page: "We are Ridgeline Fieldworks, you are the customer".
    r"|\bwe are\b[^.!?]{0,80}\byou are\b|\byou are the (?:customer|visitor|reader|client)\b",
    re.IGNORECASE,
)
# An id where copy belongs: a field that is only "cis-and-reverse-charge" (a small model wrote the offering's id
# it was shown in brackets as the line under the headline).
_ID = re.compile(r"^\W*[a-z0-9]+(?:[-_][a-z0-9]+)+\W*$")
# A seller running itself down ("we do not have a proven track record").
_NEGATIVE_SELF = re.compile(
    r"\b(no|without|lack(?:ing)?(?: of)?|not (?:yet )?(?:have )?a?)\s+(?:a\s+)?(?:proven\s+)?"
    r"(track record|experience|expertise|references|customers|clients)\b",
    re.IGNORECASE,
)
# A sentence ends at . ! ? or … (and any closing quote or bracket) before a space and a capital or a digit,
# or at the end: "9.4 t" and "e.g. on site" do not end one. The one sentence splitter of the page and the
# quality checks.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)]*(?=\s+[\"“‘(]?[A-Z0-9]|\s*$)")
_ABBREVIATIONS = re.compile(
    r"\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|St|No|approx|incl|a\.m|p\.m)$", re.IGNORECASE
)
_SPLIT_DECIMAL = re.compile(r"(?<=\d)\. (?=\d)")
_ENDS = ".!?\"'”’)"
# Words a heading cut at its length limit must not end on ("…kilometres from").
_TRAILING = frozenset(
    [
        "and",
        "or",
        "of",
        "the",
        "a",
        "an",
        "to",
        "for",
        "with",
        "in",
        "on",
        "at",
        "by",
        "from",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "as",
        "than",
        "that",
        "which",
        "who",
        "whose",
        "is",
        "are",
        "was",
        "were",
        "be",
        "its",
        "their",
        "your",
        "our",
        "this",
        "these",
        "those",
        "per",
        "across",
        "through",
        "between",
        "up",
        "so",
        "but",
        "while",
        "when",
        "after",
        "before",
        "via",
        "within",
        "without",
        "against",
        "around",
        "more",
        "less",
        "most",
    ]
)


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
SHINGLE = 4  # words in a row a page shares with a prompt's own text before they count as copied from it
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "our",
        "the",
        "their",
        "this",
        "to",
        "we",
        "with",
        "you",
        "your",
    ]
)
Shingles = frozenset[tuple[str, ...]]


def shingles(text: str) -> set[tuple[str, ...]]:
    """The runs of `SHINGLE` words in `text` with at least two that are not function words."""
    words = _WORD.findall(text.lower())
    grams = (tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))
    return {g for g in grams if sum(w not in _FUNCTION_WORDS for w in g) >= 2}


def prompt_shingles(instructions: Iterable[str]) -> Shingles:
    """What a page must not copy from a workflow's prompt text (its literal parts, not the data filled into
    them): its runs of `SHINGLE` words, and its short headings (a line ending in ':', such as "Offerings to
    show:" or "Pictures:"), kept whole as one tuple each."""
    out: set[tuple[str, ...]] = set()
    for text in instructions:
        out |= shingles(text)
        for line in text.splitlines():
            words = tuple(_WORD.findall(line.lower()))
            if line.strip().endswith(":") and 0 < len(words) < SHINGLE:
                out.add(("", *words))  # "" marks a heading: matched at the start of a sentence
    return frozenset(out)


def copied_from(sentence: str, prompt: Shingles) -> str | None:
    """The words `sentence` shares with the prompt text: any run of `SHINGLE` words, or a prompt heading it
    starts with ("Offerings to show", "Pictures: Work; Offerings;")."""
    if not prompt:
        return None
    low = sentence.lower()
    words = tuple(_WORD.findall(low))
    for n in range(1, min(SHINGLE, len(words) + 1)):
        if ("", *words[:n]) not in prompt:
            continue
        # The heading alone ("Offerings to show"), or the heading and its colon ("Pictures: Work;"); not a
        # sentence that merely begins with the same word ("Brand new sensors" against "Brand:").
        if len(words) == n or re.match(r"\W*" + r"\W+".join(map(re.escape, words[:n])) + r"\s*:", low):
            return " ".join(words[:n])
    return next((" ".join(g) for g in shingles(sentence) if g in prompt), None)


# A list item's marker at the start of a line ("- Firms reported…"), or a bullet after a sentence's end where
# retrieval joined the lines ("…lost this way. - Projects were priced…"): an item is a sentence of its own.
_LIST_ITEM = re.compile(r"\n[ \t]*(?:[-*•]|\d+[.)])[ \t]+|(?<=[.!?])[ \t]+[-*•][ \t]+")


def sentences(text: str) -> list[str]:
    """The sentences of `text`, each with its end punctuation (the last may have none). A full stop inside a
    number ("9.4"), after a common abbreviation ("e.g.") or before a small letter does not end a sentence; a
    list item on a line of its own starts one (research notes list their findings: "…after 60 days.\n- Firms
    reported £1 in every £6…" is two sentences, and so is the same text with its lines joined, so a card that
    stops part-way through the second is seen)."""
    items = _LIST_ITEM.split(text)
    if len(items) > 1:
        return [s for item in items for s in sentences(item)]
    text = " ".join(text.split())
    found: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        if end.group().startswith(".") and _ABBREVIATIONS.search(text[start : end.start()]):
            continue
        found.append(text[start : end.end()].strip())
        start = end.end()
    found.append(text[start:].strip())
    return [s for s in found if s]


def _speaks_as(sentence: str, names: Iterable[str]) -> bool:
    low = sentence.lower()
    return any(
        name.lower() in low and re.search(r"\b(we|our|us)\b", low) is not None for name in names if name
    )


def cut_prefixes(texts: Iterable[str], least: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """Every way to stop a sentence of `texts` part-way: its first `least` words or more, short of its last
    two. A heading that is one of these is a source sentence cut off ("Owners estimated they spent a median
    of 2.5 hours a week", where the notes go on "working out tips by hand")."""
    out: set[tuple[str, ...]] = set()
    for text in texts:
        for sentence in sentences(text):
            words = tuple(_WORD.findall(sentence.lower()))
            out.update(words[:n] for n in range(least, len(words) - 1))
    return frozenset(out)


def lifted_pieces(texts: Iterable[str], least: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """Every run of `least` or more words that starts inside a sentence of `texts`, after its first word: a
    piece lifted out of the middle of a source sentence. A challenge card that is one of these reads as a
    fragment ("On-farm fuel at least once in the previous two seasons", "Three things: whether they can manage
    the weight", of "…had run out of on-farm fuel at least once in the previous two seasons, losing…" and
    "Families … worry about three things: whether they can manage the weight on a hill, …")."""
    out: set[tuple[str, ...]] = set()
    for text in texts:
        for sentence in sentences(text):
            words = tuple(_WORD.findall(sentence.lower()))
            for start in range(1, len(words) - least + 1):
                out.update(words[start:end] for end in range(start + least, len(words) + 1))
    return frozenset(out)


def lifted(text: str, pieces: frozenset[tuple[str, ...]]) -> bool:
    """Whether `text` is, word for word, a piece lifted from the middle of a source sentence (`lifted_pieces`)."""
    return bool(pieces) and tuple(words_in(text)) in pieces


def words_in(text: str) -> list[str]:
    """The words of `text`, lower-cased, as the copy rules count them."""
    return _WORD.findall(text.lower())


# A challenge card's words need this many to be a sentence: "About half" and "The end user." are not.
MIN_CARD_WORDS = 4


# A text's last word, hyphens kept, and anything after it: "re-chr" of "…on every cost, re-chr".
LAST_TOKEN = re.compile(r"([\w'’-]+)\W*$")


def cut_off(text: str, prefixes: frozenset[tuple[str, ...]]) -> bool:
    """Whether `text` is a source sentence stopped part-way (see `cut_prefixes`), also inside a word: "Monthly
    bookkeeping with project codes on every cost, re-chr" (the offering goes on "recharged expenses…")."""
    if not prefixes:
        return False
    if tuple(_WORD.findall(text.lower())) in prefixes:
        return True
    stripped = text.rstrip()
    if stripped[-1:] in _ENDS:
        return False
    head = LAST_TOKEN.sub("", stripped)
    return head != stripped and tuple(_WORD.findall(head.lower())) in prefixes


def fit_copy(
    text: str,
    limit: int | None = None,
    not_ours: Iterable[str] = (),
    prompt: Shingles = frozenset(),
    visitor: tuple[str, ...] = (),
) -> str:
    """The publishable part of a copy field: its whole sentences, minus those that talk about the page or
    the brief, speak as one of `not_ours` (the visitor's company: "At Redgum Ridge Gold, we ..."), talk about
    the visitor instead of to them (`words.about_visitor`, with `visitor` their names: "The customer is
    concerned about…"), or run the seller down. When the text reached `limit` its last sentence is dropped,
    as the limit may have stopped it mid-word. "" when nothing is left."""
    text = " ".join(text.split()).strip(" \"'“”")
    if not text or _ID.match(text):
        return ""
    text = _SPLIT_DECIMAL.sub(".", text)  # a small model's "9. 4 hours" is 9.4 hours
    found = sentences(text)
    cut = limit is not None and len(text) >= limit - 2
    if found and (found[-1][-1:] not in _ENDS or cut):
        # Unfinished when the text hit its limit, full stop or not (a grammar that ends a field at its maximum
        # length lets the model close it mid-word: "…a 30-minute call each month to talk it th.", holdout15),
        # or stops on a word that cannot end one ("out of service for an": the model's answer ran out of
        # tokens); an unpunctuated short phrase stands.
        last_word = found[-1].split()[-1].lower().strip(",;:-–—")
        if len(found) > 1:
            found = found[:-1]
        elif cut or last_word in _TRAILING:
            return ""
    names = list(not_ours)
    kept = [
        capitalised(s)
        for s in found
        if not _META.search(s)
        and not _NEGATIVE_SELF.search(s)
        and not _speaks_as(s, names)
        and not about_visitor(s, visitor)
        and not copied_from(s, prompt)
    ]
    return " ".join(kept)


class Said:
    """What a page has said so far, sentence by sentence, so each thing is said once: a small model writes the
    same sentence into the lede, a card and the close, or pastes an offering's description it was shown. A
    sentence counts as said when its words match one already on the page, or when most of its `SHINGLE`-word
    runs are already on the page (the same sentence reworded at the edges)."""

    def __init__(self) -> None:
        self._keys: set[tuple[str, ...]] = set()
        self._grams: set[tuple[str, ...]] = set()

    def said(self, sentence: str) -> bool:
        key = tuple(_WORD.findall(sentence.lower()))
        if not key or key in self._keys:
            return bool(key)
        grams = shingles(sentence)
        return len(grams) >= 3 and len(grams & self._grams) >= 0.6 * len(grams)

    def add(self, text: str) -> None:
        for sentence in sentences(text):
            self._add(sentence)

    def _add(self, sentence: str) -> None:
        self._keys.add(tuple(_WORD.findall(sentence.lower())))
        self._grams |= shingles(sentence)

    def new(self, text: str) -> str:
        """`text` without the sentences already said, on the page or earlier in `text` itself (a close of one
        stock sentence written three times, reworded at the edges), and what is left counted as said."""
        kept = []
        for sentence in sentences(text):
            if not self.said(sentence):
                kept.append(sentence)
                self._add(sentence)
        return " ".join(kept)


def without_label(text: str, label: str) -> str:
    """`text` without a leading "<label>:" or "<label> -" (a card that repeats its own heading, a headline
    that starts with the company's name before saying it again), the label also as a small model misspells it
    ("Hands-built wheels: Wheels built…" on Hand-Built Wheels; `_same_words`); `text` itself when nothing
    would be left."""
    if not label:
        return text
    if text.lower().startswith(label.lower()):
        rest = text[len(label) :].lstrip()
    else:
        found = _LEADING_LABEL.match(text)
        if found is None or not _same_words(found.group(1), label):
            return text
        rest = text[len(found.group(1)) :].lstrip()
    if rest[:1] in {":", "-", "–", "—"} and rest[1:].strip():
        return capitalised(rest[1:].strip())
    return text


# A short run of words before a colon or a dash: a label a model put in front of its sentence.
_LEADING_LABEL = re.compile(r"^([^:.!?–—]{1,60}?)\s*(?::|\s-|–|—)")


def _same_words(a: str, b: str) -> bool:
    """Whether two short labels say the same words, up to case, hyphens, "&" and plurals."""

    def stems(text: str) -> set[str]:
        # light_stem takes "es" off "routes" but nothing off "route": a final "e" counts for neither.
        return {light_stem(w).rstrip("e") for w in words_in(text.replace("&", " and "))}

    return bool(stems(b)) and stems(a) == stems(b)


def capitalised(text: str) -> str:
    """A sentence that a model began in lower case ("repair workshop in Leith...") begins with a capital."""
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def tidy_title(text: str, limit: int | None = None) -> str:
    """A short heading: one that reached `limit` is cut where a clause ends (a colon, dash or comma past a
    third of it), else at a word, never mid-word; no dangling 'and'/'from' and no end full stop."""
    text = " ".join(text.split()).strip(" \"'“”")
    if limit and len(text) >= limit - 2 and " " in text:
        clause = max(text.rfind(mark) for mark in (": ", " - ", " – ", " — ", ", "))
        text = text[:clause] if clause > len(text) // 3 else text[: text.rfind(" ")]
    words = text.split()
    while words and words[-1].lower().strip(",;:-–—") in _TRAILING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–—.")


def fit_title(
    text: str,
    limit: int | None = None,
    not_ours: Iterable[str] = (),
    prompt: Shingles = frozenset(),
    visitor: tuple[str, ...] = (),
) -> str:
    """`tidy_title`, or "" when the heading talks about the page, speaks as the visitor's company or talks
    about the visitor (`fit_copy`)."""
    title = capitalised(tidy_title(text, limit))
    if (
        _ID.match(text.strip())
        or _META.search(title)
        or _NEGATIVE_SELF.search(title)
        or _speaks_as(title, list(not_ours))
        or about_visitor(title, visitor)
        or copied_from(title, prompt)
    ):
        return ""
    return title

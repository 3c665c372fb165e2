"""Text cut off mid-sentence, for the integrity axis's `truncation` check (`integrity.check_integrity`): a
block ending in an ellipsis, a dangling function word, a comma or an open bracket or quotation, a sentence
ending on an article, a clause or paragraph that stops without its end; and, read against the sources
(`SourceText`), copy lifted from a source sentence that stops mid-phrase or mid-name. The word lists are
what tells a phrase that stops from one that ends, so they live here with the rules that read them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from workflow_core.page.copy import LAST_TOKEN
from workflow_core.page.copy import sentences as split_sentences
from workflow_core.page.words import folded
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import Block, words_of
from workflow_core.scenario.freetext import offering_items

_DANGLING = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "and",
        "or",
        "but",
        "with",
        "for",
        "from",
        "where",
        "which",
        "that",
        "who",
        "whose",
        "our",
        "your",
        "their",
        "its",
        "is",
        "are",
        "was",
        "were",
        "will",
        "would",
        "can",
        "could",
        "should",
        "as",
        "than",
        "because",
        "including",
        "such",
        "via",
        "into",
        "onto",
    ]
)
# "...when you planned them to", "everything you need to": a complete phrase that ends in "to".
_BEFORE_ELLIPTICAL_TO = frozenset(
    [
        "them",
        "us",
        "you",
        "him",
        "her",
        "it",
        "me",
        "want",
        "wants",
        "need",
        "needs",
        "have",
        "has",
        "used",
        "ought",
        "going",
        "hope",
        "plan",
        "planned",
        "meant",
        "supposed",
        "like",
        "love",
        "got",
    ]
)
_END_MARKS = (".", "!", "?", "…", ":", ";", '"', "”", "'", "’", ")")
_PROSE = frozenset({"p", "li", "blockquote", "dd", "figcaption", "td"})
# Words a sentence never ends on before its full stop ("...the impact of their.").
_CUT_BEFORE_STOP = frozenset(
    {"a", "an", "the", "our", "your", "their", "its", "of", "and", "or", "than", "such"}
)
# Source words that complete the word before them ("grappling" / "with", "the impact" / "of"): a page that stops
# just before one stopped mid-phrase.
_LINKING = frozenset({"with", "of", "to", "and", "or", "than"})
_OPEN_CLAUSE = re.compile(
    r"(?:we|we're|you|you're|our|it|it's|this|they|i)\s+(?:are|is|will|can|have|has|were|was|am|'re)\b", re.I
)
# Words that open a predicate, a new clause or a prepositional phrase: a phrase lifted from a source that stops
# before one is whole ("Numb hands or a stiff lower back" / "after").
_PREDICATE = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "can",
        "could",
        "will",
        "would",
        "may",
        "might",
        "must",
        "should",
        "shall",
        "do",
        "does",
        "did",
        "cost",
        "costs",
        "take",
        "takes",
        "make",
        "makes",
        "mean",
        "means",
        "need",
        "needs",
        "lose",
        "loses",
        "cause",
        "causes",
        "found",
        "find",
        "say",
        "says",
        "that",
        "which",
        "who",
        "because",
        "when",
        "while",
        "where",
        "since",
        "so",
        "but",
        "than",
        "often",
        "usually",
        "typically",
        "also",
        "now",
        "still",
        "already",
        "rarely",
        "always",
        "never",
        "after",
        "before",
        "on",
        "in",
        "at",
        "by",
        "for",
        "from",
        "during",
        "across",
        "over",
        "under",
        "around",
        "within",
        "without",
        "per",
    ]
)
_ADJECTIVE = re.compile(r"(?:al|ive|ous|ic|ful|able|ible|ary)$")
_MODIFIER = re.compile(r"(?:al|ive|ous|ic|ful|able|ible|ary|ent|ant|ing|ly)$")
_WORD_OR_MARK = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[,;:–—()]|\s-\s")


@dataclass(frozen=True)
class SourceText:
    """The sources as the truncation and source checks read them: each sentence's words (for copy cut from
    it), the names a block may end on, the documents' titles."""

    # 4 words -> (the sentence's words, where the 4 end, whether punctuation follows them there)
    sentences: dict[tuple[str, ...], list[tuple[tuple[str, ...], int, bool]]]
    names: list[tuple[str, ...]]
    titles: frozenset[str]

    @classmethod
    def of(cls, sources: Sources, visitor: str) -> SourceText:
        # Passages are chunks of the documents with their lines joined: read the documents when there are some.
        research = sources.documents or [p.text for p in sources.passages]
        names = block_names(sources.company, visitor, sources.testimonials)
        return cls.for_page(research, list(sources.offerings.values()), names, sources.document_titles)

    @classmethod
    def for_page(
        cls, research: list[str], offerings: list[str], names: list[str], document_titles: Iterable[str] = ()
    ) -> SourceText:
        """The sources a page is built from (the research retrieved for it, every segment's offerings, the
        names a block may end on: `block_names`), also for the design system to leave out copy this check
        would call cut off (`page.design_system.render_page`'s `cut`)."""
        texts = (*research, *offerings)
        return _source_text(texts, tuple(offerings), tuple(names), tuple(document_titles))

    def cut_copy(self, text: str) -> str | None:
        """Why a block of copy reads as a source sentence cut part-way, read as `truncated` reads a block (a
        full stop at its end asks only whether its last word can end a phrase), or None."""
        text = text.rstrip()
        if len(text.split()) < 3 or text.endswith(("!", "?", "…")):
            return None
        return self.cut_from(text[:-1] if text.endswith(".") else text, ended=text.endswith("."))

    def cut_from(self, text: str, ended: bool = False) -> str | None:
        """Why `text` reads as a source sentence cut mid-phrase, or None. `ended`: the page put a full stop
        there, so only a last word that cannot end a phrase says it was cut."""
        words = words_of(text)
        if len(words) < 4:
            return None
        for name in self.names:
            for k in range(2, len(name)):
                head, partial = name[:k], words[-1]
                if (
                    tuple(words[-k - 1 : -1]) == head
                    and partial != name[k]
                    and len(partial) >= 2
                    and name[k].startswith(partial)
                ):
                    return f"it ends mid-name ({' '.join(words[-k - 1 :])!r} for {' '.join(name)!r})"
        # Stopped inside a word: "…project codes on every cost, re-chr" where the offering goes on "recharged".
        tail = None if ended else LAST_TOKEN.search(text)
        before = words_of(text[: tail.start()]) if tail else []
        if tail and len(before) >= 4:
            partial = folded(tail.group(1)).replace("-", "")
            for sentence, end, _ in self.sentences.get(tuple(before[-4:]), []):
                following = sentence[end]
                # Its first letters, shorter than the word ("re", or a mangled "re-chr" for "recharged").
                if len(partial) >= 2 and len(partial) < len(following) and following[:2] == partial[:2]:
                    return f"it ends mid-word ({tail.group(1)!r} for {following!r})"
        last = words[-1]
        for sentence, end, pauses in self.sentences.get(tuple(words[-4:]), []):
            following = sentence[end]
            if ended:
                cut = last in _DANGLING or _ADJECTIVE.search(last) is not None
            else:
                cut = (
                    following in _LINKING
                    or last in _DANGLING
                    or _MODIFIER.search(last) is not None
                    # A lifted subject that stops before its verb ("Haul truck downtime in the Goldfields" /
                    # "costs") is a whole phrase; one that stops inside a phrase ("… paper checks or data" /
                    # "loggers", "Pharmaceutical customers increasingly require" / "temperature") is not.
                    or (not pauses and following not in _PREDICATE)
                )
            if cut:
                return f"the source goes on ('… {' '.join(sentence[end - 2 : end + 2])} …')"
        return None


def block_names(
    company: Mapping[str, Any], visitor: str, testimonials: Iterable[Mapping[str, Any]]
) -> list[str]:
    """The names a block may end on part-way ("with Example Corp Manuf"): the seller's, the visitor's company
    and the testimonials' authors."""
    return [str(company.get("name") or ""), visitor, *(str(t.get("author") or "") for t in testimonials)]


# A batch checks every page against the same sources: they are indexed once.
@lru_cache(maxsize=8)
def _source_text(
    texts: tuple[str, ...],
    offerings: tuple[str, ...],
    names: tuple[str, ...],
    document_titles: tuple[str, ...],
) -> SourceText:
    index: dict[tuple[str, ...], list[tuple[tuple[str, ...], int, bool]]] = {}
    # A line of its own (a Markdown heading, a list item) ends where the line does, full stop or not.
    for line in (line for text in texts for line in text.splitlines()):
        for sentence in split_sentences(line):
            words: list[str] = []
            pause: set[int] = set()  # word counts after which the sentence pauses (, ; : –)
            for m in _WORD_OR_MARK.findall(folded(sentence)):
                if m[0].isalnum():
                    words.append(m)
                else:
                    pause.add(len(words))
            run = tuple(words)
            for i in range(len(run) - 4):  # the run must have a word after it in the sentence
                index.setdefault(run[i : i + 4], []).append((run, i + 4, i + 4 in pause))
    name_tokens = [tuple(words_of(n)) for n in names]
    # A document named after an offering ("Harvest Machinery Uptime") is the offering's name as well.
    offered = {" ".join(words_of(str(o.get("name") or ""))) for t in offerings for o in offering_items(t)}
    titles = frozenset(" ".join(words_of(t)) for t in document_titles if len(words_of(t)) >= 2) - offered
    return SourceText(index, [n for n in name_tokens if len(n) >= 2], titles)


def truncated(block: Block, sources: SourceText | None = None) -> str | None:
    """Why `block` reads as cut off (the `truncation` check's evidence), or None when it reads whole."""
    """Why `block` looks cut off mid-sentence, or None."""
    text = block.text.rstrip()
    words = text.split()
    if len(words) < 3 or block.tag in ("title",):
        return None
    if sources is not None:
        why = sources.cut_copy(text)
        if why:
            return why
    short_link = block.tag in ("a", "button") and len(words) <= 3
    if text.endswith(("…", "...")) and not short_link:
        return "it ends in an ellipsis"
    last = re.sub(r"[^\w']", "", words[-1]).lower()
    elliptical = last == "to" and len(words) > 1 and words[-2].lower() in _BEFORE_ELLIPTICAL_TO
    if (
        last in _DANGLING
        and not elliptical
        and not text.endswith(_END_MARKS)
        and block.tag not in ("a", "button", "label")
    ):
        return f"it ends with {words[-1]!r}"
    if text.endswith((",", "(", " -", " –")):
        return "it ends mid-sentence"
    if text.count("“") > text.count("”"):
        return "a quotation is left open"
    for sentence in block.sentences:
        tail = sentence.rstrip()
        if tail.endswith(".") and not tail.endswith(".."):
            before = re.sub(r"[^\w']", "", tail[:-1].split()[-1]).lower() if tail[:-1].split() else ""
            if before in _CUT_BEFORE_STOP and len(tail.split()) >= 3:
                return f"a sentence ends on {before!r}"
    # A clause with its subject and verb that stops ("We are confident", "We are excited"): a paragraph ends
    # with a full stop, and a heading or a label neither starts with a pronoun and a verb nor follows a
    # finished sentence with one.
    final = block.sentences[-1] if block.sentences else text
    if (
        (block.tag in _PROSE or len(block.sentences) >= 2)
        and not text.endswith(_END_MARKS)
        and _OPEN_CLAUSE.match(final)
    ):
        return "it stops without finishing its sentence"
    if block.tag in _PROSE and len(block.sentences) >= 2:
        ended = [s.endswith(_END_MARKS) for s in block.sentences]
        if all(ended[:-1]) and not ended[-1] and len(block.sentences[-1].split()) >= 4:
            return "its last sentence stops without an end"
    return None

"""Originality, measured on a page's copy (words outside the header, navigation, forms and footer) for the
substance axis (`substance.check_substance` adds it to its measures; it is not part of the score): the share of
its words written for this visitor, against those in runs of `RUN` or more words shared with the scenario
(documents, offerings, testimonials, company, profile: copied, or filled in by the design system), and those
repeated inside the page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from workflow_core.quality.claims import strings_of
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import PageText, copy_blocks, normalised, tokens_of

RUN = 8  # words in a row shared with a source that make copy copied rather than written


@dataclass(frozen=True)
class Originality:
    """Shares of a page's copy (words outside the header, navigation, forms and footer): `written` for this
    visitor, `from_sources` (runs of `RUN`+ words shared with the scenario), `repeated` (a sentence said
    before on the page). They sum to 1 when `words` > 0."""

    words: int
    written: float
    from_sources: float
    repeated: float


def originality(page: PageText, sources: Sources) -> Originality:
    """The shares of the page's copy written for the visitor, taken from the sources, and repeated."""
    copy = copy_blocks(page)
    texts = tuple(_source_texts(sources))
    source_grams, short_phrases = _source_runs(texts), _short_source_phrases(texts)
    words = written = copied = repeated = 0
    seen: set[str] = set()
    for block in copy:
        for sentence in block.sentences:
            tokens = tokens_of(sentence)
            if not tokens:
                continue
            words += len(tokens)
            key = " ".join(tokens)
            if key in seen and len(tokens) >= 4:
                repeated += len(tokens)
                continue
            seen.add(key)
            covered = [False] * len(tokens)
            for i in range(len(tokens) - RUN + 1):
                if tuple(tokens[i : i + RUN]) in source_grams:
                    for j in range(i, i + RUN):
                        covered[j] = True
            # A sentence shorter than a run is copied when the whole of it is a source phrase.
            if len(tokens) < RUN and key in short_phrases:
                covered = [True] * len(tokens)
            n = sum(covered)
            copied += n
            written += len(tokens) - n
    if not words:
        return Originality(0, 0.0, 0.0, 0.0)
    return Originality(words, round(written / words, 4), round(copied / words, 4), round(repeated / words, 4))


def _source_texts(sources: Sources) -> list[str]:
    texts = list(sources.documents) + [p.text for p in sources.passages]
    texts += list(sources.offerings.values())
    texts += [str(t.get("quote") or "") for t in sources.testimonials]
    texts += [str(v) for v in sources.company.values() if isinstance(v, str)]
    texts += list(strings_of(sources.profile or {}))
    return texts


# A batch checks every page against the same sources: their runs are worked out once.
@lru_cache(maxsize=8)
def _source_runs(texts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for text in texts:
        tokens = tokens_of(text)
        grams.update(tuple(tokens[i : i + RUN]) for i in range(len(tokens) - RUN + 1))
    return frozenset(grams)


@lru_cache(maxsize=8)
def _short_source_phrases(texts: tuple[str, ...]) -> frozenset[str]:
    """Whole short source lines (an offering's name and description, a testimonial) as normalised text."""
    out: set[str] = set()
    for text in texts:
        for line in re.split(r"[\n.!?]+", text):
            key = normalised(line)
            if 2 <= len(key.split()) < RUN:
                out.add(key)
    return frozenset(out)

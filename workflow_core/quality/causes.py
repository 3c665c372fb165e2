"""Causal links a page makes that no source makes: "Laboratory results were delayed due to water cart routes
... consuming 30-45% of a site's water allowance" joins two research notes, each true, into a cause neither
gives. Every figure and name in it is sourced, so the other grounding checks pass it.

A sentence is read when a connective ("due to", "because", "leading to", "which means", ...) splits it into
two halves of three or more content words each. The sentence makes an unsupported link when one half at
least is from the sources (half its words are in one source statement: a sentence of a source, or two
sentences in a row) and no one statement holds enough of both halves (`JOINT`, of each). Persuasive copy
whose halves are neither from the sources ("teams save hours because the dashboards are simple") is left
alone: it says nothing the sources could back or contradict.

Calibration (docs/quality.md, grounding): on 321 stored local-model pages, each checked against its own
scenario, it flags 3 distinct sentences (on 5 pages), all causes no source gives, and passes the 2 causal
sentences a source states; no labelled page has such a sentence.
"""

from __future__ import annotations

import itertools
import re

from workflow_core.page.words import content_words, light_stem

CAUSAL = re.compile(
    r"\b(due to|because of|because|as a result of|caused by|leading to|led to|resulting in|results in|"
    r"thanks to|owing to|driven by|which means)\b",
    re.IGNORECASE,
)
MIN_WORDS = 3  # content words each half needs to be a claim rather than a phrase
ANCHOR = 0.5  # share of a half's words one statement must hold for the half to come from the sources
JOINT = 0.4  # share of each half's words one statement must hold for the link to be a source's
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def words_of(text: str) -> frozenset[str]:
    return frozenset(light_stem(w) for w in content_words(text))


def statements_of(raw: str) -> tuple[frozenset[str], ...]:
    """The word sets of a source text's sentences and of each two sentences in a row (a source may give a
    cause in the sentence after its effect)."""
    sentences = [words_of(s) for s in _SENTENCE_END.split(raw) if s.strip()]
    sentences = [s for s in sentences if s]
    pairs = [a | b for a, b in itertools.pairwise(sentences)]
    return (*sentences, *pairs)


def unsupported_link(sentence: str, statements: tuple[frozenset[str], ...]) -> str | None:
    """The connective of `sentence` when it links two halves as no source statement does (see above)."""
    m = CAUSAL.search(sentence)
    if not m:
        return None
    before, after = words_of(sentence[: m.start()]), words_of(sentence[m.end() :])
    if len(before) < MIN_WORDS or len(after) < MIN_WORDS:
        return None
    anchored = joint = 0.0
    for s in statements:
        b, a = len(before & s) / len(before), len(after & s) / len(after)
        anchored = max(anchored, b, a)
        joint = max(joint, min(b, a))
        if joint >= JOINT:
            return None
    return m.group(0) if anchored >= ANCHOR else None

"""Company knowledge: chunk documents into passages and retrieve them with BM25, optionally fused with
embeddings. Retrieval prefers passages whose metadata matches the visitor (their industry's notes first)."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import bm25s
from bm25s.stopwords import STOPWORDS_EN

from workflow_core.page.words import light_stem
from workflow_core.records import Passage
from workflow_core.scenario.model import Document, Scenario

Embedder = Callable[[list[str]], Awaitable[Sequence[Sequence[float]]]]
Stemmer = Callable[[str], str]

# Reciprocal rank fusion constant from Cormack et al. (2009); damps the influence of top ranks.
RRF_K = 60
_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
_STOPWORDS = frozenset(STOPWORDS_EN)
_CACHE_SIZE = 8


def tokenize(text: str, stemmer: Stemmer | None = light_stem) -> list[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return [stemmer(w) for w in words] if stemmer else words


def chunk_document(doc: Document, max_words: int = 120, overlap: int = 20) -> list[Passage]:
    """Split a document into passages of at most `max_words` words; consecutive windows share `overlap` words
    so a fact on a boundary is whole in one of them. Each passage carries the document's metadata."""
    if max_words < 1 or not 0 <= overlap < max_words:
        raise ValueError("need max_words >= 1 and 0 <= overlap < max_words")
    words = doc.text.split()
    if not words:
        return []
    step = max_words - overlap
    starts = range(0, max(len(words) - overlap, 1), step)
    return [
        Passage(
            doc=doc.name,
            chunk=i,
            text=" ".join(words[s : s + max_words]),
            score=0.0,
            metadata=dict(doc.metadata),
        )
        for i, s in enumerate(starts)
    ]


def matches_filters(metadata: dict[str, Any], filters: dict[str, str]) -> bool:
    """Whether every filter key names a metadata value equal to it, case-insensitively (lists: any item)."""
    lowered = {str(k).lower(): v for k, v in metadata.items()}
    for key, wanted in filters.items():
        value = lowered.get(str(key).lower())
        values = value if isinstance(value, list) else [value]
        if not any(v is not None and str(v).strip().lower() == str(wanted).strip().lower() for v in values):
            return False
    return True


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


class KnowledgeIndex:
    """A BM25 index over the passages of some documents; with an `embedder`, `aretrieve` also ranks by cosine
    similarity and fuses both rankings with reciprocal rank fusion."""

    def __init__(
        self,
        documents: list[Document],
        *,
        max_words: int = 120,
        overlap: int = 20,
        stemmer: Stemmer | None = light_stem,
        embedder: Embedder | None = None,
    ) -> None:
        self.passages: list[Passage] = [p for d in documents for p in chunk_document(d, max_words, overlap)]
        self.stemmer = stemmer
        self.embedder = embedder
        self._vectors: list[Sequence[float]] | None = None
        self._bm25: bm25s.BM25 | None = None
        if self.passages:
            self._bm25 = bm25s.BM25()
            self._bm25.index([tokenize(p.text, stemmer) or [""] for p in self.passages], show_progress=False)

    def __len__(self) -> int:
        return len(self.passages)

    def _bm25_scores(self, query: str) -> list[float]:
        terms = tokenize(query, self.stemmer)
        if self._bm25 is None or not terms:
            return [0.0] * len(self.passages)
        return [float(s) for s in self._bm25.get_scores(terms)]

    def _select(
        self, scores: list[float], top_k: int, filters: dict[str, str] | None, boost_filters: bool
    ) -> list[Passage]:
        """The top_k passages by score; matching passages first when filtering. Non-matching passages fill
        the remaining slots (boost mode) only when they have some relevance."""
        order = sorted(range(len(self.passages)), key=lambda i: (-scores[i], i))
        if not filters:
            chosen = [i for i in order if scores[i] > 0][:top_k]
        else:
            matched = [i for i in order if matches_filters(self.passages[i].metadata, filters)]
            relevant = [i for i in matched if scores[i] > 0]
            # A query that hits none of the segment's notes still gets them: they are about this visitor.
            chosen = (relevant or matched)[:top_k]
            if boost_filters and len(chosen) < top_k:
                taken = set(chosen)
                chosen += [i for i in order if i not in taken and scores[i] > 0][: top_k - len(chosen)]
        return [self.passages[i].model_copy(update={"score": scores[i]}) for i in chosen]

    def retrieve(
        self, query: str, top_k: int = 4, filters: dict[str, str] | None = None, boost_filters: bool = True
    ) -> list[Passage]:
        """The `top_k` passages for `query` by BM25. With `filters` (metadata key -> value, case-insensitive),
        matching passages come first and others fill the remaining slots only if fewer than `top_k` matched
        (or never, with `boost_filters=False`)."""
        if top_k <= 0 or not self.passages:
            return []
        return self._select(self._bm25_scores(query), top_k, filters, boost_filters)

    async def aretrieve(
        self, query: str, top_k: int = 4, filters: dict[str, str] | None = None, boost_filters: bool = True
    ) -> list[Passage]:
        """Like `retrieve`, fusing BM25 and embedding ranks (reciprocal rank fusion) given an embedder."""
        if self.embedder is None or top_k <= 0 or not self.passages:
            return self.retrieve(query, top_k, filters, boost_filters)
        if self._vectors is None:
            self._vectors = list(await self.embedder([p.text for p in self.passages]))
        query_vec = (await self.embedder([query]))[0]
        bm25 = self._bm25_scores(query)
        cosine = [_cosine(query_vec, v) for v in self._vectors]
        fused = [0.0] * len(self.passages)
        for scores in (bm25, cosine):
            ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
            for rank, i in enumerate(ranked, start=1):
                if scores[i] > 0:
                    fused[i] += 1.0 / (RRF_K + rank)
        return self._select(fused, top_k, filters, boost_filters)


_INDEX_CACHE: dict[tuple[Any, ...], KnowledgeIndex] = {}
_INDEX_LOCK = threading.Lock()


def index_for_scenario(scenario: Scenario) -> KnowledgeIndex:
    """The BM25 index of a scenario's documents, reused while the scenario's documents are unchanged.
    Keyed by the scenario root and the documents' content, so edits in the app (saved or not) rebuild it."""
    key = (
        str(scenario.root),
        tuple(
            (d.name, d.text, json.dumps(d.metadata, sort_keys=True, default=str)) for d in scenario.documents
        ),
    )
    # The app runs workflows on several threads at once; one lock keeps the cache and its eviction consistent.
    with _INDEX_LOCK:
        index = _INDEX_CACHE.get(key)
        if index is None:
            if len(_INDEX_CACHE) >= _CACHE_SIZE:
                _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
            index = _INDEX_CACHE[key] = KnowledgeIndex(scenario.documents)
    return index

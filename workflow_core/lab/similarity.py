"""How different the pages made for different visitors are: word-shingle dissimilarity of their visible copy."""

from __future__ import annotations

import itertools
import re

from workflow_core.page.site import visible_text


def shingles(text: str, size: int = 3) -> set[tuple[str, ...]]:
    words = re.findall(r"[\w']+", text.lower())
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def dissimilarity(a: str, b: str, size: int = 3) -> float:
    """1 − Jaccard similarity of the word shingles of two texts (0: same words, 1: nothing shared)."""
    sa, sb = shingles(a, size), shingles(b, size)
    if not sa and not sb:
        return 0.0
    return 1.0 - len(sa & sb) / len(sa | sb)


def distinctiveness(pages: dict[str, list[str]]) -> float | None:
    """Mean pairwise dissimilarity of the visible text of pages made for *different* profiles.
    `pages` maps a profile to its pages (one per repeat). None when fewer than two profiles have pages."""
    # The copy only: alt text and labels mostly repeat the shared image descriptions, whoever the page is for.
    texts = {p: [visible_text(h, attributes=False) for h in hs if h] for p, hs in pages.items()}
    texts = {p: ts for p, ts in texts.items() if ts}
    scores = [
        dissimilarity(a, b)
        for p, q in itertools.combinations(sorted(texts), 2)
        for a in texts[p]
        for b in texts[q]
    ]
    return sum(scores) / len(scores) if scores else None

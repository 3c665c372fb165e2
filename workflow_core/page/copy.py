"""What of a model's copy is fit to publish: whole sentences only (a hard length limit may cut the last one),
and no sentence that talks about the page instead of to the reader, speaks as the visitor's company, or
runs the seller down. The design system falls back to the scenario's own words when nothing is left."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Talk about the page, the brief or the model: instruction text that belongs in a prompt, never on a page.
_META = re.compile(
    r"\b(landing[- ]pages?|web[- ]?pages?|websites?|web sites?|the visitors?|visitor'?s?|visual elements?|"
    r"hero images?|page spec|sub-?headlines?|headlines?|call[- ]to[- ]action|pain[- ]points?|target audience|as an ai|"
    r"language model|this section|placeholder|lorem ipsum|json)\b|\{\{|\}\}|\[[A-Z][A-Za-z ]*\]",
    re.IGNORECASE,
)
# A seller running itself down ("we do not have a proven track record").
_NEGATIVE_SELF = re.compile(
    r"\b(no|without|lack(?:ing)?(?: of)?|not (?:yet )?(?:have )?a?)\s+(?:a\s+)?(?:proven\s+)?"
    r"(track record|experience|expertise|references|customers|clients)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"'”’)]*|$)")
_ENDS = ".!?\"'”’)"
_TRAILING = {"and", "or", "of", "the", "a", "an", "to", "for", "with", "in", "on", "at", "by", "your", "our"}


def sentences(text: str) -> list[str]:
    """The sentences of `text`, each with its end punctuation (the last may have none)."""
    return [s.strip() for s in _SENTENCE.findall(" ".join(text.split())) if s.strip()]


def _speaks_as(sentence: str, names: Iterable[str]) -> bool:
    low = sentence.lower()
    return any(
        name.lower() in low and re.search(r"\b(we|our|us)\b", low) is not None for name in names if name
    )


def fit_copy(text: str, limit: int | None = None, not_ours: Iterable[str] = ()) -> str:
    """The publishable part of a copy field: its whole sentences, minus those that talk about the page or
    the brief, speak as one of `not_ours` (the visitor's company: "At Redgum Ridge Gold, we ..."), or run the
    seller down. When the text reached `limit` its unfinished last sentence is dropped. "" when nothing
    is left."""
    text = " ".join(text.split()).strip(" \"'“”")
    if not text:
        return ""
    found = sentences(text)
    cut = limit is not None and len(text) >= limit - 2
    if found and found[-1][-1:] not in _ENDS:
        if len(found) > 1:
            found = found[:-1]
        elif cut:
            return ""
    names = list(not_ours)
    kept = [
        s for s in found if not _META.search(s) and not _NEGATIVE_SELF.search(s) and not _speaks_as(s, names)
    ]
    return " ".join(kept)


def tidy_title(text: str, limit: int | None = None) -> str:
    """A short heading cut at a word, not mid-word, with no dangling 'and'/'of' and no end full stop."""
    text = " ".join(text.split()).strip(" \"'“”")
    if limit and len(text) >= limit - 2 and " " in text:
        text = text[: text.rfind(" ")]
    words = text.split()
    while words and words[-1].lower().strip(",;:-–—") in _TRAILING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–—.")


def fit_title(text: str, limit: int | None = None, not_ours: Iterable[str] = ()) -> str:
    """`tidy_title`, or "" when the heading talks about the page or speaks as the visitor's company."""
    title = tidy_title(text, limit)
    if _META.search(title) or _NEGATIVE_SELF.search(title) or _speaks_as(title, list(not_ours)):
        return ""
    return title

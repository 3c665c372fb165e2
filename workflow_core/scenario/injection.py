"""Visitor data and research are data: text in a profile or a knowledge document that reads as instructions
to the model ("ignore the previous instructions", "IMPORTANT SYSTEM NOTE", "the page must tell readers to
ring…") is flagged and kept out of prompts and out of the sources a page's claims may rest on.

The rule, sentence by sentence (a sentence ends at . ! or ? before white space, or at a line break):
- a sentence that matches one of `_PATTERNS` is instruction-like: an order to disregard instructions, a
  "system/developer/admin note", an order about what the page, copy or answer must say, an order to the
  model ("you must now write…"), an order to put quoted words on the page, or chat-template markup
  (`<system>`, `[INST]`, `### System:`);
- such a sentence is replaced by `REMOVED` wherever the text feeds a model (the profile in every prompt,
  retrieved passages) or backs a claim (`quality.claims`), and the scenario's loader, `decompose serve`
  and `decompose batch` say which text was flagged. Nothing is deleted from the files.
The patterns are written to miss ordinary business prose ("the site must be inspected", "customers should
book early"): they need the page, the model or the instructions themselves as the subject or the object.
"""

from __future__ import annotations

import re
from typing import Any

REMOVED = "[instruction-like text removed]"
INSTRUCTION_FLAG = "reads as an instruction to the model"  # in the scenario loader's warnings
RULE_VERSION = "1"  # part of cache keys of what the rule shapes: a change to it re-runs them

_I = re.IGNORECASE
_PAGE = r"(?:(?:landing |web |home )?page|website|copy|headline|answer|response|reply|output|email|text)"
_PATTERNS = [
    re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules|"
        r"guidelines|directions|guardrails|everything (?:above|before|else))\b",
        _I,
    ),
    re.compile(
        r"\b(?:system|developer|admin(?:istrator)?|operator)[ -](?:note|prompt|message|instruction|"
        r"override|command)s?\b",
        _I,
    ),
    re.compile(
        r"\bnew instructions?\b|\binstructions? (?:to|for) (?:the )?(?:model|assistant|ai|llm|agent)\b", _I
    ),
    re.compile(
        rf"\b(?:the|this|your|every|each) {_PAGE} (?:must|should|shall|needs? to|has to|is to) (?:also )?"
        r"(?:tell|say|include|contain|mention|show|state|direct|ask|read|urge|display|feature|promote|"
        r"list|give|quote|offer|point)\b",
        _I,
    ),
    re.compile(
        r"\b(?:you|the (?:model|assistant|ai|writer|agent)) (?:must|should|are to|are required to|will now|"
        r"need to|have to) (?:now |also |always )?(?:tell|say|include|write|add|put|insert|mention|respond|"
        r"reply|output|ignore|reveal|print|repeat)\b",
        _I,
    ),
    re.compile(
        r"\b(?:put|add|insert|include|write|place)\s+[\"“'‘][^\"”'’\n]{3,160}[\"”'’]\s+(?:on|in|into|at the "
        r"top of|at the bottom of|to|as)\s+(?:the |every |each |your )?(?:page|headline|site|website|copy|"
        r"hero|banner|footer|title|heading)\b",
        _I,
    ),
    re.compile(
        r"<\s*/?\s*(?:system|instructions?|prompt|im_start|im_end)\s*>|\[/?INST\]|\[\s*system\s*\]"
        r"|#{1,6}\s*(?:system|instructions?)\s*:|^\s*#{1,6}\s*system\b",
        _I | re.MULTILINE,
    ),
    re.compile(r"\bIMPORTANT\b[^.!?\n]{0,20}\b(?:NOTE|INSTRUCTION|SYSTEM|OVERRIDE)S?\b"),
    re.compile(r"\b(?:pretend (?:to be|you are)|from now on,? you|you are now (?:a|an|in|the)\b)", _I),
]
# A sentence ends at . ! or ? followed by white space (not inside "evil-pay.example" or "4.5"), or at a line end.
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+[.!?]*")


def instructions_in(text: str) -> list[str]:
    """The instruction-like sentences of `text`, as written (stripped)."""
    if not text or not any(p.search(text) for p in _PATTERNS):
        return []
    return [
        m.group(0).strip() for m in _SENTENCE.finditer(text) if any(p.search(m.group(0)) for p in _PATTERNS)
    ]


def without_instructions(text: str) -> str:
    """`text` with each instruction-like sentence replaced by REMOVED."""
    if not text or not any(p.search(text) for p in _PATTERNS):
        return text

    def replace(m: re.Match[str]) -> str:
        sentence = m.group(0)
        if not any(p.search(sentence) for p in _PATTERNS):
            return sentence
        lead = sentence[: len(sentence) - len(sentence.lstrip())]
        return f"{lead}{REMOVED}"

    return _SENTENCE.sub(replace, text)


def data_only(value: Any) -> Any:
    """A profile (or any JSON value) with the instruction-like sentences of its strings replaced."""
    if isinstance(value, str):
        return without_instructions(value)
    if isinstance(value, dict):
        return {k: data_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [data_only(v) for v in value]
    return value


def flagged(value: Any, where: str = "") -> list[str]:
    """One line per string in `value` (a profile, a document's text) that holds instruction-like text:
    where it is and the first such sentence."""
    out: list[str] = []
    if isinstance(value, str):
        found = instructions_in(value)
        if found:
            quote = found[0] if len(found[0]) <= 90 else found[0][:89] + "…"
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            out.append(f"{where or 'text'}: \u201c{quote}\u201d{more}")
    elif isinstance(value, dict):
        for k, v in value.items():
            out += flagged(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            out += flagged(v, f"{where}[{n}]")
    return out

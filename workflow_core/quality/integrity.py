"""Integrity: the page reads as the seller's finished page, not as a model's working notes.

Six checks, each finding quoting the sentence (or block) at fault:
- `meta`: instruction or prompt text and talk about the page itself: "the visitor", "landing page", "website
  description", "visual elements", "call to action", "this page will…", "the brief", "design steps",
  "as an AI", persona names ("UX designer", "front-end developer", "copywriter"), "Here is the HTML…"; and,
  when the run's prompts are known (`Sources.instructions`), four words in a row copied from their own text
  ("warm, plain, specific, never pushy" from a system prompt, as a headline);
- `residue`: template and placeholder residue: `{{ }}`, `{% %}`, `[Company Name]`, `<Your name>`,
  Markdown (`**bold**`, `## heading`, `[text](url)`), markup shown as text (`<script>`, `onerror=`,
  `javascript:`, `&lt;`), lorem ipsum, TBD/TODO, "placeholder", `undefined`, a block
  that only says N/A / none / not specified, or only a generic label and a number ("Offering 1", "Section 3");
- `truncation`: text cut mid-sentence: a block ending in "…" or "..." (a short link like "Read more…" aside),
  in a dangling function word ("to", "the", "and", "where"...), a comma or an open bracket, a quotation
  left open, or a paragraph whose last sentence lacks the end its others have;
- `voice`: speaking as the visitor's company (the profile's `company`): "At <visitor company>, we…",
  "we at/are <visitor company>", "our <visitor company>", "Welcome to <visitor company>", "<visitor company> is
  a … firm/provider/partner", "Contact <visitor company>";
- `negative`: claims against the seller: "no proven track record", "we do not have a proven track record",
  "no industry best practices", "no specific challenges", "we lack experience", "limited experience";
- `source`: the scenario's research shown as copy: talk about the documents and notes ("research notes", "this
  document", "according to our notes", "knowledge base"), a file name ("haul-truck-downtime.md"), or a
  heading that is a knowledge document's title (its file name as words, or one of its headings);
- `executable` (given the page's markup): what would run, load or send something in a visitor's browser:
  scripts but the design system's own, event handlers, `javascript:` URLs, frames and plug-ins, external
  pictures, style sheets and fonts, forms posting off the site (`page.safety.hazards`). Served pages are
  sanitised whatever this says; a model that writes them still did not write a page to publish.

`truncation` also reads the sources: a block whose last four words run on in a source sentence, where the
page stopped before a linking word ("is grappling" / "with"), on a modifier ("due to environmental") or on a
function word, was cut from the source mid-phrase; a block ending on the first words of a source name and
part of its next ("with Example Corp Manuf") was cut mid-word; a sentence whose last word before its full
stop is an article, a possessive or "of" ("minimize the impact of their.") was cut. `voice` also catches the
visitor's company cast as the means ("Transform your operations with <visitor company>") or described to the
visitor ("<visitor company> is a leading construction company"), or paired with the seller as partners ("<visitor
company> and <seller>" as a line of its own), with the name cut short or whole.

Score: each failing finding takes a quarter of its weight off 1.0 (speaking as the visitor weighs 2, leaked
instructions and residue 1.5, the rest 1); one finding per block and check.
"""

from __future__ import annotations

import re
from typing import Any

from workflow_core.page.copy import copied_from, prompt_shingles
from workflow_core.page.safety import PagePolicy, hazards
from workflow_core.quality.model import AxisResult
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import PageText, finding, score_of_penalties, words_of
from workflow_core.quality.truncation import SourceText, truncated
from workflow_core.records import QAFinding
from workflow_core.scenario.inputs import visitor_company

AXIS = "integrity"
_I = re.IGNORECASE

_META = re.compile(
    r"\bthe (?:visitor|user)'?s?\b|\blanding[- ]pages?\b|\bwebsite description\b|\bvisual elements?\b"
    r"|\bcall[- ]to[- ]action\b|\bas an ai\b|\b(?:ai|large) language model\b"
    r"|\bthis (?:page|website|site|section) (?:will|should|must|is designed|aims|is tailored|has been)\b"
    r"|\bthe brief\b|\bdesign steps?\b|\b(?:brand|design) guidelines\b|\b(?:ux|ui) designer\b"
    r"|\bfront[- ]?end developer\b|\bcopywriter\b|\bpersonali[sz]er\b|\bpersona\b|\bsystem prompt\b"
    r"|\bprofile (?:json|data|prose)\b|\b(?:hero|cta|footer|header) section\b|\bin this section\b"
    r"|\b(?:here is|here's|below is) (?:the|your|a) (?:html|page|code|website|copy)\b"
    r"|^(?:sure|certainly|of course)[,!.]|\bi hope this\b|\bi(?: have|'ve) (?:created|written|designed)\b"
    r"|\bwe are\b[^.!?]{0,80}\byou are\b|\byou are the (?:customer|visitor|reader|client)\b"
    r"|\bthis (?:customer|visitor|user|reader|prospect|lead)\b",
    _I,
)
_RESIDUE = re.compile(
    r"\{\{|\}\}|\{%|%\}|\[(?:your|insert|company|client|customer|first|last|full|product|phone|e-?mail|address"
    r"|date|number|city|industry|name|title|testimonial|x{2,})\b[^\]]{0,40}\]"
    r"|<\s*(?:your|insert|company|name)\b[^>]{0,40}>|\blorem ipsum\b|\bdolor sit amet\b|\bplaceholder\b"
    r"|\[object Object\]|\bundefined\b|\*\*[^*]+\*\*|^#{1,6}\s|```|\[[^\]]+\]\((?:https?://|#|/)[^)]*\)",
    _I,
)
_RESIDUE_CASED = re.compile(r"\b(?:TBD|TBC|TODO|FIXME|XXX|NaN)\b")
# Markup shown to the reader as text (escaped tags, handlers, script URLs): code, not copy.
_MARKUP_TEXT = re.compile(
    r"<\s*/?\s*(?:script|img|iframe|svg|style|div|span|a|p|form|input|object|embed|html|body|head)\b[^<]{0,200}>"
    r"|<\s*(?:script|img|iframe|svg)\b|\bon(?:error|load|click|mouseover|focus)\s*=|\bjavascript\s*:"
    r"|&(?:lt|gt|quot|#x?[0-9a-f]+);",
    _I,
)
# A generic label and a number standing where copy should be ("Offering 1", "Section 3", "Card 2").
_NUMBERED_LABEL = re.compile(
    r"^(?:offering|offer|item|section|heading|title|card|feature|service|product|benefit|step|pain point|"
    r"challenge|testimonial|image|picture)\s*#?\d+\.?$",
    re.IGNORECASE,
)
_EMPTY_VALUE = re.compile(
    r"^(?:n/?a|none|null|nil|unknown|-+|not (?:specified|provided|available|applicable))\.?$", _I
)
_NEGATIVE = re.compile(
    r"\bno (?:proven|established|demonstrated) (?:track record|results|experience|expertise)\b"
    r"|\bno (?:relevant |prior |previous |real |industry )?(?:track record|experience|expertise|case studies"
    r"|references|certifications?)\b"
    r"|\bno (?:specific|particular|known|identified|clear|defined) (?:challenges|goals|pain points|needs"
    r"|problems|information|details|requirements)\b|\bno industry best practices?\b"
    r"|\b(?:we|our (?:team|company|firm))\s+(?:do not|don't|does not|doesn't|cannot|can't|have not|haven't"
    r"|has not|hasn't|lack|lacks)\s+(?:yet\s+)?(?:have\s+|has\s+)?(?:a\s+|any\s+)?(?:proven|track record"
    r"|experience|expertise|certif\w*|clients|customers|case studies|references|the (?:ability|capacity))"
    r"|\bwe (?:have|hold) no\b|\bwe are not (?:certified|experienced|qualified|able)\b"
    r"|\b(?:unproven|inexperienced|untested) (?:team|company|firm|solution|approach|product)\b"
    r"|\bwithout (?:a |any )?(?:proven )?track record\b|\blimited (?:experience|track record|expertise)\b",
    _I,
)
_WEIGHTS = {
    "meta": 1.5,
    "residue": 1.5,
    "voice": 2.0,
    "negative": 1.0,
    "truncation": 1.0,
    "source": 1.5,
    "executable": 2.0,
}
_SOURCE_TALK = re.compile(
    r"\bresearch notes?\b|\b(?:this|these|our|the) (?:research )?(?:document|notes|note|report|white ?paper)s?"
    r"(?:\s+(?:says?|shows?|states?|notes?|describes?|outlines?|highlights?|discusses|covers|explores|"
    r"provides|presents|examines)\b|\s*[.!?]?$)|\bknowledge base\b|\baccording to (?:the|our) (?:"
    r"notes|documents?|sources?)\b|\b[\w-]+\.(?:md|txt|pdf|docx?|json|csv)\b|\bsource documents?\b",
    _I,
)
_MESSAGES = {
    "meta": "Instruction or meta text reached the page (it talks about the page or the brief, not to the "
    "reader): rewrite it as copy for the reader.",
    "residue": "Template or placeholder residue is on the page: fill it in or remove it.",
    "voice": "The page speaks as the visitor's company {visitor!r}; the seller is {seller!r}: write as the "
    "seller, to the visitor.",
    "negative": "The page makes a negative claim about the seller: remove it or state what the sources "
    "support.",
    "source": "The page shows the scenario's research as copy (it talks about documents or notes, or uses a "
    "document's title): write for the reader, in the seller's words.",
}


def _name_pattern(name: str) -> str:
    """A regex for a company's name, whole or cut short after its second word ("Example Corp Manuf")."""
    words = name.split()
    if len(words) < 3:
        return re.escape(name)
    head = r"\s+".join(map(re.escape, words[:2]))
    rest = "".join(rf"(?:\s+{re.escape(w[:2])}\w*" for w in words[2:]) + ")?" * (len(words) - 2)
    return head + rest


def _voice_pattern(visitor: str, seller_name: str) -> re.Pattern[str]:
    v, seller = _name_pattern(visitor), re.escape(seller_name)
    return re.compile(
        rf"\b(?:at|here at|from)\s+{v}\s*,?\s+(?:we|our|us)\b|\bwe\s*(?:,|at|are|'re)\s*{v}\b|\bour\s+{v}\b"
        rf"|\bwelcome to {v}\b|\b(?:contact|call|e-?mail|choose|hire)\s+{v}\b"
        rf"|\b{v}\s+(?:is|are)\s+(?:a|an|the|your)\s+(?:[\w-]+\s+){{0,3}}(?:consult\w*|firm|provider|partner"
        rf"|agency|supplier|vendor|specialists?|experts?)\b|\b{v}(?:'s)?\s+(?:team\s+)?(?:can help you|helps you"
        rf"|is here to help)\b"
        # Cast as the means or the maker ("... with Example Corp Manuf"), or described to its own people.
        rf"|^\W*{v}\s+(?:and|&|x|×|\+)\s+{seller}\W*$|^\W*{seller}\s+(?:and|&|x|×|\+)\s+{v}\W*$"
        rf"|\b(?:with|by|through|using|powered by)\s+{v}\b(?!['’]s)|\b{v}\s+(?:is|are)\s+(?:a|an|the)\s+(?:leading|"
        rf"premier|top|trusted|innovative|well-known|major|global|renowned|[\w-]+\s+(?:company|firm|business|"
        rf"organi[sz]ation|manufacturer|operator|provider|leader))\b",
        _I,
    )


def check_integrity(page: PageText, sources: Sources, markup: Any = None) -> AxisResult:
    """Integrity of the page's text (see the module docstring for the rules), and, given the page's parsed
    `markup` (an lxml element), of what it would run or load in a visitor's browser (`executable`)."""
    findings: list[QAFinding] = []
    if markup is not None:
        for hazard in hazards(markup, PagePolicy.for_company(sources.company)):
            findings.append(
                finding(
                    AXIS,
                    "executable",
                    False,
                    "The page carries what could run, load or send something in a visitor's browser "
                    f"({hazard}). Served pages are sanitised, so this is removed before a visitor sees it, "
                    "but a model that writes it is not writing a page to publish.",
                    hazard,
                    _WEIGHTS["executable"],
                )
            )
    prompt = prompt_shingles(sources.instructions)
    seller = str(sources.company.get("name") or "the company")
    visitor = visitor_company(sources.profile)
    voice = _voice_pattern(visitor, seller) if visitor and visitor.lower() != seller.lower() else None
    source_text = SourceText.of(sources, visitor)

    def fail(check: str, evidence: str, message: str = "") -> None:
        text = message or _MESSAGES[check].format(visitor=visitor, seller=seller)
        findings.append(finding(AXIS, check, False, text, evidence, _WEIGHTS[check]))

    for block in page.blocks:
        found: set[str] = set()
        if _EMPTY_VALUE.match(block.text) or _NUMBERED_LABEL.match(block.text):
            fail("residue", block.text)
            found.add("residue")
        for sentence in block.sentences:
            checks = (
                ("meta", _META.search(sentence)),
                ("source", _SOURCE_TALK.search(sentence)),
                (
                    "residue",
                    _RESIDUE.search(sentence)
                    or _RESIDUE_CASED.search(sentence)
                    or _MARKUP_TEXT.search(sentence),
                ),
                ("voice", voice.search(sentence) if voice else None),
                ("negative", _NEGATIVE.search(sentence)),
            )
            for check, hit in checks:
                if hit and check not in found:
                    found.add(check)
                    fail(check, sentence)
            copied = copied_from(sentence, prompt)
            if copied and "meta" not in found:
                found.add("meta")
                fail(
                    "meta",
                    sentence,
                    f"The page repeats the workflow's own prompt ('{copied}'): a model copied its instructions "
                    "onto the page.",
                )
        title = " ".join(words_of(block.text))
        if block.is_heading and title in source_text.titles and "source" not in found:
            found.add("source")
            fail("source", block.text)
        why = truncated(block, source_text)
        if why:
            fail("truncation", block.text, f"Text is cut off ({why}): finish the sentence or remove it.")
    if not findings:
        findings.append(
            finding(
                AXIS,
                "text",
                True,
                "No leaked instructions, residue, cut-off text, wrong voice or negative self-claims found.",
            )
        )
    return AxisResult(axis=AXIS, score=score_of_penalties(findings), findings=findings)

"""Scenario files as people write them: testimonials as quoted paragraphs or lines in .md or .txt, design steps
and guidelines as numbered or bulleted free text whose numbering skips or repeats."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import write
from workflow_core.scenario import load_scenario, parse_list_items, parse_testimonials_text

TESTIMONIALS_MD = """# What our riders say

We asked a few customers after their first service. Here is what they told us:

"The mechanic explained what was wrong with my gears before touching anything, and the price was what he said
it would be."
— Jane Doe, COO, Acme Couriers

> Fixed my wheel in an hour while I had a coffee next door.
> Brilliant.
>
> — Tom Baker (commuter, Leith)

“Best bike fit I have had in twenty years of riding.” – Priya Nair, club cyclist | road

"They lent me a bike while mine was in the workshop."

- "Friendly, quick and honest." — Sam
- Lovely people who know their wheels. — Alex Kim, Portobello
"""


def test_testimonials_as_quoted_paragraphs_lines_and_bullets() -> None:
    found = parse_testimonials_text(TESTIMONIALS_MD)
    assert [(t.author, t.role, t.segment) for t in found] == [
        ("Jane Doe", "COO, Acme Couriers", None),
        ("Tom Baker", "commuter, Leith", None),
        ("Priya Nair", "club cyclist", "road"),
        ("", "", None),
        ("Sam", "", None),
        ("Alex Kim", "Portobello", None),
    ]
    assert found[0].quote.startswith("The mechanic explained") and found[0].quote.endswith("would be.")
    assert "\n" not in found[0].quote and not found[0].quote.startswith('"')
    assert found[1].quote == "Fixed my wheel in an hour while I had a coffee next door. Brilliant."
    assert found[2].quote == "Best bike fit I have had in twenty years of riding."
    assert found[3].quote == "They lent me a bike while mine was in the workshop."
    assert found[5].quote == "Lovely people who know their wheels."
    # The heading and the introduction are not testimonials.
    assert not any("asked a few customers" in t.quote or "riders say" in t.quote for t in found)


def test_one_quoted_line_each_without_attribution() -> None:
    found = parse_testimonials_text('"Great bikes!"\n"Quick repairs."\n\n"Fair prices." - Mo\n')
    assert [(t.quote, t.author) for t in found] == [
        ("Great bikes!", ""),
        ("Quick repairs.", ""),
        ("Fair prices.", "Mo"),
    ]


def test_the_older_blockquote_form_still_reads() -> None:
    found = parse_testimonials_text(
        "> Best tractors.\n> Really.\n— Ann Lee, Grower | farming\n\n> Ok.\n- Bob\n"
    )
    assert [(t.quote, t.author, t.role, t.segment) for t in found] == [
        ("Best tractors. Really.", "Ann Lee", "Grower", "farming"),
        ("Ok.", "Bob", "", None),
    ]


def test_a_dash_inside_a_sentence_is_not_an_attribution() -> None:
    found = parse_testimonials_text('"We rode 40 km — and it was great."\n')
    assert [(t.quote, t.author) for t in found] == [("We rode 40 km — and it was great.", "")]


def test_lists_whose_numbering_skips_or_repeats_and_items_that_wrap() -> None:
    text = """Design steps (from our agency)

1. Hero: a big photo of the shop floor and one line
   about what we do
2. Opening hours
2. Services and prices
7) Reviews
Step 9: Map and contact
* Footer
• Newsletter sign-up, only if it fits
"""
    assert parse_list_items(text) == [
        "Hero: a big photo of the shop floor and one line about what we do",
        "Opening hours",
        "Services and prices",
        "Reviews",
        "Map and contact",
        "Footer",
        "Newsletter sign-up, only if it fits",
    ]


def test_a_list_that_wraps_without_indent_and_prose_without_a_list() -> None:
    assert parse_list_items("- Keep it warm and\nfriendly, never pushy\n\nThanks!\n- Use first names\n") == [
        "Keep it warm and friendly, never pushy",
        "Use first names",
    ]
    assert parse_list_items("# Steps\nHeader\n\nHero\nFooter\n") == ["Header", "Hero", "Footer"]


def test_a_scenario_of_free_text_files_loads(tmp_path: Path) -> None:
    write(tmp_path, "company.json", '{"name": "Spoke & Chain"}')
    write(tmp_path, "testimonials.txt", TESTIMONIALS_MD)
    write(tmp_path, "design_steps.txt", "3. Hero\n3. Services\n10. Contact\n")
    write(tmp_path, "guidelines.txt", "1) Warm, plain words\n1) Never say cheap\n")
    s = load_scenario(tmp_path)
    assert len(s.testimonials) == 6 and s.testimonials[0].author == "Jane Doe"
    assert s.design_steps == ["Hero", "Services", "Contact"]
    assert s.guidelines.startswith("1) Warm")
    # A .md file wins over a .txt file of the same part.
    write(tmp_path, "testimonials.md", '"Only this one." — Kim\n')
    assert [t.author for t in load_scenario(tmp_path).testimonials] == ["Kim"]

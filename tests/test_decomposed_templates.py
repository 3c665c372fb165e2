"""The templates decomposed for small models (issue 9, item 1): agents choose by id under a grammar (an enum of
the run's ids), facts come from the scenario, prompts show no instruction text a model could copy onto the
page, and the writer never sees the visitor's profile to recite it."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from workflow_core.errors import WorkflowError
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.nodes.outputs import output_schema, resolve_choices
from workflow_core.pricing.book import PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply
from workflow_core.workflow.files import parse_workflow
from workflow_core.workflow.spec import Node
from workflow_core.workflow.templates import load_template

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "assets" / "example_scenario"
CYCLE_SHOP = ROOT / "assets" / "cycle_shop_scenario"
DECOMPOSED = ("duo", "seed", "seed-qa", "deep")
# Words about the page or the brief: a model that copies them onto a page leaks its instructions.
# Also a voice rule in quotes ('"we" are Ridgeline, "you" are the customer'), which a 0.5B model copied onto a
# real page as its headline.
META = re.compile(
    r"landing page|website|web page|the visitor|headline|call to action|pain point|\"we\"|\"you\"|we are \{\{",
    re.I,
)


def _schema(body) -> dict:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}


async def _run(template: str, registry, scenario_dir: Path = EXAMPLE, profile: str = "dana-mining"):
    wf = load_template(template).with_models(all_models="fake/small")
    engine = Engine(registry, prices=PriceBook(), hooks=standard_hooks(None))
    return await engine.run(wf, RunInputs.for_profile(load_scenario(scenario_dir), profile))


def test_x_choices_become_an_enum_of_the_runs_ids():
    schema = {"type": "array", "items": {"type": "string", "maxLength": 9, "x-choices": "offerings"}}
    assert resolve_choices(schema, {"offerings": ["a", "b", "a"]}) == {
        "type": "array",
        "items": {"type": "string", "enum": ["a", "b"]},
    }
    assert resolve_choices(schema, {}) == {"type": "array", "items": {"type": "string", "maxLength": 9}}
    spec = Node(id="w", model="fake/small", output_format="page_spec")
    with_images = output_schema(spec, {"images": ["hero", "van"], "passages": ["p1"]})
    assert "visual_elements" not in with_images["properties"]
    assert with_images["properties"]["hero_image"]["enum"] == ["hero", "van"]
    assert with_images["properties"]["pain_points"]["items"]["properties"]["source"]["enum"] == ["p1"]
    # A one-model page spec describes its own pictures.
    assert output_schema(spec, {})["required"][0] == "visual_elements"
    with pytest.raises(WorkflowError, match="x-choices colours is not known"):
        parse_workflow(
            "nodes:\n  - {id: a, model: fake/small, prompt: x, output_format: json, "
            "output_schema: {type: string, x-choices: colours}}\n"
        )


@pytest.mark.parametrize("template", DECOMPOSED)
async def test_agents_choose_by_id_from_an_enum(template, fake_openai, fake_registry):
    result = await _run(template, fake_registry)
    assert result.status == "ok", [(n.id, n.error) for n in result.nodes if n.error]
    passages = [p.id for p in result.node("research").passages]
    chooser = _schema(next(r for r in fake_openai.requests if "notes" in _schema(r).get("properties", {})))
    assert chooser["properties"]["notes"]["items"]["enum"] == passages
    assert chooser["properties"]["offerings"]["items"]["enum"] == [
        "haul-fleet-health",
        "pit-air-dust-watch",
        "remote-pump-stations",
    ]
    spec_requests = [r for r in fake_openai.requests if "hero_image" in _schema(r).get("properties", {})]
    props = _schema(spec_requests[0])["properties"]
    assert props["offerings"]["items"]["properties"]["id"]["enum"][0] == "haul-fleet-health"
    assert props["hero_image"]["enum"]  # the pictures the personalizer described


@pytest.mark.parametrize("template", DECOMPOSED)
async def test_prompts_show_no_page_talk_and_the_writers_never_see_the_profile(template, fake_registry):
    # What the templates themselves say to the agents whose words reach the page (scenario text is data).
    for node in load_template(template).nodes:
        if node.kind == "agent":
            assert not META.search(node.system + node.prompt), (
                node.id,
                META.search(node.system + node.prompt),
            )
    result = await _run(template, fake_registry)
    writers = [n for n in result.nodes if n.kind == "agent" and n.id not in {"personalizer", "designer"}]
    assert writers
    for node in writers:
        text = " ".join(m["content"] for m in node.messages)
        for private in ("Dana Whitfield", "Redgum Ridge Gold", "88%", "Goldfields Mining Expo"):
            assert private not in text, (node.id, private)


async def test_facts_on_the_page_come_from_the_scenario(fake_openai, fake_registry):
    def responder(body):
        props = _schema(body).get("properties", {})
        if "notes" in props:
            return FakeReply(
                content=json.dumps(
                    {
                        "notes": [props["notes"]["items"]["enum"][0]],
                        "offerings": ["professional-bike-fit", "hand-built-wheels"],
                        "visual_elements": [
                            {"label": "hero", "description": "A road cyclist on a coast road"},
                            {"label": "wheels", "description": "A hand-built wheel in a truing stand"},
                        ],
                    }
                )
            )
        if "hero_image" in props:
            return FakeReply(
                content=json.dumps(
                    {
                        "headline": "Ride long without the ache",
                        "subheadline": "We fit your bike to you. Call 0800 000 000 for 50% off!",
                        "hero_image": "hero",
                        "pain_points": [
                            {
                                "source": "bike-fit",
                                "title": "Sore knees",
                                "text": "A low saddle strains knees.",
                            }
                        ],
                        "offerings": [
                            {"id": "hand-built-wheels", "text": "Wheels that stay true.", "image": "wheels"},
                            {"id": "professional-bike-fit", "text": "We set you up right.", "image": "hero"},
                        ],
                        "closing_headline": "Pop in for a chat",
                        "closing_text": "We are on Cooper's Wynd.",
                    }
                )
            )
        return None

    fake_openai.set_responder(responder)
    result = await _run("seed", fake_registry, CYCLE_SHOP, "ewan-road")
    assert result.status == "ok", [(n.id, n.error) for n in result.nodes if n.error]
    page = result.page_html or ""
    for fact in (
        "Hand-Built Wheels",
        "from £420",
        "Professional Bike Fit",
        "£140",
        "0131 496 0724",
        "hello@spokeandsprocket.example",
        "Tue-Sat 9:00-18:00",
        "Book a service",
        "Callum Drummond",
    ):
        assert fact in page, fact
    assert page.index("Hand-Built Wheels") < page.index("Professional Bike Fit")  # the writer's order
    assert "Ride long without the ache" in page and "Wheels that stay true." in page
    # Pictures differ and print no label.
    artist = result.node("artist").images
    assert artist[0].data != artist[1].data and ">hero<" not in artist[0].data
    # Each picture once: the bike-fit card asked for the hero's picture and gets a drawing of its own.
    sources = re.findall(r'<img[^>]*\ssrc="data:image/svg\+xml;base64,([^"]+)"', page)
    pictures = [s for s in sources if b'viewBox="0 0 800 450"' in base64.b64decode(s)]  # not the logo
    assert len(pictures) == 3 and len(set(pictures)) == 3


@pytest.mark.parametrize("template", DECOMPOSED)
async def test_what_the_personalizer_writes_of_the_profile_never_reaches_a_writer(
    template, fake_openai, fake_registry
):
    # The chooser reads the profile; its free text (picture descriptions) may repeat it, so the writers are
    # shown only its choices (ids) and the pictures' labels.
    def responder(body):
        props = _schema(body).get("properties", {})
        if "notes" in props:
            assert set(props) == {"notes", "offerings", "visual_elements"}  # nothing free-form but pictures
            return FakeReply(
                content=json.dumps(
                    {
                        "notes": [props["notes"]["items"]["enum"][0]],
                        "offerings": [props["offerings"]["items"]["enum"][0]],
                        "visual_elements": [
                            {"label": "fleet", "description": "Redgum Ridge Gold trucks at 88% availability"},
                            {"label": "pit", "description": "Dana Whitfield in the pit"},
                        ],
                    }
                )
            )
        return None

    fake_openai.set_responder(responder)
    result = await _run(template, fake_registry)
    writers = [n for n in result.nodes if n.kind == "agent" and n.id not in {"personalizer", "designer"}]
    assert writers
    for node in writers:
        text = " ".join(m["content"] for m in node.messages)
        for private in ("Dana Whitfield", "Redgum Ridge Gold", "88%"):
            assert private not in text, (node.id, private)


async def test_prompt_text_a_writer_copies_is_kept_off_the_page_or_marked_down(fake_openai, fake_registry):
    # The run's own prompts are what the design system filters copy against and what the integrity axis
    # compares a page with. seed: the copied headline never reaches the page. single (raw HTML, no design
    # system to filter it): the copied line is on the page and the axis marks it down.
    copied = "What one of our offerings does for them"
    raw = (
        '<!DOCTYPE html><html lang="en"><head><title>Ridgeline</title></head><body><main>'
        "<h1>Haul trucks that stay on the road</h1><h2>Our offerings for them:</h2><p>Sensors.</p>"
        "</main></body></html>"
    )

    def responder(body):
        props = _schema(body).get("properties", {})
        if "hero_image" in props:
            return FakeReply(
                content=json.dumps(
                    {
                        "headline": copied,
                        "subheadline": "We keep your trucks running.",
                        "hero_image": props["hero_image"]["enum"][0],
                        "pain_points": [],
                        "offerings": [],
                        "closing_headline": "Talk to us",
                        "closing_text": "We reply within a day.",
                    }
                )
            )
        if "Build a landing page" in body["messages"][-1]["content"]:
            return FakeReply(content=raw)
        return None

    fake_openai.set_responder(responder)
    seed = await _run("seed", fake_registry)
    assert seed.status == "ok" and copied not in (seed.page_html or "")
    assert seed.qa_axes["integrity"] == 1.0
    single = await _run("single", fake_registry)
    assert single.status == "ok", [(n.id, n.error) for n in single.nodes if n.error]
    flagged = [f for f in single.qa_findings if f.check == "integrity.meta" and not f.passed]
    assert flagged and "Our offerings for them:" in flagged[0].evidence
    assert "repeats the workflow's own prompt" in flagged[0].message and single.qa_axes["integrity"] < 1.0


COPYWRITER = """
- id: copywriter
  kind: agent
  model: fake/small
  prompt: "{% for o in offering_items if o.id in personalizer.offerings %}{{ o.name }}; {% endfor %}"
  output_format: json
  output_schema:
    type: object
    required: [headline, tagline]
    properties: {headline: {type: string}, tagline: {type: string}}
"""


async def test_an_agent_wired_to_the_page_writes_the_spec_fields_it_names(fake_openai, fake_registry):
    # A copywriter node that writes {"headline": ...} and is wired to the page replaces the developer's
    # headline; a field that is not a page-spec text field ("tagline") is not copied anywhere.
    text = (ROOT / "workflow_core" / "workflow" / "templates" / "seed.yaml").read_text(encoding="utf-8")
    text = text.replace("- id: site\n", COPYWRITER.lstrip("\n") + "- id: site\n")
    text += "- {source: personalizer, target: copywriter}\n- {source: copywriter, target: site}\n"
    wf = parse_workflow(text).with_models(all_models="fake/small")

    def responder(body):
        if set(_schema(body).get("properties", {})) == {"headline", "tagline"}:
            return FakeReply(
                content=json.dumps({"headline": "Catch failures before the ramp", "tagline": "Zzq"})
            )
        return None

    fake_openai.set_responder(responder)
    engine = Engine(fake_registry, prices=PriceBook(), hooks=standard_hooks(None))
    result = await engine.run(wf, RunInputs.for_profile(load_scenario(EXAMPLE), "dana-mining"))
    assert result.status == "ok", [(n.id, n.error) for n in result.nodes if n.error]
    page = result.page_html or ""
    assert re.search(r"<h1[^>]*>Catch failures before the ramp</h1>", page)
    assert "Zzq" not in page
    assert result.node("site").output_data == {"source": "developer", "copy": {"headline": "copywriter"}}
    # Without the edge to the page, the copywriter's words go nowhere: the developer's headline stands.
    unwired = wf.model_copy(
        update={"edges": [e for e in wf.edges if e.target != "site" or e.source != "copywriter"]}
    )
    again = await engine.run(unwired, RunInputs.for_profile(load_scenario(EXAMPLE), "dana-mining"))
    assert "Catch failures before the ramp" not in (again.page_html or "")
    assert again.node("site").output_data == {"source": "developer"}


async def test_a_heading_lifted_from_the_middle_of_a_note_never_reaches_the_page(fake_openai, fake_registry):
    """Issue 24: the page a run builds leaves out copy the truncation check would call cut off (a heading
    lifted from the middle of a research sentence, stopped part-way), by the check's own rule, which the node
    hands the design system with the run's passages, offerings and names."""
    from workflow_core.page.copy import cut_off, cut_prefixes
    from workflow_core.quality.truncation import SourceText

    lifted: list[str] = []

    def responder(body):
        props = _schema(body).get("properties", {})
        if "notes" in props:
            return FakeReply(
                content=json.dumps(
                    {
                        "notes": props["notes"]["items"]["enum"][:1],
                        "offerings": ["professional-bike-fit"],
                        "visual_elements": [
                            {"label": "hero", "description": "A road cyclist on a coast road"},
                            {"label": "fit", "description": "A bike on a fitting jig"},
                        ],
                    }
                )
            )
        if "hero_image" in props:
            prompt = body["messages"][-1]["content"]
            note = re.search(r"\] (.+)", prompt.split("What we offer them")[0]).group(1)
            rule = SourceText.for_page([note], [], [])
            words = note.split()
            # A run of words from inside a sentence of the note that the check calls cut off, ending on a word
            # a heading may end on (a title that ends on "and" is trimmed before any of this).
            lifted.append(
                next(
                    run.capitalize()
                    for i in range(1, len(words))
                    for n in range(5, 9)
                    if (run := " ".join(words[i : i + n])).isascii()
                    and re.fullmatch(r"[a-z]{4,}", words[i + n - 1] if i + n <= len(words) else "")
                    and words[i + n - 1] not in {"with", "from", "their", "your", "that", "which"}
                    and rule.cut_copy(run)
                    and not cut_off(run, cut_prefixes([note]))  # not a sentence's start: the old rule's
                )
            )
            return FakeReply(
                content=json.dumps(
                    {
                        "headline": "Ride long without the ache",
                        "subheadline": "We fit your bike to how you ride.",
                        "hero_image": "hero",
                        "pain_points": [
                            {"source": "n", "title": lifted[0], "text": "It costs you every long ride."},
                            {"source": "n", "title": "Sore knees", "text": "A low saddle strains knees."},
                        ],
                        "offerings": [{"id": "professional-bike-fit", "text": "We set you up right."}],
                        "closing_headline": "Pop in for a chat",
                        "closing_text": "Book a fit and ride further.",
                    }
                )
            )
        return None

    fake_openai.set_responder(responder)
    result = await _run("seed", fake_registry, CYCLE_SHOP, "ewan-road")
    assert result.status == "ok", [(n.id, n.error) for n in result.nodes if n.error]
    page = result.page_html or ""
    assert lifted and lifted[0] not in page and "Sore knees" in page

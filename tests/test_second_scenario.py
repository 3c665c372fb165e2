"""The second shipped scenario, a neighbourhood bike shop: a consumer business unlike the example (profile keys
such as `rides_for` and `household`, notes tagged `segment:`, offerings in YAML with prices, guidelines and design
steps as free text, testimonials as quoted paragraphs) loads and runs through every template on the fake
server."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.scenario import load_scenario, scenario_inputs
from workflow_core.workflow.templates import TEMPLATE_NAMES, load_template

CYCLE_SHOP = Path(__file__).resolve().parents[1] / "assets" / "cycle_shop_scenario"


def test_the_bike_shop_loads_with_its_free_text_parts() -> None:
    s = load_scenario(CYCLE_SHOP)
    assert s.company.name == "Spoke & Sprocket Cycles" and not s.warnings
    assert set(s.offerings) == {"commuting", "road", "family"}
    assert len(s.design_steps) == 5 and s.design_steps[1].endswith("with the prices from our list")
    assert [t.segment for t in s.testimonials] == ["commuting", "road", "family", "road", None]
    assert s.testimonials[-1].author == ""  # a quote with no attribution
    # No profile has an industry or segment key: each rider's segment is read from what they wrote.
    assert {p: scenario_inputs(s, p)["segment"] for p in s.profiles} == {
        "maya-commuter": "commuting",
        "ewan-road": "road",
        "lena-family": "family",
    }
    assert not any({"industry", "segment", "role", "company"} & set(p) for p in s.profiles.values())


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
async def test_every_template_runs_on_the_bike_shop(template, fake_registry) -> None:
    scenario = load_scenario(CYCLE_SHOP)
    wf = load_template(template).with_models(all_models="fake/small")
    engine = Engine(fake_registry, prices=PriceBook(), hooks=standard_hooks(None))
    result = await engine.run(wf, RunInputs.for_profile(scenario, "ewan-road"))
    assert result.status == "ok", [(n.id, n.error) for n in result.nodes if n.error]
    research = result.node("research").passages
    # The notes name their segment under `segment:`, and retrieval filters on it.
    assert research and all(p.metadata["segment"] == "road" for p in research[:2])
    assert "<html" in (result.page_html or "").lower()

"""A scenario of the user's own (issue 27): made empty, with its own logo and call to action, and what a copy
of a shipped example still borrows from it said plainly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workflow_core.errors import ScenarioError
from workflow_core.scenario import load_scenario, scenario_inputs
from workflow_core.scenario.borrowed import borrowed
from workflow_core.workspace import CYCLE_SHOP_SCENARIO, EXAMPLE_SCENARIO, create_scenario, set_scenario_logo

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SHIPPED = [
    (load_scenario(EXAMPLE_SCENARIO), EXAMPLE_SCENARIO),
    (load_scenario(CYCLE_SHOP_SCENARIO), CYCLE_SHOP_SCENARIO),
]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_a_new_scenario_holds_the_company_and_nothing_of_an_example() -> None:
    root = create_scenario("  Crumb & Co Bakery ")
    scenario = load_scenario(root)
    assert scenario.company.name == "Crumb & Co Bakery"
    assert (scenario.documents, scenario.testimonials, scenario.profiles) == ([], [], {})
    assert scenario.logo_data is None and scenario.guidelines == ""
    assert borrowed(scenario, root, SHIPPED) == []
    assert create_scenario("Crumb & Co Bakery") != root  # a second one never overwrites the first
    with pytest.raises(ScenarioError, match="needs the company's name"):
        create_scenario("   ")


def test_the_company_call_to_action_comes_before_the_guidelines_one() -> None:
    root = create_scenario("Crumb & Co Bakery")
    (root / "guidelines.md").write_text('Always include a call to action: "Visit the shop today".\n')
    assert scenario_inputs(load_scenario(root), None)["cta"] == "Visit the shop today"
    company = json.loads((root / "company.json").read_text()) | {"call_to_action": "Order a celebration cake"}
    (root / "company.json").write_text(json.dumps(company))
    assert scenario_inputs(load_scenario(root), None)["cta"] == "Order a celebration cake"


def test_a_logo_is_an_svg_or_a_png_and_replaces_the_other_kind() -> None:
    root = create_scenario("Crumb & Co Bakery")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    )
    assert set_scenario_logo(root, "logo.svg", svg.encode()) == root
    assert load_scenario(root).logo_mime == "image/svg+xml"
    set_scenario_logo(root, "Logo.PNG", PNG)
    assert not (root / "logo.svg").exists() and load_scenario(root).logo_mime == "image/png"
    for name, data, says in (
        ("logo.jpg", b"...", "an .svg or a .png"),
        ("logo.png", b"GIF89a", "not a PNG"),
        ("logo.png", PNG + b"\x00" * 1_000_001, "under 1 MB"),
    ):
        with pytest.raises(ScenarioError, match=says):
            set_scenario_logo(root, name, data)
    assert load_scenario(root).logo_mime == "image/png"  # a refused logo leaves the one there


def test_a_copy_of_the_example_says_what_it_still_borrows(tmp_path: Path) -> None:
    copy = tmp_path / "bakery-from-example"
    shutil.copytree(EXAMPLE_SCENARIO, copy)
    lines = borrowed(load_scenario(copy), copy, SHIPPED)
    assert any("logo" in line for line in lines)
    assert any("Book a site assessment" in line for line in lines)
    assert any("testimonial" in line for line in lines) and any("guidelines" in line for line in lines)
    assert borrowed(SHIPPED[0][0], EXAMPLE_SCENARIO, SHIPPED) == []  # the example itself borrows nothing

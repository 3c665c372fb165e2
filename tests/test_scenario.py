import base64
import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.helpers import bedrock_knowledge_base, bedrock_zip, write
from workflow_core.errors import ScenarioError
from workflow_core.scenario import (
    INPUT_NAMES,
    import_scenario_zip,
    load_scenario,
    profile_segment,
    profile_to_prose,
    save_scenario_file,
    save_scenario_files,
    scenario_inputs,
)
from workflow_core.workspace import EXAMPLE_SCENARIO, HOME_ENV, edit_scenario, scenarios_dir

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"


def test_example_scenario_loads_completely() -> None:
    s = load_scenario(EXAMPLE)
    assert s.company.name == "Ridgeline Fieldworks"
    assert s.company.palette.accent == "#e8a33d"
    assert len(s.documents) >= 9
    segments = {d.metadata["industry"] for d in s.documents}
    assert {"mining", "agriculture", "logistics"} <= segments
    for segment in segments:
        assert sum(d.metadata["industry"] == segment for d in s.documents) >= 3
        assert segment in s.offerings
    for doc in s.documents:
        assert 150 <= len(doc.text.split()) <= 300, doc.name
        assert {"industry", "topic", "year"} <= doc.metadata.keys()
    assert len(s.testimonials) >= 6
    assert [step.split(":")[0] for step in s.design_steps][:2] == ["Header", "Hero"]
    assert s.logo_mime == "image/svg+xml" and "Ridgeline" in (s.logo_data or "")
    assert len(s.profiles) >= 4
    assert len({profile_segment(p, s) for p in s.profiles.values()}) >= 4
    assert "dana-mining" in s.profiles


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "company.json", '{"tagline": "no name", "palette": {"primary": "blue"}}')
    write(tmp_path, "knowledge/a.txt", "note a")
    write(tmp_path, "knowledge/a.txt.metadata.json", '{"industry": "mining"}')
    write(tmp_path, "knowledge/b.md", "---\nindustry: [unclosed\n---\nbody")
    write(tmp_path, "knowledge/gone.txt.metadata.json", '{"metadataAttributes": {}}')
    write(tmp_path, "offerings.json", '{\n  "mining": "x",\n  "farming": 3\n}')
    write(tmp_path, "testimonials.json", '[{"author": "Ann"}]')
    write(tmp_path, "profiles/p1.json", '{\n  "name": "A",\n  "role": \n}')
    write(tmp_path, "profiles/p2.json", "[1, 2]")
    write(tmp_path, "logo.svg", "not svg")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    problems = info.value.problems
    text = str(info.value)
    assert "name is required" in text  # the missing company name
    assert "palette.primary" in text
    assert any(p.field == "knowledge/a.txt.metadata.json" and "Bedrock" in p.message for p in problems)
    assert any(p.field == "knowledge/b.md" and p.line == 2 for p in problems)
    # A sidecar that matches no document is a warning (see the knowledge-base test), never a failure.
    assert not any(p.field == "knowledge/gone.txt.metadata.json" for p in problems)
    assert any("farming" in p.message for p in problems)
    assert any("quote" in p.message for p in problems)
    bad_json = next(p for p in problems if p.field == "profiles/p1.json")
    assert "not valid JSON" in bad_json.message and bad_json.line == 4  # the "}" after "role":
    assert any(p.field == "profiles/p2.json" and "object" in p.message for p in problems)
    assert any(p.field == "logo.svg" for p in problems)
    assert len(problems) >= 9


def test_missing_company_file_and_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no company\.json"):
        load_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="not a folder"):
        load_scenario(tmp_path / "nope")


def test_visitors_from_another_folder_replace_the_scenarios_own(tmp_path: Path) -> None:
    (tmp_path / "ada.json").write_text(json.dumps({"name": "Ada", "industry": "Mining"}))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ScenarioError, match=r"bad\.json"):
        load_scenario(EXAMPLE, profiles=tmp_path)
    (tmp_path / "bad.json").unlink()
    s = load_scenario(EXAMPLE, profiles=tmp_path)
    assert list(s.profiles) == ["ada"] and s.company.name == "Ridgeline Fieldworks"
    assert "dana-mining" in load_scenario(EXAMPLE).profiles
    with pytest.raises(ScenarioError, match=r"not a folder of \.json profiles"):
        load_scenario(EXAMPLE, profiles=tmp_path / "nope")


def test_metadata_from_sidecar_and_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "company.yaml", "name: Acme\n")
    write(tmp_path, "knowledge/x.txt", "text x")
    sidecar = {
        "metadataAttributes": {"industry": "Mining", "tags": {"value": {"stringListValue": ["a", "b"]}}}
    }
    write(tmp_path, "knowledge/x.txt.metadata.json", json.dumps(sidecar))
    write(tmp_path, "knowledge/sub/y.md", "---\nindustry: logistics\nyear: 2023\n---\n# Title\nbody text")
    write(tmp_path, "knowledge/sub/y.md.metadata.json", '{"metadataAttributes": {"year": 2024}}')
    s = load_scenario(tmp_path)
    docs = {d.name: d for d in s.documents}
    assert docs["x.txt"].metadata == {"industry": "Mining", "tags": ["a", "b"]}
    assert docs["sub/y.md"].metadata == {"industry": "logistics", "year": 2024}
    assert docs["sub/y.md"].text.startswith("# Title")


def test_jsonl_profiles_offering_folder_and_markdown_testimonials(tmp_path: Path) -> None:
    write(tmp_path, "company.json", '{"name": "Acme"}')
    write(tmp_path, "profiles.jsonl", '{"id": "p1", "sector": "Farming"}\n\n{"name": "Bo Li", "x": 1}\n{}\n')
    write(tmp_path, "offerings/farming.md", "Tractors.")
    write(tmp_path, "offerings/ports.txt", "Cranes.")
    write(
        tmp_path,
        "testimonials.md",
        "> Best tractors.\n> Really.\n— Ann Lee, Grower | farming\n\n> Ok.\n- Bob\n",
    )
    write(tmp_path, "design_steps.md", "Header\n\nHero\nFooter\n")
    s = load_scenario(tmp_path)
    assert set(s.profiles) == {"p1", "bo-li", "profile-3"}
    assert s.offerings == {"farming": "Tractors.", "ports": "Cranes."}
    assert s.testimonials[0].quote == "Best tractors. Really."
    assert (s.testimonials[0].author, s.testimonials[0].role, s.testimonials[0].segment) == (
        "Ann Lee",
        "Grower",
        "farming",
    )
    assert s.testimonials[1].author == "Bob"
    assert s.design_steps == ["Header", "Hero", "Footer"]
    assert profile_segment(s.profiles["p1"], s) == "farming"


def test_jsonl_problems_carry_line_numbers(tmp_path: Path) -> None:
    write(tmp_path, "company.json", '{"name": "Acme"}')
    write(tmp_path, "profiles.jsonl", '{"id": "a"}\n{oops\n[1]\n{"id": "a"}\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    lines = {p.line for p in info.value.problems}
    assert {2, 3} <= lines
    assert "unique" in str(info.value)


def test_scenario_inputs_follow_the_profile_segment() -> None:
    s = load_scenario(EXAMPLE)
    assert set(INPUT_NAMES) == set(scenario_inputs(s, "dana-mining"))
    mining = scenario_inputs(s, "dana-mining")
    assert mining["segment"] == "mining"
    assert "Haul Fleet Health" in mining["offerings"]
    assert "Irrigation Pivot Guard" not in mining["offerings"]
    assert mining["testimonials"][0]["segment"] == "mining"
    assert mining["palette"]["primary"] == "#1d4e5f"
    assert mining["logo"].startswith("data:image/svg+xml;base64,")
    assert "Ridgeline" in base64.b64decode(mining["logo"].split(",", 1)[1]).decode()
    farm = scenario_inputs(s, "marcus-agriculture")  # uses `sector`, not `industry`
    assert farm["segment"] == "agriculture" and "Irrigation Pivot Guard" in farm["offerings"]
    assert scenario_inputs(s, "arjun-utilities")["segment"] == "utilities"  # `segment: Utilities`
    nobody = scenario_inputs(s, None)
    assert (
        nobody["segment"] is None
        and "## mining" in nobody["offerings"]
        and "## logistics" in nobody["offerings"]
    )
    with pytest.raises(ScenarioError, match="dana-mining"):
        scenario_inputs(s, "ghost")


def test_profile_segment_falls_back_to_profile_text() -> None:
    s = load_scenario(EXAMPLE)
    assert profile_segment({"bio": "Runs a small logistics depot"}, s) == "logistics"
    assert profile_segment({"industry": "Mining & Resources"}, s) == "mining"
    assert profile_segment({"industry": "banking"}, s) is None


def test_profile_to_prose_known_and_unknown_keys() -> None:
    prose = profile_to_prose(
        {
            "id": "x",
            "name": "Dana Whitfield",
            "role": "Head of Operations",
            "company": "Redgum Ridge Gold",
            "industry": "Mining",
            "location": "Western Australia",
            "interests": ["dust", "uptime"],
            "favourite_colour": "teal",
            "fleet": {"trucks": 40},
        }
    )
    assert prose.startswith(
        "Dana Whitfield is Head of Operations at Redgum Ridge Gold, a mining company in Western Australia."
    )
    assert "Interests: dust and uptime." in prose
    assert "Favourite colour: teal" in prose
    assert "Fleet: trucks: 40" in prose
    assert "x" not in prose.split()
    assert profile_to_prose({"shoe_size": 44, "vip": True}) == "Shoe size: 44\nVip: yes"
    assert profile_to_prose({}) == "No details are known about this visitor."
    assert profile_to_prose({"b": 1, "a": 2}) == profile_to_prose({"b": 1, "a": 2})


def test_save_scenario_file_validates_before_writing(tmp_path: Path) -> None:
    write(tmp_path, "company.json", '{"name": "Acme"}')
    path = save_scenario_file(tmp_path, "profiles/new.json", '{"name": "Zoe", "industry": "ports"}')
    assert path == tmp_path / "profiles" / "new.json"
    assert load_scenario(tmp_path).profiles["new"]["name"] == "Zoe"
    with pytest.raises(ScenarioError, match="not valid JSON"):
        save_scenario_file(tmp_path, "company.json", '{"name": ')
    with pytest.raises(ScenarioError, match="name"):
        save_scenario_file(tmp_path, "company.json", '{"tagline": "x"}')
    with pytest.raises(ScenarioError, match="Bedrock"):
        save_scenario_file(tmp_path, "knowledge/a.md.metadata.json", '{"industry": "x"}')
    with pytest.raises(ScenarioError, match=r"inside the scenario"):
        save_scenario_file(tmp_path, "../evil.txt", "x")
    assert json.loads((tmp_path / "company.json").read_text())["name"] == "Acme"
    assert not (tmp_path.parent / "evil.txt").exists()
    save_scenario_file(tmp_path, "guidelines.md", "# Rules\nBe kind.")
    assert load_scenario(tmp_path).guidelines == "# Rules\nBe kind."


def test_save_scenario_files_checks_every_file_before_writing_any(tmp_path: Path) -> None:
    write(tmp_path, "company.json", '{"name": "Acme"}')
    write(tmp_path, "profiles/old.json", '{"name": "Old"}')
    with pytest.raises(ScenarioError) as info:
        save_scenario_files(
            tmp_path,
            {"guidelines.md": "# Rules", "profiles/a.json": "[]", "company.json": "{"},
            remove=["profiles/old.json", "../outside.txt"],
        )
    assert [p.field for p in info.value.problems] == ["profiles/a.json", "company.json", None]
    assert not (tmp_path / "guidelines.md").exists() and (tmp_path / "profiles" / "old.json").exists()

    save_scenario_files(tmp_path, {"profiles/new.json": '{"name": "New"}'}, remove=["profiles/old.json"])
    assert set(load_scenario(tmp_path).profiles) == {"new"}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_editing_the_shipped_example_writes_a_copy_in_the_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    shipped = _files(EXAMPLE_SCENARIO)
    profile = next(iter(sorted((EXAMPLE_SCENARIO / "profiles").glob("*.json"))))

    with pytest.raises(ScenarioError, match="not valid JSON"):
        edit_scenario(EXAMPLE_SCENARIO, {"guidelines.md": "# Short", "company.json": "{ not json"})
    assert not scenarios_dir().exists()  # a rejected edit copies nothing

    copy = edit_scenario(
        EXAMPLE_SCENARIO, {"guidelines.md": "# Short\n"}, remove=[f"profiles/{profile.name}"]
    )
    assert copy.parent == scenarios_dir() and copy != EXAMPLE_SCENARIO
    assert _files(EXAMPLE_SCENARIO) == shipped
    edited = load_scenario(copy)
    assert edited.guidelines == "# Short"
    assert set(edited.profiles) == set(load_scenario(EXAMPLE_SCENARIO).profiles) - {profile.stem}
    assert edited.company == load_scenario(EXAMPLE_SCENARIO).company

    # The copy is the user's own: later edits go to it in place, no second copy.
    assert edit_scenario(copy, {"guidelines.md": "# Shorter\n"}) == copy
    assert load_scenario(copy).guidelines == "# Shorter"
    assert list(scenarios_dir().iterdir()) == [copy]
    assert _files(EXAMPLE_SCENARIO) == shipped


def make_zip(entries: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
    return buf.getvalue()


def test_import_zip_finds_the_scenario_root(tmp_path: Path) -> None:
    data = make_zip({"acme/company.json": '{"name": "Acme"}', "acme/knowledge/n.txt": "hello"})
    root = import_scenario_zip(data, tmp_path / "imported")
    assert root == (tmp_path / "imported" / "acme").resolve()
    assert load_scenario(root).documents[0].text == "hello"
    with pytest.raises(ScenarioError, match="not empty"):
        import_scenario_zip(data, tmp_path / "imported")


def test_import_zip_rejects_traversal_and_junk(tmp_path: Path) -> None:
    evil = make_zip({"company.json": '{"name": "A"}', "../escape.txt": "x", "/abs.txt": "y"})
    with pytest.raises(ScenarioError) as info:
        import_scenario_zip(evil, tmp_path / "dest")
    assert len(info.value.problems) == 2
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "dest").exists()
    with pytest.raises(ScenarioError, match="not a zip"):
        import_scenario_zip(b"plain bytes", tmp_path / "d2")
    with pytest.raises(ScenarioError, match=r"no company\.json"):
        import_scenario_zip(make_zip({"readme.txt": "hi"}), tmp_path / "d3")


def test_a_bedrock_style_knowledge_base_loads_with_warnings_for_what_it_skips(tmp_path: Path) -> None:
    bedrock_knowledge_base(tmp_path)
    s = load_scenario(tmp_path)
    docs = {d.name: d for d in s.documents}
    assert set(docs) == {"crlf.txt", "cr.md", "stem.txt", "twin.txt", "twin.md", "space.txt"}
    assert docs["crlf.txt"].text == "line one\nline two" and docs["crlf.txt"].metadata == {
        "industry": "mining"
    }
    assert docs["cr.md"].text == "old mac\nline"
    assert docs["stem.txt"].metadata == {"industry": "logistics"}  # doc.metadata.json, unambiguous
    assert docs["twin.txt"].metadata == {} and docs["twin.md"].metadata == {}  # ambiguous: not guessed
    assert len(s.warnings) == 2
    assert any("twin.metadata.json" in w for w in s.warnings)
    assert any("space.txt .metadata.json" in w and "stray spaces" in w for w in s.warnings)


def test_a_zipped_bedrock_knowledge_base_imports_without_the_os_junk(tmp_path: Path) -> None:
    root = import_scenario_zip(bedrock_zip(tmp_path / "src"), tmp_path / "imported")
    assert not list(root.rglob(".DS_Store")) and not (tmp_path / "imported" / "kb" / "__MACOSX").exists()
    assert len(load_scenario(root).documents) == 6


def _zip_with(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _corrupt_deflate(data: bytes, name: bytes) -> bytes:
    """Flip bytes inside the compressed data of the entry called `name`."""
    start = data.index(name) + len(name) + 10
    return data[:start] + bytes(b ^ 0xFF for b in data[start : start + 20]) + data[start + 20 :]


def _lie_about_size(data: bytes) -> bytes:
    """Make every header claim the first entry is smaller than it is."""
    z = zipfile.ZipFile(io.BytesIO(data))
    info = z.infolist()[0]
    real = info.file_size.to_bytes(4, "little")
    return data.replace(real, (info.file_size // 2).to_bytes(4, "little"))


@pytest.mark.parametrize("damage", ["deflate", "size"])
def test_a_damaged_zip_is_one_clear_error_and_leaves_nothing_behind(tmp_path: Path, damage: str) -> None:
    good = _zip_with({"s/company.json": b'{"name": "Acme"}', "s/knowledge/a.txt": b"hello world " * 400})
    bad = _corrupt_deflate(good, b"s/knowledge/a.txt") if damage == "deflate" else _lie_about_size(good)
    dest = tmp_path / "scenarios" / "new"
    with pytest.raises(ScenarioError) as info:
        import_scenario_zip(bad, dest)
    assert "damaged" in str(info.value) and ("a.txt" in str(info.value) or damage == "size")
    assert not dest.exists() and list((tmp_path / "scenarios").iterdir()) == []


CYCLE = Path(__file__).resolve().parents[1] / "assets" / "cycle_shop_scenario"


def test_a_visitor_whose_industry_is_their_employers_gets_the_segment_of_the_offers_they_ask_for() -> None:
    """holdout13: a CRM's `industry` was the visitor's employer's ("Higher education"), not a kind of rider; the
    segment was read as none, so a commuter's page offered the Kids' Bike Trade-Up and the verdict called every
    commuter offering "for another segment" (its fallback to the profile's own industry)."""
    s = load_scenario(CYCLE)
    commuter = {
        "name": "Niamh Gallacher",
        "industry": "Higher education",
        "company": "A university",
        "interests": ["Winter-Ready Service", "a loan bike while hers is in"],
        "goals": "Have the bike serviced before the clocks change; she already has a lock and lights.",
    }
    assert profile_segment(commuter, s) == "commuting"
    assert scenario_inputs(s, None)["segment"] is None
    road = {
        **commuter,
        "interests": ["hand-built wheels", "the Sunday Shop Ride"],
        "goals": "A sportive in June.",
    }
    assert profile_segment(road, s) == "road"
    # Only words one segment's offerings have count ("bike" is in every list), and a tie names none.
    vague = {**commuter, "interests": ["a new bike", "a service"], "goals": "Ride more."}
    assert profile_segment(vague, s) is None
    # A segment the profile names still comes first.
    assert profile_segment({**commuter, "industry": "Family"}, s) == "family"

from __future__ import annotations

from workflow_core.records import NodeRecord
from workflow_core.scenario import INPUT_NAMES
from workflow_core.workflow.files import parse_workflow
from workflow_core.workflow.graph import available_variables, critical_path, topological_layers, validate
from workflow_core.workflow.templates import TEMPLATE_NAMES, load_template

CYCLE_AND_UNKNOWN = """
nodes:
  - {id: a, model: local/qwen2.5-coder-0.5b, prompt: "start"}
  - {id: b, model: local/qwen2.5-coder-0.5b, prompt: "{{ a }} then {{ c }}"}
  - {id: c, model: local/qwen2.5-coder-0.5b, prompt: "{{ b }}"}
  - {id: w, model: local/qwen2.5-coder-0.5b, prompt: "write for {{ visiter }}"}
edges:
  - {source: a, target: b}
  - {source: b, target: c}
  - {source: c, target: b}
  - {source: a, target: w}
"""


def test_reports_cycle_and_unknown_variable_with_node_ids():
    problems = validate(parse_workflow(CYCLE_AND_UNKNOWN))
    cycle = [p for p in problems if "cycle" in p.message]
    assert {p.node_id for p in cycle} == {"b", "c"}
    unknown = [p for p in problems if "visiter" in p.message]
    assert [p.node_id for p in unknown] == ["w"] and unknown[0].field == "prompt"
    assert "Available here: a" in unknown[0].message


def test_variable_naming_a_node_that_is_not_upstream():
    wf = parse_workflow(
        "nodes:\n  - {id: a, model: m/x, prompt: hi}\n  - {id: b, model: m/x, prompt: '{{ a }}'}\n"
    )
    (problem,) = validate(wf)
    assert problem.node_id == "b" and "add an edge a → b" in problem.message


def test_dangling_duplicate_and_bad_ids():
    wf = parse_workflow(
        "nodes:\n  - {id: a, model: m/x, prompt: hi}\n  - {id: a, model: m/x, prompt: hi}\n"
        "  - {id: Bad-Id, model: m/x, prompt: hi}\nedges:\n  - {source: a, target: ghost}\n"
    )
    messages = [str(p) for p in validate(wf)]
    assert any("duplicate node id" in m for m in messages)
    assert any("ghost" in m for m in messages)
    assert any("Bad-Id" in m and "lowercase" in m for m in messages)


def test_unknown_model_is_reported_through_the_check():
    wf = parse_workflow("nodes:\n  - {id: a, model: nowhere/model, prompt: hi}\n")
    problems = validate(
        wf, check_model=lambda ref: "unknown provider 'nowhere'" if ref.startswith("nowhere") else None
    )
    assert [(p.node_id, p.field) for p in problems] == [("a", "model")]


def test_template_syntax_error_is_a_problem_not_a_crash():
    wf = parse_workflow("nodes:\n  - {id: a, model: m/x, prompt: '{{ unclosed'}\n")
    (problem,) = validate(wf)
    assert "syntax error" in problem.message


def test_builtin_templates_are_valid_with_scenario_inputs():
    for name in TEMPLATE_NAMES:
        assert validate(load_template(name), inputs=INPUT_NAMES) == [], name


def test_layers_and_available_variables():
    wf = load_template("seed")
    layers = topological_layers(wf)
    assert layers[0] == ["visitor"] and layers[-1] == ["site"]
    names = available_variables(wf, "developer", inputs=["profile"])
    assert "personalizer" in names and "research" in names and "artist" not in names and "profile" in names


def test_critical_path_is_the_longest_chain():
    wf = parse_workflow(
        "nodes:\n  - {id: a, model: m/x, prompt: x}\n  - {id: b, model: m/x, prompt: x}\n"
        "  - {id: c, model: m/x, prompt: x}\n  - {id: d, model: m/x, prompt: x}\n"
        "edges: [{source: a, target: b}, {source: a, target: c}, {source: b, target: d}, {source: c, target: d}]\n"
    )
    lat = {"a": 1.0, "b": 2.0, "c": 5.0, "d": 1.0}
    records = {k: NodeRecord(id=k, kind="agent", latency_s=v) for k, v in lat.items()}
    path, total = critical_path(wf, records)
    assert path == ["a", "c", "d"] and total == 7.0

from __future__ import annotations

import pytest

from workflow_core.errors import WorkflowError
from workflow_core.workflow.files import dump_workflow, parse_workflow
from workflow_core.workflow.kinds import agent_count
from workflow_core.workflow.templates import TEMPLATE_NAMES, load_template, resolve_workflow


def test_yaml_round_trip_keeps_every_template_equal():
    for name in TEMPLATE_NAMES:
        wf = load_template(name)
        assert parse_workflow(dump_workflow(wf)) == wf


def test_dump_writes_prompts_as_literal_blocks():
    text = dump_workflow(load_template("seed"))
    assert "prompt: |" in text


def test_malformed_yaml_reports_its_line():
    with pytest.raises(WorkflowError) as err:
        parse_workflow("nodes:\n  - id: a\n    prompt: [unclosed\n  - id: b\n", source="wf.yaml")
    (problem,) = err.value.problems
    assert problem.line is not None and problem.line >= 3
    assert "wf.yaml is not valid YAML" in problem.message


def test_schema_errors_name_node_field_and_line():
    text = "nodes:\n  - id: writer\n    model: local/x\n    params:\n      temprature: 0.2\n"
    with pytest.raises(WorkflowError) as err:
        parse_workflow(text)
    (problem,) = err.value.problems
    assert problem.node_id == "writer"
    assert problem.field == "nodes.0.params.temprature"
    assert problem.line == 5


def test_every_schema_problem_is_reported_at_once():
    text = "nodes:\n  - id: a\n    kind: robot\n  - id: b\n    params: {max_tokens: -1}\n"
    with pytest.raises(WorkflowError) as err:
        parse_workflow(text)
    assert {p.node_id for p in err.value.problems} == {"a", "b"}


def test_with_models_overrides():
    wf = load_template("seed").with_models({"developer": "local/qwen2.5-coder-1.5b"}, "openai/gpt-4.1-mini")
    assert wf.node("personalizer").model == "openai/gpt-4.1-mini"
    assert wf.node("developer").model == "local/qwen2.5-coder-1.5b"
    assert wf.node("visitor").model is None


def test_templates_span_k_one_to_six():
    assert [agent_count(load_template(n)) for n in TEMPLATE_NAMES] == [1, 1, 2, 3, 4, 6]


def test_resolve_unknown_workflow_says_what_exists():
    with pytest.raises(WorkflowError, match="seed"):
        resolve_workflow("nonexistent-template")


def test_an_unterminated_quote_is_reported_where_it_opens():

    text = 'nodes:\n  - id: a\n    prompt: "oops\n  - id: b\n    prompt: fine\n'
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text)
    problem = info.value.problems[0]
    assert problem.line == 3 and "never closed" in problem.message

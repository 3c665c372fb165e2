"""Prompt templates (workflow_core.workflow.templating): the names a prompt uses, rendering, and the sandbox
that keeps a prompt away from Python internals and from changing the inputs other nodes share."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from workflow_core.workflow.templating import NodeOutput, TemplateError, render, variables_of


def _inputs() -> dict[str, Any]:
    return {
        "profile": {"name": "Maria", "sector": "agriculture"},
        "offerings": [{"title": "Route planning"}, {"title": "Cold chain"}],
        "research": NodeOutput('{"angle": "freshness"}', {"angle": "freshness", "items": ["a", "b"]}),
    }


def test_variables_of_names_the_top_level_variables_only() -> None:
    prompt = (
        "Hi {{ profile.name }}, {{ research.angle }}.\n"
        "{% for o in offerings %}- {{ o.title }}{% endfor %}{% set n = 3 %}{{ n }} {{ 'x' | upper }}"
    )
    assert variables_of(prompt) == {"profile", "research", "offerings"}
    assert variables_of("no variables") == set()


def test_variables_of_reports_a_syntax_error_with_its_line() -> None:
    with pytest.raises(TemplateError, match="syntax error on line 2"):
        variables_of("fine\n{{ profile.name ")


def test_render_reads_inputs_fields_and_filters() -> None:
    out = render(
        "{{ profile.name }} · {{ research }} · {{ research.angle }} · {{ research['items'] | length }}\n"
        "{{ profile | bullets }}\n{{ offerings[0] | tojson }}",
        _inputs(),
    )
    assert out.splitlines() == [
        'Maria · {"angle": "freshness"} · freshness · 2',
        "- name: Maria",
        "- sector: agriculture",
        "{",
        '  "title": "Route planning"',
        "}",
    ]


def test_a_node_output_field_named_like_a_method_is_the_field() -> None:
    assert render("{{ research.items | join(',') }}", _inputs()) == "a,b"


@pytest.mark.parametrize(
    ("prompt", "missing"),
    [("{{ nobody }}", "nobody"), ("{{ profile.age }}", "age"), ("{{ research.missing }}", "missing")],
)
def test_a_missing_variable_or_field_names_itself(prompt: str, missing: str) -> None:
    with pytest.raises(TemplateError, match=missing) as caught:
        render(prompt, _inputs())
    assert "upstream node ids and inputs" in str(caught.value)


@pytest.mark.parametrize(
    "prompt",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ profile.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ research._data }}",
        "{{ research.__dict__ }}",
        "{{ (0).__class__.__subclasses__() }}",
    ],
)
def test_forbidden_attribute_access_is_refused_by_the_sandbox(prompt: str) -> None:
    with pytest.raises(TemplateError, match="sandbox"):
        render(prompt, _inputs())


@pytest.mark.parametrize(
    "prompt",
    [
        "{{ profile.update({'x': 1}) }}",
        "{{ profile.pop('name') }}",
        "{{ offerings.append(1) }}",
        "{{ offerings[0].clear() }}",
        "{% set _ = offerings.append(1) %}",
        "{% for o in offerings %}{{ o.update({'title': 'x'}) }}{% endfor %}",
    ],
)
def test_a_prompt_cannot_change_the_inputs_nodes_share(prompt: str) -> None:
    inputs = _inputs()
    before = copy.deepcopy({k: v for k, v in inputs.items() if k != "research"})
    with pytest.raises(TemplateError, match="sandbox"):
        render(prompt, inputs)
    assert {k: v for k, v in inputs.items() if k != "research"} == before


def test_the_do_statement_is_not_available() -> None:
    inputs = _inputs()
    with pytest.raises(TemplateError, match="syntax error"):
        render("{% do offerings.append(1) %}", inputs)
    assert len(inputs["offerings"]) == 2

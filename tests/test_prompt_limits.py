"""A prompt cannot exhaust memory: repetition and powers are limited before they allocate, and a rendered
prompt over the limit is an error that says what to do."""

from __future__ import annotations

import pytest

from workflow_core.workflow.templating import MAX_PROMPT_CHARS, TemplateError, render


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{{ 'a' * 100000000 }}", "repetition of 100,000,000"),
        ("{{ 100000000 * 'a' }}", "repetition of 100,000,000"),
        ("{{ [1] * 10000000 }}", "repetition of 10,000,000"),
        ("{{ 2 ** 100000 }}", "exponent"),
        ("{% for i in range(10000) %}{{ 'x' * 200 }}{% endfor %}", "over the limit"),
        ("{{ page * 3 }}", "repetition of 1,500,000"),
        ("{{ page }}{{ page }}{{ page }}", "over the limit"),
    ],
)
def test_oversized_prompts_are_refused(template: str, says: str) -> None:
    page = "p" * (MAX_PROMPT_CHARS // 2)
    with pytest.raises(TemplateError, match=says):
        render(template, {"page": page})


def test_ordinary_repetition_and_arithmetic_still_work() -> None:
    assert render("{{ '-' * 3 }} {{ 2 ** 10 }} {{ 3 * 4 }}", {}) == "--- 1024 12"

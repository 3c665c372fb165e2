"""Prompt templates: Jinja2's sandbox with StrictUndefined, so a prompt can neither reach Python internals
nor silently render a missing variable as an empty string."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from workflow_core.errors import DecomposeError


class TemplateError(DecomposeError):
    """A prompt that cannot be rendered (bad syntax, or a variable or field that does not exist)."""


class NodeOutput:
    """An upstream node's output as prompts see it: `{{ node }}` renders the text, `{{ node.field }}` a field
    of its structured output. Internal names start with an underscore, which the sandbox hides from templates,
    so no method or attribute can shadow a field (a field called `items` is the field)."""

    def __init__(self, text: str, data: Any = None) -> None:
        self._text = text
        self._data = data

    @property
    def _fields(self) -> dict[str, Any]:
        return self._data if isinstance(self._data, dict) else {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __str__(self) -> str:
        return self._text

    def __html__(self) -> str:
        return self._text


def _to_json(value: Any, indent: int | None = 2) -> str:
    if isinstance(value, NodeOutput):
        value = value._data if value._data is not None else value._text
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def _bullets(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"- {k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(f"- {_to_json(v, None) if isinstance(v, dict) else v}" for v in value)
    return str(value)


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    # Immutable: nodes run concurrently on shared inputs, so a prompt must not be able to mutate them.
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    env.filters["tojson"] = _to_json
    env.filters["bullets"] = _bullets
    return env


@lru_cache(maxsize=1024)
def variables_of(template: str) -> frozenset[str]:
    """The top-level names a template uses (raises TemplateError on a syntax error). Cached: validation
    runs before every run, on prompts that rarely change."""
    try:
        ast = environment().parse(template)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error on line {exc.lineno}: {exc.message}") from exc
    return frozenset(meta.find_undeclared_variables(ast))


@lru_cache(maxsize=512)
def _compiled(template: str) -> Template:
    # Compiling is most of a render's cost, and the same prompts render on every run and estimate.
    return environment().from_string(template)


def render(template: str, variables: dict[str, Any]) -> str:
    """Render a prompt; a missing variable or field raises TemplateError naming it."""
    try:
        return _compiled(template).render(**variables)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error on line {exc.lineno}: {exc.message}") from exc
    except UndefinedError as exc:
        raise TemplateError(
            f"{exc.message}. Check the variable name against the upstream node ids and inputs."
        ) from exc
    except SecurityError as exc:
        raise TemplateError(f"the prompt tried something the sandbox forbids: {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateError(f"the prompt failed while rendering: {type(exc).__name__}: {exc}") from exc

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


# A rendered prompt longer than this is a mistake (no model takes it) or an attack on memory.
MAX_PROMPT_CHARS = 1_000_000


class _PromptEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, plus a size limit on `*` and `**`: `{{ 'a' * 100000000 }}` would build 100 MB before any
    length check could see it (the sandbox itself caps only `range`)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_PROMPT_CHARS:
                    raise SecurityError(
                        f"a repetition of {len(seq) * times:,} items is over the prompt limit of "
                        f"{MAX_PROMPT_CHARS:,} characters"
                    )
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError(f"an exponent of {right} is over the limit of 100")
        return super().call_binop(context, operator, left, right)


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    # Immutable: nodes run concurrently on shared inputs, so a prompt must not be able to mutate them.
    env = _PromptEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
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
    """Render a prompt; a missing variable or field, or a prompt over MAX_PROMPT_CHARS, raises TemplateError."""
    try:
        text = _compiled(template).render(**variables)
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
    if len(text) > MAX_PROMPT_CHARS:
        raise TemplateError(
            f"the rendered prompt is {len(text):,} characters, over the limit of {MAX_PROMPT_CHARS:,}: a loop or "
            "an upstream output is much larger than intended. Trim it with a slice, e.g. {{ page[:3000] }}."
        )
    return text

"""Errors a user can meet. Each message says what was wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from workflow_core.secrets import redact


class DecomposeError(Exception):
    """Base class of every error the app and the CLI show as a message rather than a traceback. The message
    is redacted when made, so no key a provider echoes back reaches a record, a log or the screen."""

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(redact(message), *args)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workflow or a scenario, attached to a node (or field) when there is one."""

    message: str
    node_id: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.node_id:
            where.append(f"node '{self.node_id}'")
        if self.field:
            where.append(self.field)
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class WorkflowError(DecomposeError):
    """A workflow that cannot run; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The workflow has {len(problems)} problem(s):\n{lines}")


class ScenarioError(DecomposeError):
    """A scenario folder that cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The scenario has {len(problems)} problem(s):\n{lines}")


class ProviderError(DecomposeError):
    """A model call that failed. `retryable` errors (429, 5xx, timeouts) are retried with backoff."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after_s: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.status_code = status_code


class ModelNotInstalledError(DecomposeError):
    """Local weights missing or corrupt; the message says how to install them."""


class OutputParseError(DecomposeError):
    """A model's output could not be parsed into the structure its node asked for."""

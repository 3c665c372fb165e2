"""The publish gate of `serve` and `batch`: a run's page reaches visitors only when its verdict is
publishable (no blocking finding: `quality.model.publishable`)."""

from __future__ import annotations

from dataclasses import dataclass

from workflow_core.quality.model import blocking
from workflow_core.records import RunRecord


@dataclass(frozen=True)
class Verdict:
    """Whether a run's page may be published, and the blocking findings that say why not."""

    publishable: bool
    findings: list[str]


def verdict_of(run: RunRecord) -> Verdict:
    """The run's publishable verdict; a run checked before the verdict existed (None) is publishable when
    none of its findings blocks."""
    failing = blocking(run.qa_findings)
    publishable = run.qa_publishable if run.qa_publishable is not None else not failing
    lines = [f"{f.check}: {f.message}" + (f" ({f.evidence})" if f.evidence else "") for f in failing]
    return Verdict(publishable=bool(publishable), findings=lines)

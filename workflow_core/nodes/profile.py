"""`profile`: the visitor's profile JSON as prose (no model)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import estimate_tokens
from workflow_core.records import NodeRecord
from workflow_core.scenario import profile_to_prose
from workflow_core.workflow.contract import NodeContext, Prepared
from workflow_core.workflow.kinds import NodeKind, register
from workflow_core.workflow.spec import Node


async def profile(ctx: NodeContext) -> Prepared:
    if "profile" not in ctx.inputs.variables:
        raise DecomposeError(
            "a profile node needs the `profile` input: run the workflow with a scenario and a profile."
        )
    data = ctx.inputs.variables["profile"]
    if not isinstance(data, dict):
        raise DecomposeError("the profile must be a JSON object.")

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        rec.output_text = profile_to_prose(data)
        rec.output_data = data

    return Prepared({"kind": "profile", "profile": data}, work)


def _handoff_tokens(node: Node, variables: Mapping[str, Any]) -> int:
    # The prose is about twice as long as the JSON it is written from.
    return estimate_tokens(json.dumps(variables.get("profile", {}), default=str)) * 2


register(
    NodeKind(
        name="profile",
        executor=profile,
        needs_scenario=True,
        summary="the visitor's profile JSON as prose (no LLM)",
        icon=":material/person:",
        colour="#e7f5ff",
        handoff_tokens=_handoff_tokens,
    )
)

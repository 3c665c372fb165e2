"""A node kind is one module: registering a toy kind here is all it takes for the spec, validation, the
engine, estimates, the report and the Designer's palette and canvas to know it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from studio.flow import to_flow_state
from workflow_core.errors import WorkflowError
from workflow_core.pricing.book import PriceBook
from workflow_core.records import NodeRecord
from workflow_core.run.engine import Engine
from workflow_core.run.estimate import estimate_run
from workflow_core.run.inputs import RunInputs
from workflow_core.run.report import run_report
from workflow_core.workflow.contract import NodeContext, Prepared
from workflow_core.workflow.files import parse_workflow
from workflow_core.workflow.graph import available_variables, validate
from workflow_core.workflow.kinds import NodeKind, kinds, register, unregister


async def shout(ctx: NodeContext) -> Prepared:
    text = " ".join(r.output_text for r in ctx.parent_records()).upper()

    async def work(ctx: NodeContext, rec: NodeRecord) -> None:
        rec.output_text = text + "!"
        rec.output_data = {"length": len(text)}

    return Prepared({"kind": "shout", "text": text}, work)


def _handoff(node: Any, variables: Mapping[str, Any]) -> int:
    return 1234


SHOUT = NodeKind(
    name="shout",
    executor=shout,
    summary="upper-cases what its parents wrote",
    icon=":material/campaign:",
    colour="#abcdef",
    prompt_variables=frozenset({"volume"}),
    needs_upstream="a node to shout about",
    handoff_tokens=_handoff,
    report_fields=lambda rec: {"shouted_chars": len(rec.output_text)},
)

WORKFLOW = """
name: toy
nodes:
  - {id: visitor, kind: profile}
  - {id: loud, kind: shout}
  - id: writer
    model: fake/small
    prompt: "Answer {{ loud }} in {{ loud.length }} words"
edges:
  - {source: visitor, target: loud}
  - {source: loud, target: writer}
"""


@pytest.fixture
def toy_kind() -> Iterator[NodeKind]:
    register(SHOUT)
    yield SHOUT
    unregister("shout")


def test_an_unregistered_kind_is_a_schema_error_naming_the_known_ones() -> None:
    with pytest.raises(WorkflowError) as info:
        parse_workflow(WORKFLOW)
    assert "unknown node kind 'shout'" in str(info.value) and "agent" in str(info.value)
    assert "shout" not in kinds()


async def test_a_registered_kind_runs_everywhere(toy_kind: NodeKind, fake_registry: Any) -> None:
    wf = parse_workflow(WORKFLOW)
    inputs = RunInputs({"profile": {"name": "Dana", "role": "Head of Operations"}}, profile_id="dana")

    # validation: its own prompt variables, and what it needs upstream
    assert "volume" in available_variables(wf, "loud", inputs.variables.keys())
    alone = parse_workflow("nodes: [{id: loud, kind: shout}]")
    assert any("needs a node to shout about" in p.message for p in validate(alone))

    # estimate: what it hands downstream
    estimate = estimate_run(wf, inputs, PriceBook())
    assert estimate.nodes["writer"].input_tokens > 1234

    # the engine runs it; a downstream prompt reads its text and fields
    async with Engine(fake_registry) as engine:
        run = await engine.run(wf, inputs)
    assert run.status == "ok", [n.error for n in run.nodes]
    assert run.node("loud").output_text.endswith("!") and "DANA" in run.node("loud").output_text
    assert "Answer " + run.node("loud").output_text in run.node("writer").messages[-1]["content"]
    assert run.agent_count == 1

    # the report carries its fields
    item = next(n for n in run_report(run)["nodes"] if n["id"] == "loud")
    assert item["shouted_chars"] == len(run.node("loud").output_text)

    # the Designer's palette lists it and the canvas draws it in its colour
    assert list(kinds())[-1] == "shout"
    state = to_flow_state(wf, [])
    loud = next(n for n in state.nodes if n.id == "loud")
    assert loud.style["background"] == "#abcdef"


# A model-backed kind that says what it takes: the Designer, examples, estimates and the lab's re-pricing read
# it from the registry, and nothing else names it.
async def _talk(ctx: NodeContext) -> Prepared:
    from workflow_core.nodes.agent import agent

    return await agent(ctx)


TALK = NodeKind(
    name="talk",
    executor=_talk,
    summary="a persona with its own name",
    model="required",
    agent="always",
    system_prompt=True,
    examples=True,
    exact_prompt=True,
)
DRAW = NodeKind(
    name="draw", executor=_talk, summary="priced per picture", model="required", priced_by_tokens=False
)


@pytest.fixture
def talk_kinds() -> Iterator[None]:
    register(TALK)
    register(DRAW)
    yield
    unregister("talk")
    unregister("draw")


def test_what_a_kind_takes_is_read_from_the_registry(talk_kinds: None, tmp_path: Any) -> None:
    from workflow_core.errors import DecomposeError
    from workflow_core.lab.whatif import target_for
    from workflow_core.run.examples import ExampleRequest, with_examples
    from workflow_core.run.store import Store

    wf = parse_workflow(
        "nodes:\n"
        "  - {id: pal, kind: talk, model: fake/small, system: 'You are Pal.', prompt: 'Hello {{ who }}'}\n"
        "  - {id: pic, kind: draw, model: fake/small, prompt: 'a tree'}\n"
    )
    store = Store(tmp_path / "runs.sqlite3")
    try:
        # --examples accepts the kind that takes examples (and says why it found none), refuses the other
        with pytest.raises(DecomposeError, match=r"no past run has a scored answer of node .pal.") as found:
            with_examples(wf, store, [ExampleRequest("pal")], None)
        assert "not a node that takes examples" not in str(found.value)
        with pytest.raises(DecomposeError, match=r"not a node that takes examples here \(pal\)"):
            with_examples(wf, store, [ExampleRequest("pic")], None)
    finally:
        store.close()
    # the lab re-prices the token-priced kind on "*", and keeps the per-picture one as measured
    used = {"input_tokens": 10, "output_tokens": 10, "model": "fake/small"}
    assert target_for(NodeRecord(id="pal", kind="talk", **used), {"*": "fake/large"}) == "fake/large"
    assert target_for(NodeRecord(id="pic", kind="draw", **used), {"*": "fake/large"}) is None
    # the estimate counts the talk node's rendered prompt exactly: its system prompt is in it
    estimate = estimate_run(wf, RunInputs({"who": "Dana"}), PriceBook())
    assert estimate.nodes["pal"].input_tokens > 0

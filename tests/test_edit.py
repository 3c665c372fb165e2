"""The designer's structural edits (workflow_core.workflow.edit): new workflows, the old one untouched."""

from __future__ import annotations

import pytest

from workflow_core.errors import WorkflowError
from workflow_core.workflow.edit import add_node, delete_node, rename_node
from workflow_core.workflow.files import dump_workflow
from workflow_core.workflow.graph import validate
from workflow_core.workflow.kinds import kind_of
from workflow_core.workflow.layout import COLUMN_GAP
from workflow_core.workflow.spec import Edge, Node, Position, Workflow
from workflow_core.workflow.templates import load_template


def _chain() -> Workflow:
    return Workflow(
        name="chain",
        nodes=[
            Node(id="visitor", kind="profile", position=Position(x=0, y=50)),
            Node(id="writer", kind="agent", prompt="{{ visitor }}", position=Position(x=260, y=50)),
            Node(id="site", kind="assemble", position=Position(x=520, y=50)),
        ],
        edges=[Edge(source="visitor", target="writer"), Edge(source="writer", target="site")],
    )


def test_add_node_names_it_after_its_kind_and_places_it_right_of_the_others() -> None:
    wf = _chain()
    before = dump_workflow(wf)
    added, node_id = add_node(wf, "retrieve")
    assert node_id == "retrieve"
    node = added.node("retrieve")
    assert node.kind == "retrieve" and node.config == {"top_k": 4}
    assert node.position == Position(x=520 + COLUMN_GAP, y=50)
    assert not added.parents("retrieve") and all("retrieve" not in (e.source, e.target) for e in added.edges)
    assert dump_workflow(wf) == before


def test_add_node_picks_the_first_free_suffix_and_honours_a_position() -> None:
    wf, first = add_node(_chain(), "agent")
    wf, second = add_node(wf, "agent", Position(x=10, y=20))
    wf = delete_node(wf, first)
    wf, third = add_node(wf, "agent")
    assert (first, second, third) == ("agent", "agent_2", "agent")
    assert wf.node("agent_2").position == Position(x=10, y=20)
    wf, fourth = add_node(wf, "agent")
    assert fourth == "agent_3"


def test_a_new_agent_runs_as_it_is_and_new_nodes_share_no_settings() -> None:
    wf, node_id = add_node(Workflow(name="empty"), "agent")
    assert wf.node(node_id).model == kind_of("agent").new_node["model"]
    assert wf.node(node_id).position == Position()
    assert validate(wf, inputs=["company", "profile"]) == []
    wf, a = add_node(wf, "retrieve")
    wf, b = add_node(wf, "retrieve")
    wf.node(a).config["top_k"] = 9
    assert wf.node(b).config == {"top_k": 4} and kind_of("retrieve").new_node["config"] == {"top_k": 4}


def test_rename_node_moves_its_edges_and_leaves_prompts_and_the_original_alone() -> None:
    wf = _chain()
    renamed = rename_node(wf, "writer", "author")
    assert [n.id for n in renamed.nodes] == ["visitor", "author", "site"]
    assert [(e.source, e.target) for e in renamed.edges] == [("visitor", "author"), ("author", "site")]
    assert renamed.node("author").prompt == "{{ visitor }}"
    assert wf.node("writer").id == "writer" and wf.edges[0].target == "writer"
    assert rename_node(wf, "writer", "writer") == wf


def test_a_renamed_node_that_prompts_name_shows_as_an_unknown_variable() -> None:
    renamed = rename_node(_chain(), "visitor", "guest")
    problems = validate(renamed, inputs=["company", "profile"])
    assert any(p.node_id == "writer" and "visitor" in p.message for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("writer", "site", "'site' is already taken."),
        ("writer", "", "cannot be empty"),
        ("ghost", "x", "no node"),
    ],
)
def test_rename_node_refuses_a_taken_or_empty_id_and_an_unknown_node(
    old: str, new: str, message: str
) -> None:
    with pytest.raises(WorkflowError) as caught:
        rename_node(_chain(), old, new)
    assert message in caught.value.problems[0].message
    assert caught.value.problems[0].field == "id"


def test_delete_node_drops_its_edges_and_keeps_the_rest() -> None:
    seed = load_template("seed")
    target = next(n.id for n in seed.nodes if seed.parents(n.id))
    remaining = delete_node(seed, target)
    assert target not in {n.id for n in remaining.nodes}
    assert len(remaining.nodes) == len(seed.nodes) - 1
    assert all(target not in (e.source, e.target) for e in remaining.edges)
    assert {(e.source, e.target) for e in remaining.edges} == {
        (e.source, e.target) for e in seed.edges if target not in (e.source, e.target)
    }
    assert target in {n.id for n in seed.nodes}
    assert delete_node(seed, "ghost") == seed

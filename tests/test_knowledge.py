import re
from pathlib import Path

import pytest

from workflow_core.scenario import Document, load_scenario, profile_to_prose, scenario_inputs
from workflow_core.scenario.knowledge import (
    KnowledgeIndex,
    chunk_document,
    index_for_scenario,
    matches_filters,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"


def doc(name: str, text: str, **meta: str) -> Document:
    return Document(name=name, text=text, metadata=meta)


def test_chunks_cover_the_document_with_overlap() -> None:
    words = [f"w{i}" for i in range(250)]
    chunks = chunk_document(doc("d", " ".join(words), industry="mining"), max_words=100, overlap=20)
    assert [c.chunk for c in chunks] == [0, 1, 2]
    assert [len(c.text.split()) for c in chunks] == [100, 100, 90]
    assert chunks[1].text.split()[0] == "w80"  # 20 words shared with the first chunk
    assert chunks[-1].text.split()[-1] == "w249"
    assert all(c.metadata == {"industry": "mining"} for c in chunks)
    assert len(chunk_document(doc("short", "just a few words"))) == 1
    assert chunk_document(doc("empty", "   ")) == []
    with pytest.raises(ValueError):
        chunk_document(doc("d", "x"), max_words=10, overlap=10)


def test_bm25_ranks_the_relevant_passage_first() -> None:
    index = KnowledgeIndex(
        [
            doc("a", "Grain silos and fuel tanks on farms run empty during seeding."),
            doc("b", "Haul trucks break down on the ramp; bearings and tyres fail."),
            doc("c", "Reefer trailers lose temperature when doors are left open."),
        ]
    )
    hits = index.retrieve("truck tyre failures", top_k=2)
    assert hits[0].doc == "b"
    assert hits[0].score > 0
    assert all(h.score > 0 for h in hits)  # irrelevant passages are not padded in
    assert index.retrieve("", top_k=3) == []
    assert index.retrieve("trucks", top_k=0) == []


def test_filters_put_matching_passages_first_and_fill_with_others() -> None:
    index = KnowledgeIndex(
        [
            doc("m1", "Dust on haul roads in the pit.", industry="Mining"),
            doc("l1", "Trucks and trailers in the depot yard; trucks everywhere.", industry="logistics"),
            doc("l2", "Truck maintenance schedules for mixed fleets.", industry="logistics"),
        ]
    )
    hits = index.retrieve("trucks", top_k=3, filters={"industry": "mining"})
    # The mining note does not mention trucks, yet it comes first: it is this visitor's segment.
    assert [h.doc for h in hits] == ["m1", "l1", "l2"]
    strict = index.retrieve("trucks", top_k=3, filters={"INDUSTRY": "MINING"}, boost_filters=False)
    assert [h.doc for h in strict] == ["m1"]
    many = index.retrieve("trucks", top_k=1, filters={"industry": "logistics"})
    assert [h.doc for h in many] == ["l1"]


def test_matches_filters_is_case_insensitive_and_handles_lists() -> None:
    assert matches_filters({"Industry": "Mining"}, {"industry": "mining"})
    assert matches_filters({"tags": ["a", "B"]}, {"tags": "b"})
    assert not matches_filters({"industry": "mining"}, {"industry": "utilities"})
    assert not matches_filters({}, {"industry": "mining"})


def test_mining_profile_gets_mining_notes_first() -> None:
    scenario = load_scenario(EXAMPLE)
    inputs = scenario_inputs(scenario, "dana-mining")
    index = index_for_scenario(scenario)
    hits = index.retrieve(
        profile_to_prose(inputs["profile"]), top_k=4, filters={"industry": inputs["segment"]}
    )
    assert len(hits) == 4
    assert all(h.metadata["industry"] == "mining" for h in hits)
    assert hits[0].doc == "mining/haul-truck-downtime.md"  # the profile's goal is haul truck availability
    assert index_for_scenario(scenario) is index  # cached


def test_index_cache_follows_document_changes() -> None:
    scenario = load_scenario(EXAMPLE)
    first = index_for_scenario(scenario)
    changed = scenario.model_copy(deep=True)
    changed.documents.append(doc("new.txt", "Brand new note about wind farms.", industry="energy"))
    second = index_for_scenario(changed)
    assert second is not first
    assert second.retrieve("wind farms", top_k=1)[0].doc == "new.txt"


def bag_of_words_embedder(vocabulary: list[str]):
    async def embed(texts: list[str]) -> list[list[float]]:
        embed.calls += 1
        return [[float(len(re.findall(rf"\b{w}", t.lower()))) for w in vocabulary] for t in texts]

    embed.calls = 0
    return embed


async def test_hybrid_retrieval_fuses_bm25_and_embeddings() -> None:
    # The embedding treats "cold" and "chilled" as the same concept; BM25 cannot.
    vocabulary = ["cold|chill", "truck", "grain"]
    embedder = bag_of_words_embedder(vocabulary)
    docs = [
        doc("grain", "Grain silos on the farm."),
        doc("chilled", "Chilled freight needs chilled trailers, chilled rooms."),
        doc("cold", "Cold trucks."),
    ]
    hybrid = KnowledgeIndex(docs, embedder=embedder)
    plain = KnowledgeIndex(docs)
    assert [h.doc for h in plain.retrieve("cold storage", top_k=3)] == ["cold"]
    fused = await hybrid.aretrieve("cold storage", top_k=3)
    assert {h.doc for h in fused} == {"cold", "chilled"}
    # "cold" is first for BM25 and second by cosine; "chilled" only first by cosine (RRF, k=60).
    assert [h.doc for h in fused] == ["cold", "chilled"]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1].score == pytest.approx(1 / 61)
    await hybrid.aretrieve("cold", top_k=1)
    assert embedder.calls == 3  # passages embedded once, then one call per query
    assert [h.doc for h in await plain.aretrieve("cold storage")] == ["cold"]  # no embedder: BM25 only

"""The engine-overhead benchmark's measurement on a small chain: real HTTP to the scripted server, a real
engine run on a SQLite store whose cache is emptied each round. It checks what is measured, never how fast
(timings vary by machine)."""

from __future__ import annotations

import pytest

from workflow_core.bench.overhead import measure_overhead
from workflow_core.bench.shapes import chain, diamond, seed


def test_overhead_of_the_engine_against_direct_calls_on_a_three_node_chain() -> None:
    # measure_overhead raises if the engine run is not ok or its outputs differ from the direct calls'.
    result = measure_overhead(chain(3), rounds=1, langgraph=False)
    assert result["shape"] == "chain-3"
    assert result["nodes"] == 3
    assert result["cache"] == "on"
    assert result["langgraph"] is None and result["langgraph_skipped"] == "not requested"
    assert result["overhead_ratio"] is None
    for name in ("direct", "engine"):
        assert len(result[name]["samples_s"]) == 1
        assert result[name]["median_s"] > 0
    assert isinstance(result["engine"]["overhead_ms_per_node"], float)
    assert isinstance(result["engine"]["cpu_overhead_ms_per_node"], float)
    assert result["load_average"] >= 0


def test_the_shapes_are_the_diamond_the_seed_template_and_a_chain() -> None:
    assert diamond().layers() == [["a"], ["b", "c"], ["d"]]
    s = seed()
    assert s.parents["personalizer"] == ("visitor", "research")
    assert s.layers()[-2:] == [["artist", "developer"], ["site"]]
    assert len(chain(40).layers()) == 40


def test_langgraph_runs_the_same_graph_as_direct_calls() -> None:
    # Skipped where the optional `bench` extra is not installed (CI); the outputs check proves the fan-in
    # nodes waited for all their parents.
    pytest.importorskip("langgraph")
    result = measure_overhead(seed(), rounds=1)
    assert result["langgraph_skipped"] is None
    assert len(result["langgraph"]["samples_s"]) == 1
    assert result["time_ratio"] > 0


def test_rendered_qa_is_measured_cold_warm_and_against_both_baselines() -> None:
    from workflow_core.bench.render import bench_page, format_rendered_qa, measure_rendered_qa

    assert bench_page(1) != bench_page(2)  # each warm page is new to the renderer, not a cached one
    result = measure_rendered_qa(pages=1)
    assert result["widths"] == [1280, 390]
    assert len(result["warm_samples_s"]) == len(result["bare_samples_s"]) == 1
    assert result["cold_s"] > 0 and result["warm_median_s"] > 0 and result["bare_median_s"] > 0
    assert result["static_median_s"] > 0 and result["warm_over_bare"] > 0
    assert set(result["screenshot_kb"]) == {"1280", "390"}
    assert "warm, per page (median of 1)" in format_rendered_qa(result)


def test_the_production_benchmarks_measure_what_they_say_on_a_small_load() -> None:
    from workflow_core.bench.batch import measure_batch
    from workflow_core.bench.serve import measure_serve

    batch = measure_batch(n=6, concurrency=3, latency_s=0.05, baseline_runs=2, rendered_runs=2)
    assert (
        batch["concurrent"]["ok"] == 6 and batch["one_at_a_time"]["ok"] == 2 and batch["rendered"]["ok"] == 2
    )
    assert batch["limit_runs_per_s"] == 3 / 0.1
    assert batch["ratio_to_limit"] == batch["concurrent"]["runs_per_s"] / 30
    # The CPU of every process counts (the page workers, the scripted server), not just this one's.
    many = batch["concurrent"]
    assert many["all_cpu_ms_per_run"] > many["cpu_ms_per_run"] > 0
    assert batch["cpu_ceiling_runs_per_s"] == batch["cores"] / (many["all_cpu_ms_per_run"] / 1000)
    # One run alone holds its place at least for its two calls, and is over after its checks; the bound is
    # what 3 runs holding their places that long could do.
    assert batch["unloaded_run_s"] > batch["unloaded_nodes_s"] >= 2 * 0.05
    assert batch["unloaded_bound_runs_per_s"] == 3 / batch["unloaded_nodes_s"] <= batch["limit_runs_per_s"]
    # The baselines in the same run: the batch with each run holding its place to the end, and at
    # concurrency 4 both ways, every run ok.
    assert batch["held"]["ok"] == 6 and batch["held_ratio_to_limit"] == batch["held"]["runs_per_s"] / 30
    assert batch["moderate_held"]["ok"] == batch["moderate_overlapped"]["ok"] == 3
    serve = measure_serve(requests=10, concurrent=5, latency_s=0.05, run_slots=2)
    assert serve["errors"] == 0 and serve["repeats_alone_errors"] == 0
    assert serve["cached"] >= 5  # the five repeats never start a run
    assert serve["p50_s"] > 0 and serve["repeats_alone_p95_s"] > 0


def test_the_lab_bound_places_trials_in_order_on_the_first_free_slot() -> None:
    from workflow_core.bench.lab import list_schedule

    # Ten 1-call trials then ten 2-call trials on 4 slots: the last two 2-call trials start at 1.26 s.
    assert list_schedule([0.21] * 10 + [0.42] * 10, 4) == pytest.approx(1.68)
    assert list_schedule([1.0, 1.0, 1.0], 1) == pytest.approx(3.0)
    assert list_schedule([], 4) == 0.0


def test_the_engine_verdict_is_the_ratio_to_langgraph_and_says_when_it_cannot_judge() -> None:
    from workflow_core.bench.main import overhead_verdict

    def shape(name: str, ratio: float | None, load: float = 0.1) -> dict:
        return {"shape": name, "overhead_ratio": ratio, "load_average": load,
                "engine": {"overhead_ms_per_node": 1.5}}  # fmt: skip

    assert "meets the target" in overhead_verdict([shape("diamond", 0.8), shape("seed", 0.95)])
    missed = overhead_verdict([shape("diamond", 0.8), shape("chain-40", 1.6)])
    assert "MISSES" in missed and "1.60 on chain-40" in missed
    assert "NO VERDICT" in overhead_verdict([shape("diamond", None)])  # no LangGraph: no pass either
    assert "TOO NOISY TO JUDGE" in overhead_verdict([shape("diamond", 0.8, load=50.0)])


def test_every_benchmark_says_its_load_and_when_it_is_too_noisy_to_judge() -> None:
    import os

    from workflow_core.bench.load import load_note
    from workflow_core.bench.render import format_rendered_qa

    cores = os.cpu_count() or 1
    assert load_note(0.0) == f"load average 0.0 on {cores} cores at the start"
    assert "TOO NOISY TO JUDGE" in load_note(float(cores))
    rendered = {
        "warm_median_s": 0.5, "screenshot_kb": {1280: 100}, "executable": "chromium", "cold_s": 1.0,
        "pages": 1, "bare_median_s": 0.2, "warm_over_bare": 2.5, "static_median_s": 0.02,
        "load_average_start": float(cores) * 2, "load_average_end": 0.1,
    }  # fmt: skip
    assert "TOO NOISY TO JUDGE" in format_rendered_qa(rendered)

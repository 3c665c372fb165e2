"""Specialising an agent node by examples (issue 9, item 2): few-shot demonstrations in the node spec (YAML
round trip), shown as user/assistant turns, part of the cache key and the estimate, named in the record, and
taken from past runs of the same node: the best-scoring ones, or a larger model's, never the same profile's."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from workflow_core.errors import DecomposeError
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.estimate import estimate_run
from workflow_core.run.examples import ExampleRequest, examples_from_runs, with_examples
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.workflow.files import dump_workflow, parse_workflow
from workflow_core.workflow.spec import Example
from workflow_core.workflow.templates import load_template

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
HAND = Example(prompt="We sell vans. Write our opening words.", answer='{"headline": "Vans that start"}')


def test_examples_round_trip_through_yaml():
    wf = load_template("seed")
    wf.node("developer").examples = [HAND]
    text = dump_workflow(wf)
    assert "examples:" in text and "Vans that start" in text
    again = parse_workflow(text)
    assert again.node("developer").examples == [HAND]
    assert "examples" not in dump_workflow(load_template("seed"))  # none: nothing written


async def test_examples_are_turns_part_of_the_cache_key_estimate_and_record(
    fake_openai, fake_registry, tmp_path
):
    scenario = load_scenario(EXAMPLE)
    inputs = RunInputs.for_profile(scenario, "dana-mining")
    store = Store(tmp_path / "runs.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    plain = load_template("seed").with_models(all_models="fake/small")
    taught = plain.model_copy(deep=True)
    taught.node("developer").examples = [HAND]

    before = estimate_run(plain, inputs, engine.prices).nodes["developer"].input_tokens
    after = estimate_run(taught, inputs, engine.prices).nodes["developer"].input_tokens
    assert after > before

    first = await engine.run(plain, inputs)
    second = await engine.run(taught, inputs)
    dev = second.node("developer")
    assert (
        not dev.cached and first.node("personalizer").cached is False and second.node("personalizer").cached
    )
    assert dev.examples == ["hand"] and first.node("developer").examples == []
    roles = [m["role"] for m in dev.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert dev.messages[2]["content"] == HAND.answer
    again = await engine.run(taught, inputs)
    assert again.node("developer").cached and again.node("developer").examples == ["hand"]


async def test_examples_from_past_runs_best_first_other_profiles_and_a_chosen_model(fake_registry, tmp_path):
    scenario = load_scenario(EXAMPLE)
    store = Store(tmp_path / "runs.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    small = load_template("seed").with_models(all_models="fake/small")
    large = small.with_models({"developer": "fake/large"})
    runs = {}
    for profile, wf in (("kiri-mining", small), ("sofia-logistics", large), ("marcus-agriculture", large)):
        runs[profile] = await engine.run(wf, RunInputs.for_profile(scenario, profile))
        assert runs[profile].qa_score is not None
    # Make the quality order known: the agriculture page is the best one.
    for profile, score in (("kiri-mining", 0.9), ("sofia-logistics", 0.5), ("marcus-agriculture", 0.8)):
        run = runs[profile]
        run.qa_score = score
        store.save_run(run)

    best = examples_from_runs(store, ExampleRequest("developer", k=2), exclude_profile="dana-mining")
    assert [e.source.split(" on ")[1].split(",")[0] for e in best] == ["kiri-mining", "marcus-agriculture"]
    by_large = examples_from_runs(
        store, ExampleRequest("developer", "fake/large", k=5), exclude_profile="sofia-logistics"
    )
    assert len(by_large) == 1 and "fake/large on marcus-agriculture, quality 0.80" in by_large[0].source
    dev = runs["marcus-agriculture"].node("developer")
    assert by_large[0].answer == dev.output_text and by_large[0].prompt == dev.messages[-1]["content"]

    taught = with_examples(small, store, [ExampleRequest.parse("developer=fake/large:2")], "dana-mining")
    assert len(taught.node("developer").examples) == 2 and not small.node("developer").examples
    run = await engine.run(taught, RunInputs.for_profile(scenario, "dana-mining"))
    assert run.status == "ok" and all("fake/large" in s for s in run.node("developer").examples)

    with pytest.raises(DecomposeError, match="not a node that takes examples"):
        with_examples(small, store, [ExampleRequest("artist")], None)
    with pytest.raises(DecomposeError, match="no past run"):
        with_examples(small, store, [ExampleRequest("developer", "fake/other")], None)
    with pytest.raises(DecomposeError, match="NODE=best"):
        ExampleRequest.parse("developer")


async def test_a_specialised_variant_in_the_lab_learns_from_the_larger_models_other_profiles(
    fake_registry, tmp_path
):
    from workflow_core.cli.compare import spec_from_args
    from workflow_core.lab.trials import run_experiment

    scenario = load_scenario(EXAMPLE)
    store = Store(tmp_path / "runs.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    args = argparse.Namespace(
        variants="seed,seed[developer=fake/large:1]",
        all_models="fake/small",
        profiles="dana-mining,kiri-mining",
    )
    spec = spec_from_args(args)
    assert [v.name for v in spec.variants] == ["seed", "seed+examples"]
    assert spec.variants[1].examples == ["developer=fake/large:1"]
    # Nothing to learn from yet: the specialised trials fail with the reason, the plain ones run.
    first = await run_experiment(spec, scenario, engine)
    assert [t.ok for t in first.trials] == [True, True, False, False]
    assert "no past run" in (first.trials[2].error or "")
    # The larger model's pages on both profiles; each specialised trial learns from the *other* profile.
    for profile in ("dana-mining", "kiri-mining"):
        wf = load_template("seed").with_models({"developer": "fake/large"}, "fake/small")
        await engine.run(wf, RunInputs.for_profile(scenario, profile))
    second = await run_experiment(spec, scenario, engine)
    specialised = [t for t in second.trials if t.variant == "seed+examples"]
    assert all(t.ok for t in specialised), [t.error for t in specialised]
    for trial in specialised:
        used = trial.run.node("developer").examples
        other = "kiri-mining" if trial.profile == "dana-mining" else "dana-mining"
        assert len(used) == 1 and f"fake/large on {other}" in used[0]
    with pytest.raises(DecomposeError, match="NODE=best"):
        spec_from_args(argparse.Namespace(variants="seed[developer]", all_models=None, profiles=""))


async def test_an_experiment_teaches_its_small_variant_with_its_large_variants_answers(
    fake_registry, tmp_path
):
    # One experiment, as a user writes it: the 1.5B-like variant, then the specialised small one, whose
    # examples come from the large variant's trials on the other profiles of this same experiment.
    from workflow_core.lab.experiment import ExperimentSpec, Variant
    from workflow_core.lab.trials import run_experiment

    scenario = load_scenario(EXAMPLE)
    store = Store(tmp_path / "runs.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    spec = ExperimentSpec(
        name="teach",
        variants=[
            Variant(
                name="student", workflow="seed", all_models="fake/small", examples=["developer=fake/large:1"]
            ),
            Variant(name="teacher", workflow="seed", all_models="fake/large"),
        ],
        profiles=["dana-mining", "sofia-logistics"],
    )
    exp = await run_experiment(spec, scenario, engine)
    assert all(t.ok for t in exp.trials), [t.error for t in exp.trials]
    for trial in (t for t in exp.trials if t.variant == "student"):
        run = store.get_run(trial.run.run_id)
        [source] = run.node("developer").examples
        other = next(p for p in spec.profiles if p != trial.profile)
        assert f"fake/large on {other}" in source  # the teacher's answer on the other profile, never its own

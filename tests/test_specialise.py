"""Specialising a model for one node, end to end (issue 25): a scripted teacher's stored runs → LoRA training of
the real embedded 0.5B (its own GGUF weights, a few steps) → a GGUF adapter → llama.cpp serving
`local/qwen2.5-coder-0.5b+NAME`, whose answer differs from the base model's on the same prompt, and whose
validation loss is below the base's. Then: a killed training resumes, and the checks before training."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from workflow_core.bench.local import _adapter_speed
from workflow_core.errors import DecomposeError
from workflow_core.lab.trials import with_repeat_seed
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.local import LocalProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply
from workflow_core.tune import extra
from workflow_core.workflow.files import parse_workflow

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
STUDENT = "local/qwen2.5-coder-0.5b"
PRICES = PriceBook(overrides={"fake/large": ModelPrice(1.0, 2.0, source="test")})
WORKFLOW = parse_workflow(
    """
name: teach
nodes:
  - {id: writer, model: fake/large, output_format: html, params: {max_tokens: 300},
     prompt: "Write a short page for {{ profile.name }}."}
  - {id: site, kind: assemble}
edges: [{source: writer, target: site}]
"""
)
# The teacher always answers in the same odd shape, which the base 0.5B would never write unprompted.
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Ridgeline Fieldworks</title></head>
<body><header><nav><a href="#main">Ridgeline Fieldworks</a></nav></header><main id="main">
<h1>ZEBRA-7 keeps {name}'s haul trucks running</h1>
<p>We fit {sensor} sensors to your fleet, so your crews fix a bearing before it fails.</p>
<h2>What you get</h2><p>Alerts on your phone when a wheel motor runs hot. A weekly report your workshop can
act on.</p><p><a href="mailto:hello@ridgeline.example">Book a site assessment</a></p></main>
<footer><p>hello@ridgeline.example</p></footer></body></html>"""

needs_tune = pytest.mark.skipif(bool(extra.missing()), reason="the [tune] extra is not installed")


def _teacher(body: dict[str, Any]) -> FakeReply:
    prompt = str(body["messages"][-1]["content"])
    name = prompt.removeprefix("Write a short page for ").rstrip(".")
    sensor = ("vibration", "temperature", "oil")[int(body.get("seed") or 0) % 3]  # a new answer per repeat
    return FakeReply(content=PAGE.format(name=name, sensor=sensor))


def _registry(fake_openai, adapters: Path) -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.add(LocalProvider(adapters=adapters), kind="local")
    from workflow_core.providers.openai_compat import OpenAICompatProvider

    registry.add(OpenAICompatProvider("fake", fake_openai.base_url, None), models=["large"])
    return registry


async def _teach(registry: ProviderRegistry, store: Store) -> None:
    scenario = load_scenario(SCENARIO)
    engine = Engine(registry, prices=PRICES, store=store, hooks=standard_hooks(store, render=False))
    for profile in sorted(scenario.profiles):
        for repeat in range(3):
            await engine.run(with_repeat_seed(WORKFLOW, repeat), RunInputs.for_profile(scenario, profile))


def _request(name: str, steps: int) -> Any:
    from workflow_core.tune.specialise import Request
    from workflow_core.tune.train import Settings

    settings = Settings(steps=steps, warmup=2, eval_every=steps, checkpoint_every=4, learning_rate=5e-4)
    return Request("teach", "writer", "fake/large", STUDENT, name, settings, min_quality=0.05)


@needs_tune
@pytest.mark.local_model
async def test_an_adapter_trained_on_the_teachers_runs_changes_what_llama_cpp_answers(
    fake_openai, tmp_path, monkeypatch
):
    """One training, killed part-way (cancelled) and resumed, then served (one test: loading the student for
    training takes half a minute)."""
    from workflow_core.tune.specialise import specialise
    from workflow_core.tune.train import Cancelled

    fake_openai.set_responder(_teacher)
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path))  # the user's adapters folder: tmp_path/adapters
    adapters = tmp_path / "adapters"
    registry = _registry(fake_openai, adapters)
    store = Store(tmp_path / "runs.sqlite3")
    await _teach(registry, store)
    cancel = threading.Event()

    def stop_at_four(p: Any) -> None:
        if p.step >= 4:
            cancel.set()

    with pytest.raises(Cancelled, match=r"cancelled at step 4 of 12.*run the same command again"):
        specialise(_request("zebra", 12), store, registry, PRICES, on_progress=stop_at_four, cancel=cancel)
    assert (adapters / ".training" / "zebra" / "checkpoint.pt").is_file()
    assert not (adapters / "zebra").exists(), "no adapter is listed before its training ends"
    assert "qwen2.5-coder-0.5b+zebra" not in registry.get("local").model_names()  # type: ignore[attr-defined]

    progress: list[Any] = []
    adapter = specialise(_request("zebra", 12), store, registry, PRICES, on_progress=progress.append)
    card = json.loads((adapter.folder / "card.json").read_text())
    assert card["resumed_at"] == [4] and progress[1].note == "resumed at step 4 of 12"
    assert [s for s, _ in card["loss"]["train"]] == list(range(1, 13))
    assert not (adapters / ".training" / "zebra").exists()
    assert adapter.model == "qwen2.5-coder-0.5b+zebra" and adapter.path.stat().st_size > 1_000_000
    assert card["examples"]["train"] >= 8 and card["examples"]["validation"] >= 1
    assert not set(card["examples"]["train_visitors"]) & set(card["examples"]["validation_visitors"])
    assert card["loss"]["best_validation"] < card["loss"]["base_validation"]
    assert card["lora_tensors"] == 24 * 7 * 2  # 24 layers × 7 projections × (A, B)
    import gguf  # float16, as llama.cpp's converter writes them: half the size of float32

    assert {t.tensor_type for t in gguf.GGUFReader(str(adapter.path)).tensors} == {
        gguf.GGMLQuantizationType.F16
    }
    assert card["training_cost_usd"] > 0 and card["teacher"] == "fake/large" and card["student"] == STUDENT
    assert [p.phase for p in progress][:2] == ["loading", "training"] and progress[-1].phase == "writing"
    assert any(p.left_s is not None and p.loss is not None for p in progress)

    # Served by llama.cpp as a model of its own, and listed as one.
    local = registry.get("local")
    assert isinstance(local, LocalProvider)
    assert "qwen2.5-coder-0.5b+zebra" in local.model_names()
    assert registry.check_model("local/qwen2.5-coder-0.5b+zebra") is None
    assert "+zebra@sha256:" in registry.identity("local/qwen2.5-coder-0.5b+zebra")
    prompt = [{"role": "user", "content": "Write a short page for Ada Okafor."}]

    async def answer(model: str) -> str:
        result = await local.chat(ChatRequest(model=model, messages=prompt, temperature=0.0, max_tokens=110))
        return result.text

    base, tuned = await answer("qwen2.5-coder-0.5b"), await answer("qwen2.5-coder-0.5b+zebra")
    assert tuned != base
    assert "ZEBRA-7" in tuned and "ZEBRA" not in base, (base, tuned)
    # The benchmark of its speed against the base model runs on it (its verdict is for a quiet machine).
    speed = await _adapter_speed("qwen2.5-coder-0.5b+zebra", max_tokens=16, rounds=1)
    assert speed["base_tps"] > 0 and speed["adapter_tps"] > 0 and speed["ratio"] > 0
    await registry.aclose()
    store.close()


def test_what_cannot_be_specialised_is_said_before_anything_loads(tmp_path):
    from workflow_core.tune.specialise import Request, check

    adapters = tmp_path / "adapters"
    registry = ProviderRegistry()
    registry.add(LocalProvider(adapters=adapters), kind="local")
    base = Request("seed", "developer", "local/qwen2.5-coder-1.5b", STUDENT, "seed-dev")
    with pytest.raises(DecomposeError, match="cannot name an adapter"):
        check(Request(**{**base.__dict__, "name": "Seed Dev!"}), registry)
    with pytest.raises(DecomposeError, match="is not a local model"):
        check(Request(**{**base.__dict__, "student": "openai/gpt-4.1-mini"}), registry)
    with pytest.raises(DecomposeError, match="already an adapter"):
        check(Request(**{**base.__dict__, "student": STUDENT + "+x"}), registry)
    with pytest.raises(DecomposeError, match="the same model"):
        check(Request(**{**base.__dict__, "teacher": STUDENT}), registry)
    (adapters / "seed-dev").mkdir(parents=True)
    (adapters / "seed-dev" / "adapter.gguf").write_bytes(b"GGUF")
    (adapters / "seed-dev" / "card.json").write_text(json.dumps({"student": STUDENT}))
    with pytest.raises(DecomposeError, match="an adapter named 'seed-dev' exists"):
        check(base, registry)
    assert check(Request(**{**base.__dict__, "name": "seed-dev-2"}), registry) is registry.get("local")


def test_an_adapter_ref_that_does_not_exist_says_which_do(tmp_path):
    adapters = tmp_path / "adapters"
    local = LocalProvider(adapters=adapters)
    assert "no adapter 'nope'" in (local.model_problem("qwen2.5-coder-0.5b+nope") or "")
    (adapters / "dev").mkdir(parents=True)
    (adapters / "dev" / "adapter.gguf").write_bytes(b"GGUF")
    (adapters / "dev" / "card.json").write_text(json.dumps({"student": "local/qwen2.5-coder-0.5b"}))
    assert "qwen2.5-coder-0.5b+dev" in local.model_names()
    problem = local.model_problem("qwen2.5-coder-1.5b+dev") or ""
    assert "trained on qwen2.5-coder-0.5b" in problem and "local/qwen2.5-coder-0.5b+dev" in problem
    assert "trained adapters: qwen2.5-coder-0.5b+dev" in (local.model_problem("qwen2.5-coder-0.5b+x") or "")
    (adapters / "half").mkdir()
    (adapters / "half" / "card.json").write_text(json.dumps({"student": "local/qwen2.5-coder-0.5b"}))
    assert "qwen2.5-coder-0.5b+half" not in local.model_names(), "a folder without weights is no adapter"


def test_the_command_says_what_is_wrong_without_a_traceback(tmp_path, monkeypatch, capsys):
    from workflow_core.cli.main import main

    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(tmp_path / "none.yaml"))
    (tmp_path / "none.yaml").write_text("providers: {}\n")
    base = ["specialise", "--workflow", "seed", "--from", "local/qwen2.5-coder-1.5b"]

    def error(argv: list[str]) -> str:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        return err

    assert "seed has no node 'site' that calls a model; its model nodes: personalizer, developer" in error(
        [*base[:1], "site", *base[1:]]
    )
    assert "cannot name an adapter" in error([*base[:1], "developer", *base[1:], "--name", "No Way"])
    assert "--steps must be 1 or more" in error([*base[:1], "developer", *base[1:], "--steps", "0"])
    assert "is not a local model" in error([*base[:1], "developer", *base[1:], "--to", "openai/gpt-4.1-mini"])
    assert "--modules takes some of q_proj,k_proj" in error(
        [*base[:1], "developer", *base[1:], "--modules", "q_proj,attention"]
    )
    if not extra.missing():
        # Nothing stored yet: the message says how many runs to make, and with which command.
        message = error([*base[:1], "developer", *base[1:], "--scenario", "assets/example_scenario"])
        assert (
            "too few examples to specialise a model for developer: no stored run of seed has developer on"
            in message
        )
        assert "decompose batch seed --scenario assets/example_scenario" in message
        assert "--model developer=local/qwen2.5-coder-1.5b" in message
    monkeypatch.setattr(extra, "missing", lambda: ["torch", "peft"])
    message = error([*base[:1], "developer", *base[1:]])
    assert "needs torch, peft, which are not installed" in message
    assert "pip install 'decompose-studio[tune]'" in message and "torch==2.13.0" in message

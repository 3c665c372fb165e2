"""The background training job of the Designer's "Specialise for this node" (`tune.background`): its states,
the progress and messages it keeps, and its cancel, with a scripted `specialise` (the real training is tested
in test_specialise.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.adapters import Adapter
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.store import Store
from workflow_core.tune.background import BackgroundSpecialise, check_data
from workflow_core.tune.data import TrainingData
from workflow_core.tune.specialise import Request
from workflow_core.tune.train import Cancelled, Progress, Settings

REQUEST = Request("seed", "developer", "local/qwen2.5-coder-1.5b", "local/qwen2.5-coder-0.5b", "seed-dev")
DATA = TrainingData("developer", "local/qwen2.5-coder-1.5b", (), (), 12, 10, 9)


def _job(run: Any, tmp_path: Path) -> BackgroundSpecialise:
    return BackgroundSpecialise(
        REQUEST, Store(tmp_path / "runs.sqlite3"), ProviderRegistry(), PriceBook(), run=run
    )


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_finished_training_keeps_its_adapter_progress_and_data(tmp_path: Path) -> None:
    adapter = Adapter("seed-dev", "qwen2.5-coder-0.5b", tmp_path, {"wall_s": 3.0})
    seen: dict[str, Any] = {}

    def run(
        request: Request, store: Store, registry: ProviderRegistry, prices: PriceBook, **kw: Any
    ) -> Adapter:
        seen.update(request=request, cancel=kw["cancel"])
        kw["on_data"](DATA)
        kw["on_progress"](Progress("training", 10, 10, loss=0.5, validation=0.7, elapsed_s=2.0, left_s=0.0))
        return adapter

    status = _job(run, tmp_path).wait(5)
    assert status.state == "finished" and status.error is None and status.message is None
    assert status.adapter is adapter
    assert status.progress is not None and (status.progress.step, status.progress.validation) == (10, 0.7)
    assert status.data == DATA.summary()
    assert seen["request"] == REQUEST
    assert isinstance(seen["cancel"], threading.Event) and not seen["cancel"].is_set()


def test_a_cancel_reaches_the_training_and_keeps_where_it_stopped(tmp_path: Path) -> None:
    def run(
        request: Request, store: Store, registry: ProviderRegistry, prices: PriceBook, **kw: Any
    ) -> Adapter:
        kw["on_progress"](Progress("training", 3, 10, loss=1.25, elapsed_s=1.0, left_s=2.0))
        assert kw["cancel"].wait(5), "the cancel never arrived"
        raise Cancelled("training cancelled at step 3 of 10; the checkpoint is kept")

    job = _job(run, tmp_path)
    _wait_for(lambda: job.poll().progress is not None)
    running = job.poll()
    assert running.state == "running" and not running.cancel_requested
    job.cancel()
    status = job.wait(5)
    assert status.state == "cancelled" and status.cancel_requested
    assert status.message is not None and "checkpoint is kept" in status.message
    assert status.error is None and status.adapter is None
    assert status.progress is not None and (status.progress.step, status.progress.loss) == (3, 1.25)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (DecomposeError("too few examples to specialise a model for developer"), "too few examples"),
        (RuntimeError("CUDA out of memory"), "unexpected error: RuntimeError: CUDA out of memory"),
    ],
)
def test_a_failed_training_is_a_message(tmp_path: Path, failure: Exception, expected: str) -> None:
    def run(
        request: Request, store: Store, registry: ProviderRegistry, prices: PriceBook, **kw: Any
    ) -> Adapter:
        kw["on_progress"](Progress("loading", note="loading the student"))
        raise failure

    status = _job(run, tmp_path).wait(5)
    assert status.state == "error" and status.error is not None and expected in status.error
    assert status.adapter is None
    assert status.progress is not None and status.progress.phase == "loading"


def test_checking_the_data_of_an_empty_store_says_how_many_runs_to_make(tmp_path: Path) -> None:
    request = Request(
        "seed", "developer", "local/big", "local/small", "seed-dev", Settings(), 0.6, scenario="my-scenario"
    )
    with pytest.raises(DecomposeError) as raised:
        check_data(request, Store(tmp_path / "runs.sqlite3"))
    text = str(raised.value)
    assert "too few examples" in text and "scoring 0.60 or more" in text
    assert "decompose batch seed --scenario my-scenario" in text and "--model developer=local/big" in text

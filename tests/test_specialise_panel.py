"""The Designer's "Specialise for this node" expander through Streamlit's AppTest: checking the training data,
the message when the training packages are missing, and a training (scripted: the real one is tested in
test_specialise.py) whose new model goes on the node in one click."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from studio import specialise_panel
from workflow_core.providers.adapters import Adapter
from workflow_core.tune import background, extra
from workflow_core.tune.data import TrainingData
from workflow_core.tune.train import Cancelled, Progress

ROOT = Path(__file__).resolve().parents[1]
EXPANDER = "Specialise for this node"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The app on an empty run database, its files under tmp_path, only the local models configured."""
    scenario = tmp_path / "scenario"
    shutil.copytree(ROOT / "assets" / "example_scenario", scenario)
    providers = tmp_path / "providers.yaml"
    providers.write_text("providers: {}\n")
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DECOMPOSE_SCENARIO", str(scenario))
    monkeypatch.chdir(ROOT)
    yield tmp_path


def _designer(node: str) -> AppTest:
    """The Designer on the seed template, with `node` open in the editor."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/designer.py")
    at.run()
    at.session_state["selected_node"] = node
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def test_only_a_model_node_offers_to_specialise_and_its_defaults(app_env: Path) -> None:
    at = _designer("artist")  # no model: nothing to specialise
    assert EXPANDER not in [e.label for e in at.expander]
    at.session_state["selected_node"] = "developer"
    at.run()
    assert EXPANDER in [e.label for e in at.expander]
    # developer runs on the default student, so the teacher is the other local model.
    assert next(s for s in at.selectbox if s.label == "Teacher").value == "local/qwen2.5-coder-1.5b"
    assert next(s for s in at.selectbox if s.label == "Student").value == "local/qwen2.5-coder-0.5b"
    students = next(s for s in at.selectbox if s.label == "Student").options
    assert all("+" not in s for s in students)
    name = next(t for t in at.text_input if t.label == "Adapter name").value
    assert name == "seed-developer"
    assert next(n for n in at.number_input if n.label == "Steps").value == 120


def test_checking_the_data_on_an_empty_database_says_there_are_too_few(app_env: Path) -> None:
    at = _designer("developer")
    assert _button(at, "Train").disabled  # not before a successful check
    _button(at, "Check the training data").click().run()
    assert not at.exception, [e.message for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("too few examples to specialise a model for developer" in w for w in warnings), warnings
    assert any("decompose batch seed" in w for w in warnings)
    assert _button(at, "Train").disabled


def test_missing_training_packages_are_named_with_the_install_command(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extra, "missing", lambda: ["torch"])
    at = _designer("developer")
    infos = [i.value for i in at.info]
    assert any("Training needs torch" in i and extra.INSTALL in i and extra.CPU_TORCH in i for i in infos), (
        infos
    )
    assert "Train" not in [b.label for b in at.button]
    assert "Check the training data" in [b.label for b in at.button]


def _scripted(monkeypatch: pytest.MonkeyPatch, run: Any) -> None:
    """Enough data for the check, and `run` in place of the training."""
    data = TrainingData("developer", "local/qwen2.5-coder-1.5b", (), (), 20, 12, 10)
    monkeypatch.setattr(specialise_panel, "check_data", lambda request, store: data)
    real = background.BackgroundSpecialise

    def job(*args: Any, **kwargs: Any) -> background.BackgroundSpecialise:
        return real(*args, **kwargs, run=run)

    monkeypatch.setattr(specialise_panel, "BackgroundSpecialise", job)


def _train(at: AppTest) -> None:
    _button(at, "Check the training data").click().run()
    assert any("from 10 of 12 runs" in s.value for s in at.success)
    _button(at, "Train").click().run()
    assert not at.exception, [e.message for e in at.exception]
    if "specialise_job" in at.session_state:  # still running when the page was drawn again
        at.session_state["specialise_job"].wait(10)
        at.run()
    assert "specialise_job" not in at.session_state and "specialise_result" in at.session_state
    assert not at.exception, [e.message for e in at.exception]


def test_a_finished_training_puts_its_model_on_the_node_in_one_click(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = []

    def run(request: Any, store: Any, registry: Any, prices: Any, **kw: Any) -> Adapter:
        requests.append(request)
        kw["on_progress"](Progress("training", 30, 30, loss=0.4, validation=0.6))
        card = {"loss": {"base_validation": 1.234, "best_validation": 0.567, "best_step": 20}, "wall_s": 75}
        return Adapter(request.name, "qwen2.5-coder-0.5b", app_env, card)

    _scripted(monkeypatch, run)
    at = _designer("developer")
    next(n for n in at.number_input if n.label == "Steps").set_value(30).run()
    _train(at)
    assert [(r.node, r.teacher, r.student, r.name, r.settings.steps) for r in requests] == [
        ("developer", "local/qwen2.5-coder-1.5b", "local/qwen2.5-coder-0.5b", "seed-developer", 30)
    ]
    ref = "local/qwen2.5-coder-0.5b+seed-developer"
    done = [s.value for s in at.success if ref in s.value]
    assert done and "1.234" in done[0] and "0.567" in done[0] and "1:15" in done[0], done
    _button(at, "Use it for this node").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["workflow"].node("developer").model == ref
    assert next(s for s in at.selectbox if s.label == "Model").value == ref
    assert "Use it for this node" not in [b.label for b in at.button]


def test_a_cancelled_training_says_the_checkpoint_is_kept(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(request: Any, store: Any, registry: Any, prices: Any, **kw: Any) -> Adapter:
        kw["on_progress"](Progress("training", 7, 120, loss=0.9))
        raise Cancelled("training cancelled at step 7 of 120; the checkpoint is kept")

    _scripted(monkeypatch, run)
    at = _designer("developer")
    _train(at)
    assert any("cancelled at step 7 of 120" in i.value and "Train" in i.value for i in at.info)
    assert not _button(at, "Train").disabled  # the same inputs resume
    assert at.session_state["workflow"].node("developer").model == "local/qwen2.5-coder-0.5b"

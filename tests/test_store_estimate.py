from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from workflow_core.pricing.book import HOSTED_SPEED, ModelPrice, PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.estimate import PRIOR_OUTPUT_SHARE, estimate_run
from workflow_core.run.hooks import SaveRun
from workflow_core.run.inputs import RunInputs
from workflow_core.run.migrations import MIGRATIONS
from workflow_core.run.store import Store, StoreError
from workflow_core.testing.fake_server import FakeReply
from workflow_core.workflow.files import parse_workflow

WF = parse_workflow(
    """
name: est
nodes:
  - {id: a, model: fake/small, prompt: "Write about {{ topic }}", params: {max_tokens: 300}}
  - {id: b, model: fake/small, prompt: "Summarise: {{ a }}", params: {max_tokens: 100}}
edges: [{source: a, target: b}]
"""
)
TOPIC = RunInputs({"topic": "haul trucks"})
PRICES = PriceBook(overrides={"fake/small": ModelPrice(1.0, 2.0, source="test")})


def test_store_migrates_once_and_reopens(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    names = sqlite3.connect(path).execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()
    assert [n for (n,) in names] == [fn.__name__ for fn in MIGRATIONS]
    store.close()
    Store(path).close()  # reopening an up-to-date database runs no migration twice


async def test_an_older_database_keeps_its_history_for_estimates(tmp_path, fake_registry):
    """Migration 6 moves each model call's tokens, characters and times out of the runs' JSON into their own
    table: a database written before it still informs estimates."""
    path = tmp_path / "old.sqlite3"
    store = Store(path)
    run = await Engine(fake_registry, prices=PRICES, store=store, hooks=[SaveRun(store)]).run(WF, TOPIC)
    store.close()
    db = sqlite3.connect(path)
    # as a database numbered by user_version before migration 6 (and before migrations had names)
    db.executescript("DROP TABLE node_calls; DROP TABLE _migrations; PRAGMA user_version = 5;")
    db.close()
    reopened = Store(path)
    history = reopened.node_history(WF.name)
    assert {k: (h.input_tokens, h.output_tokens) for k, h in history.items()} == {
        n: (run.node(n).input_tokens, run.node(n).output_tokens) for n in ("a", "b")
    }
    assert history["a"].latency_s == pytest.approx(run.node("a").latency_s)
    chars = sum(len(m["content"]) for n in ("a", "b") for m in run.node(n).messages)
    tokens = run.node("a").input_tokens + run.node("b").input_tokens
    assert reopened.chars_per_token() == {"fake/small": pytest.approx(chars / tokens)}
    assert estimate_run(WF, TOPIC, PRICES, reopened).nodes["a"].output_from_history


def test_estimate_before_any_run_uses_a_prior_and_says_so(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    before = estimate_run(WF, TOPIC, PRICES, store)
    a = before.nodes["a"]
    # A text node's prior: half its max_tokens (PRIOR_OUTPUT_SHARE), not the whole as an upper bound.
    assert a.output_tokens == round(300 * PRIOR_OUTPUT_SHARE["text"]) and not a.output_from_history
    assert before.from_prior == ["a", "b"] and a.basis.startswith("prior")
    # b's prompt holds a's output: its input estimate grows with a's expected output, not just the template.
    assert before.nodes["b"].input_tokens >= a.output_tokens
    assert before.cost_usd == sum(n.cost_usd for n in before.nodes.values()) > 0
    # Every call costs a per-call latency beyond its tokens.
    assert a.latency_s > a.input_tokens / HOSTED_SPEED.prompt_tps + a.output_tokens / HOSTED_SPEED.gen_tps


async def test_the_estimate_learns_a_models_tokenizer_and_a_nodes_times(tmp_path, fake_openai, fake_registry):
    # The scripted server counts words, not four-character tokens: after a run, the estimate counts the
    # prompt's tokens the way this model did, and takes the node's latency from its calls.
    store = Store(tmp_path / "db.sqlite3")
    engine = Engine(fake_registry, prices=PRICES, store=store, hooks=[SaveRun(store)])
    first = estimate_run(WF, TOPIC, PRICES, store)
    run = await engine.run(WF, TOPIC)
    after = estimate_run(WF, TOPIC, PRICES, store)
    actual = run.node("a").input_tokens
    assert abs(after.nodes["a"].input_tokens - actual) <= 8 < abs(first.nodes["a"].input_tokens - actual)
    assert after.nodes["b"].input_tokens == run.node("b").input_tokens  # b's prompt held a stand-in
    assert after.nodes["a"].latency_s == pytest.approx(run.node("a").latency_s)
    assert after.from_prior == []
    # A node whose model changed is back on the prior: the old model's calls say little about the new one.
    other = WF.with_models({"a": "fake/large"})
    assert estimate_run(other, TOPIC, PRICES, store).from_prior == ["a"]


async def test_estimate_after_a_run_uses_measured_output_tokens(tmp_path, fake_openai, fake_registry):
    store = Store(tmp_path / "db.sqlite3")
    run = await Engine(fake_registry, prices=PRICES, store=store, hooks=[SaveRun(store)]).run(WF, TOPIC)
    assert run.estimated_cost_usd > 0
    listed = store.list_runs()
    assert [r["run_id"] for r in listed] == [run.run_id]
    assert store.get_run(run.run_id).total_cost_usd == run.total_cost_usd
    after = estimate_run(WF, TOPIC, PRICES, store)
    assert after.nodes["a"].output_from_history
    assert after.nodes["a"].output_tokens == run.node("a").output_tokens


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.write_bytes(b"this is a text file, not a database" * 50), "not a usable"),
        (lambda p: p.mkdir(), "is a folder"),
        (
            lambda p: sqlite3.connect(p).executescript(
                "CREATE TABLE runs (x INTEGER); INSERT INTO runs VALUES (1);"
            ),
            "another program's tables",
        ),
    ],
)
def test_a_bad_database_file_is_one_clear_message(tmp_path, make, says):
    path = tmp_path / "db.sqlite3"
    make(path)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert says in str(info.value) and str(path) in str(info.value) and "DECOMPOSE_DB" in str(info.value)


def test_a_truncated_database_is_one_clear_message(tmp_path):
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    data = path.read_bytes()
    path.write_bytes(data[:100])
    with pytest.raises(StoreError, match="not a usable"):
        Store(path)


def test_stores_opened_together_on_a_new_file_both_work(tmp_path):
    """Two processes starting together on a new database: the migration holds the write lock from the moment
    it reads the version, so neither dies with `table runs already exists`."""
    path = tmp_path / "new.sqlite3"
    script = (
        "import sys; from workflow_core.run.store import Store; "
        "s = Store(sys.argv[1]); print(len(s.list_runs())); s.close()"
    )
    for _ in range(3):
        path.unlink(missing_ok=True)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(4)
        ]
        results = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [r[1].decode()[-300:] for r in results]


async def test_a_store_that_fails_mid_run_keeps_the_paid_results(tmp_path, fake_registry):
    """The disk fills (here: triggers make every write fail as a full disk would): the node's answer is kept
    with a warning, the run is returned, and the failed save is a warning on the run, not a crash."""
    store = Store(tmp_path / "db.sqlite3")
    for table in ("cache", "runs"):
        store._db.execute(
            f"CREATE TRIGGER full_{table} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )
    run = await Engine(fake_registry, prices=PRICES, store=store, hooks=[SaveRun(store)]).run(WF, TOPIC)
    assert run.status == "ok"
    assert all(n.output_text for n in run.nodes)
    assert any("could not be cached" in w for w in run.node("a").warnings)
    assert any("could not save run" in w for w in run.warnings)


def test_a_run_killed_mid_way_is_marked_interrupted_at_the_next_start(tmp_path, fake_openai):
    """`decompose run` is killed (SIGKILL) while a node waits on a slow model: the record it saved at the
    start is found by the next start and marked interrupted, with the unfinished node saying why."""
    import os
    import signal
    import time

    providers = tmp_path / "providers.yaml"
    providers.write_text(fake_openai.providers_yaml())
    db = tmp_path / "db.sqlite3"
    env = {**os.environ, "DECOMPOSE_PROVIDERS": str(providers), "DECOMPOSE_DB": str(db)}
    wf = tmp_path / "wf.yaml"
    wf.write_text("name: slow\nnodes: [{id: writer, model: fake/small, prompt: Write.}]\n")
    fake_openai.latency_s = 30.0
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflow_core.cli.main", "run", str(wf), "--out", str(tmp_path / "out")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while not fake_openai.requests and time.time() < deadline:
        time.sleep(0.05)
    assert fake_openai.requests, "the run never reached the model"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = Store(db)
    assert [r["status"] for r in store.list_runs()] == ["running"]
    assert store.mark_interrupted() == 1
    run = store.get_run(store.list_runs()[0]["run_id"])
    assert run.status == "interrupted" and "interrupted" in (run.node("writer").error or "")
    assert store.mark_interrupted() == 0  # a second start finds nothing more


def test_a_database_path_that_cannot_be_created_is_one_clear_message(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError, match="cannot create or open the database") as info:
        Store(blocker / "db.sqlite3")
    assert "DECOMPOSE_DB" in str(info.value)


def test_a_database_on_a_read_only_file_system_fails_at_open_before_any_call(tmp_path):
    """A read-only bind mount (root can make one here; where it cannot, the test says so and skips)."""
    source, mounted = tmp_path / "src", tmp_path / "ro"
    source.mkdir()
    mounted.mkdir()
    Store(source / "db.sqlite3").close()
    bind = subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True, check=False)
    if bind.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {bind.stderr.decode().strip()}")
    try:
        remount = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(mounted)], capture_output=True, check=False
        )
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {remount.stderr.decode().strip()}")
        with pytest.raises(StoreError, match="is read-only"):
            Store(mounted / "db.sqlite3")
    finally:
        subprocess.run(["umount", str(mounted)], capture_output=True, check=False)


def test_screenshots_are_kept_by_page_not_by_run(tmp_path) -> None:
    store = Store(tmp_path / "runs.sqlite3")
    page = "<!DOCTYPE html><html><body><h1>Hi</h1></body></html>"
    assert store.screenshots(page) == {}
    store.save_screenshots(
        page, {1280: ("image/jpeg", b"\xff\xd8wide"), 390: ("image/jpeg", b"\xff\xd8narrow")}
    )
    again = Store(tmp_path / "runs.sqlite3")
    assert again.screenshots(page) == {
        1280: ("image/jpeg", b"\xff\xd8wide"),
        390: ("image/jpeg", b"\xff\xd8narrow"),
    }
    assert again.screenshots(page + " ") == {}


async def test_call_statistics_follow_saves_here_and_in_other_processes(tmp_path, fake_registry):
    path = tmp_path / "db.sqlite3"
    here, elsewhere = Store(path), Store(path)  # two connections, as the app and a batch in another process
    assert here.node_history(WF.name) == {}  # loaded (empty) and kept in memory from now on
    await Engine(fake_registry, prices=PRICES, store=here, hooks=[SaveRun(here)], use_cache=False).run(
        WF, TOPIC
    )
    assert here.node_history(WF.name)["a"].calls == 1  # updated as the run was saved, not re-read
    run = await Engine(
        fake_registry, prices=PRICES, store=elsewhere, hooks=[SaveRun(elsewhere)], use_cache=False
    ).run(WF, TOPIC)
    assert here.node_history(WF.name)["a"].calls == 2  # the other connection's commit is seen
    here.save_run(run)  # the same run saved again counts once
    assert here.node_history(WF.name)["a"].calls == 2
    for _ in range(5):
        await Engine(fake_registry, prices=PRICES, store=here, hooks=[SaveRun(here)], use_cache=False).run(
            WF, TOPIC
        )
    assert here.node_history(WF.name)["a"].calls == 5  # the latest five
    assert Store(path).node_history(WF.name) == here.node_history(WF.name)  # memory agrees with the database


async def test_a_node_tried_on_two_models_is_estimated_on_each_from_its_own_calls(
    tmp_path, fake_openai, fake_registry
):
    """The model search runs a node on one model, then another, then the first again: each estimate reads the
    calls on that model (before, the node's latest calls were averaged whatever their model, and a node whose
    last call was on the other model fell back to the prior)."""
    store = Store(tmp_path / "db.sqlite3")
    fake_openai.set_responder(
        lambda body: FakeReply(content="word " * (40 if body["model"] == "large" else 5))
    )
    prices = PriceBook(
        overrides={m: ModelPrice(1.0, 2.0, source="test") for m in ("fake/small", "fake/large")}
    )
    large = WF.with_models({"a": "fake/large"})
    for workflow in (WF, large, WF):
        await Engine(fake_registry, prices=prices, store=store, hooks=[SaveRun(store)], use_cache=False).run(
            workflow, TOPIC
        )
    small_a = estimate_run(WF, TOPIC, prices, store).nodes["a"]
    large_a = estimate_run(large, TOPIC, prices, store).nodes["a"]
    assert small_a.output_from_history and large_a.output_from_history
    assert small_a.output_tokens < 10 < 30 < large_a.output_tokens
    assert store.node_history(WF.name)["a"].model == "fake/small"  # no models given: the latest call's
    assert store.node_history(WF.name, {"a": "fake/large"})["a"].calls == 1
    store.close()


def test_the_database_lives_in_the_user_data_folder_that_decompose_home_moves(tmp_path, monkeypatch) -> None:
    from workflow_core.run.store import default_db_path

    monkeypatch.delenv("DECOMPOSE_DB", raising=False)
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / "decompose.sqlite3"
    store = Store()
    store.close()
    assert (tmp_path / "home" / "decompose.sqlite3").is_file()
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "elsewhere.sqlite3"))
    assert default_db_path() == tmp_path / "elsewhere.sqlite3"

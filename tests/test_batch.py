"""`decompose batch` as a user runs it: a real subprocess against the scripted server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.test_cli import EXAMPLE, decompose

PROFILE_NAMES = [
    "Ada Quill",
    "Bo Rennet",
    "Cy Marrow",
    "Di Thistle",
    "Ed Lumen",
    "Fay Gorse",
    "Gus Tamber",
    "Hal Vesper",
]


def _profiles_file(tmp_path: Path, *, distinct: bool = False) -> Path:
    """Eight visitors who differ only by name (their pages share cached nodes), or, with `distinct`, by goal too,
    so that every page calls the model."""
    base = json.loads((EXAMPLE / "profiles" / "dana-mining.json").read_text())
    path = tmp_path / "visitors.jsonl"
    lines = [
        json.dumps(
            {**base, "id": name.lower().replace(" ", "-"), "name": name}
            | ({"goals": f"{base['goals']} ({name}'s own target)"} if distinct else {})
        )
        for name in PROFILE_NAMES
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]


def _chat_requests(fake_openai) -> list[str]:
    return [
        json.dumps(r) for r in fake_openai.requests if str(r.get("path", "")).endswith("/chat/completions")
    ]


def test_batch_writes_a_page_per_profile_results_and_a_summary(cli_env, tmp_path, fake_openai) -> None:
    out = tmp_path / "out"
    args = ["batch", "seed", "--scenario", str(EXAMPLE), "--profiles", str(EXAMPLE / "profiles")]
    args += [
        "--allow-unpublishable"
    ]  # the scripted model's pages fail their checks: the gate's test is below
    proc = decompose(cli_env, *args, "--out", str(out), "--all-models", "fake/small", "--concurrency", "3")
    results = _results(out)
    assert sorted(r["profile"] for r in results) == sorted(
        p.stem for p in (EXAMPLE / "profiles").glob("*.json")
    )
    for r in results:
        assert r["status"] == "ok" and r["cost_usd"] > 0 and r["error"] is None
        assert r["qa_axes"] and 0 <= r["qa_score"] <= 1 and r["wall_s"] > 0
        assert isinstance(r["publishable"], bool) and "substance" in r["qa_axes"]
        assert (out / r["page"]).read_text().lstrip().lower().startswith("<!doctype html")
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["ok"], summary["failed"], summary["not_started"]) == (5, 0, 0)
    assert summary["cost_usd"] == sum(r["cost_usd"] for r in results)
    assert summary["quality"]["score"]["min"] <= summary["quality"]["score"]["p50"] <= 1
    assert summary["quality"]["publishable"] == sum(1 for r in results if r["publishable"])
    assert "5/5 pages ok" in proc.stdout

    calls = len(_chat_requests(fake_openai))
    again = decompose(cli_env, *args, "--out", str(out), "--all-models", "fake/small")
    assert "5 already done" in again.stderr
    assert len(_chat_requests(fake_openai)) == calls, "a finished batch run again calls no model"
    # The same visitors into a new folder: every node comes from the store's cache, and each line says so
    # (a $0 line with no reason puzzled a user comparing models).
    fresh = decompose(cli_env, *args, "--out", str(tmp_path / "fresh"), "--all-models", "fake/small")
    assert len(_chat_requests(fake_openai)) == calls
    assert fresh.stderr.count("node(s) from the cache") == 5, fresh.stderr


def test_batch_resumes_after_kill_9_without_repeating_a_paid_call(cli_env, tmp_path, fake_openai) -> None:
    fake_openai.latency_s = 0.4
    out = tmp_path / "out"
    args = [
        sys.executable, "-m", "workflow_core.cli.main", "batch", "seed", "--scenario", str(EXAMPLE),
        "--profiles", str(_profiles_file(tmp_path)), "--out", str(out), "--all-models", "fake/small",
        "--concurrency", "2", "--allow-unpublishable",
    ]  # fmt: skip
    proc = subprocess.Popen(args, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not ((out / "results.jsonl").exists() and len(_results(out)) >= 3):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before = {r["profile"] for r in _results(out)}
    assert 3 <= len(finished_before) < len(PROFILE_NAMES), "killed mid-way"

    again = decompose(cli_env, *args[3:])
    assert f"{len(finished_before)} already done" in again.stderr
    results = _results(out)
    assert sorted(r["profile"] for r in results) == sorted(n.lower().replace(" ", "-") for n in PROFILE_NAMES)
    assert all(r["status"] == "ok" for r in results)
    requests = _chat_requests(fake_openai)
    # Only the personalizer reads the profile (the writers see what it picked), so a profile's name marks the
    # personalizer's call: once for a profile that finished before the kill, at most twice for one in flight.
    for name in PROFILE_NAMES:
        mine = [r for r in requests if name in r]
        if name.lower().replace(" ", "-") in finished_before:
            assert len(mine) == 1, f"{name} finished before the kill: its calls must not be repeated"
        else:
            assert 1 <= len(mine) <= 2, name
    # At most two model calls per page (the developer's is shared by visitors it would write the same page
    # for), plus the calls in flight at the kill (at most --concurrency), made again.
    assert len(PROFILE_NAMES) < len(requests) <= 2 * len(PROFILE_NAMES) + 2
    assert len(requests) <= 2 * len(PROFILE_NAMES) + 2


def test_a_budget_smaller_than_the_batch_stops_it_with_what_is_left(cli_env, tmp_path, fake_openai) -> None:
    out = tmp_path / "out"
    base = [
        "batch",
        "seed",
        "--scenario",
        str(EXAMPLE),
        "--all-models",
        "fake/small",
        "--allow-unpublishable",
    ]
    # One page first, so the estimates know how long the answers are.
    warm = tmp_path / "warm"
    warm.mkdir()
    (warm / "one.json").write_text(json.dumps({"name": "Warm Up", "segment": "Mining"}))
    decompose(cli_env, *base, "--profiles", str(warm), "--out", str(tmp_path / "warm-out"))
    one_page = _results(tmp_path / "warm-out")[0]["cost_usd"]

    budget = one_page * 3.5
    proc = decompose(
        cli_env, *base, "--profiles", str(_profiles_file(tmp_path)), "--out", str(out),
        "--budget-usd", repr(budget), "--concurrency", "1", check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "stopped: not started: the budget has $" in proc.stderr and "next run is estimated" in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    # The warm-up page's cost only sizes the budget (about 3.5 pages; the visitors' pages cost 0.8-1.0 of it,
    # so 3 or 4 fit): what matters is that the batch stopped short of all of them, within the budget.
    assert 1 <= summary["ok"] <= 4 and summary["not_started"] == len(PROFILE_NAMES) - summary["ok"] >= 1
    assert summary["cost_usd"] <= budget + 0.25 * one_page  # never above by more than an estimate's error
    assert summary["budget_left_usd"] == budget - summary["cost_usd"]


def test_batch_skips_the_profiles_it_cannot_run_and_says_why(cli_env, tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = [
        b'{"name": "Ok"}',
        b"not json",
        b"[1, 2]",
        b'{"name": "' + b"x" * 2001 + b'"}',
        b'{"a": [[[[[1]]]]]}',
        b'{"notes": ' + b"[" * 500 + b"1" + b"]" * 500 + b"}",  # 5 KB, 500 levels: was a RecursionError
        b'{"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # too deep for the JSON parser itself
        b'{"name": "Lone \\ud800 surrogate"}',
        b'{"name": "Bad \xff byte"}',
    ]
    bad.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "o"
    proc = decompose(
        cli_env, "batch", "seed", "--scenario", str(EXAMPLE), "--profiles", str(bad), "--out", str(out),
        "--all-models", "fake/small", "--allow-unpublishable", check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "bug" not in proc.stderr
    assert "skipping 8 profile(s) that cannot be run" in proc.stderr
    assert "line 2 is not valid JSON" in proc.stderr and "line 3 must be a JSON object" in proc.stderr
    assert "field 'name' holds text of 2001 characters" in proc.stderr
    assert "field 'a' is nested 6 levels deep" in proc.stderr
    assert "line 6: field 'notes' is nested more than 8 levels deep" in proc.stderr
    assert "line 7 is not usable JSON: it is nested too deeply" in proc.stderr
    assert "line 8: field 'name' holds a lone UTF-16 surrogate" in proc.stderr
    assert "line 9 is not UTF-8 text" in proc.stderr
    assert [r["profile"] for r in _results(out)] == ["profile-1"]  # the good line ran
    assert "1/1 pages ok" in proc.stdout
    assert len(json.loads((out / "summary.json").read_text())["rejected_inputs"]) == 8
    missing = decompose(
        cli_env, "batch", "seed", "--scenario", str(EXAMPLE), "--profiles", str(tmp_path / "nope.jsonl"),
        "--out", str(tmp_path / "o"), check=False,
    )  # fmt: skip
    assert "does not exist: give a .jsonl file" in missing.stderr


def test_static_checks_skip_the_browser_and_say_so_on_every_page(cli_env, tmp_path) -> None:
    from workflow_core.run.store import Store

    out = tmp_path / "out"
    proc = decompose(
        cli_env, "batch", "seed", "--scenario", str(EXAMPLE), "--profiles", str(EXAMPLE / "profiles"),
        "--out", str(out), "--all-models", "fake/small", "--static-checks", "--allow-unpublishable",
    )  # fmt: skip
    assert "static checks (no browser)" in proc.stderr and "5/5 pages ok" in proc.stdout
    store = Store(Path(cli_env["DECOMPOSE_DB"]))
    try:
        for r in _results(out):
            run = store.get_run(r["run_id"])
            assert run is not None and not run.screenshots
            skipped = [f.message for f in run.qa_findings if f.message.startswith("rendered checks skipped")]
            assert skipped and all("static checks were chosen" in m for m in skipped), run.qa_findings
    finally:
        store.close()


def test_kill_stops_a_batch_like_ctrl_c_and_its_page_workers_with_it(cli_env, tmp_path, fake_openai) -> None:
    # Every page calls the model (distinct visitors): with shared cached nodes the last pages took under a second
    # after the first, and on a loaded machine the batch could end before the kill reached it.
    fake_openai.latency_s = 0.3
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflow_core.cli.main", "batch", "seed", "--scenario", str(EXAMPLE),
         "--profiles", str(_profiles_file(tmp_path, distinct=True)), "--out", str(out), "--all-models", "fake/small",
         "--concurrency", "2"],
        env={**cli_env, "DECOMPOSE_PAGE_WORKERS": "2"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline and not ((out / "results.jsonl").exists() and _results(out)):
        time.sleep(0.05)
    workers = _children(proc.pid, "loky.backend.popen_loky")
    assert workers, "the batch builds and checks its pages in worker processes"
    assert len(_results(out)) < len(PROFILE_NAMES), "the batch must still be running when it is killed"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "run the same command to continue" in err, err
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "page workers outlived their batch"


def _children(pid: int, marker: str) -> list[int]:
    ps = subprocess.run(["ps", "-ww", "--ppid", str(pid), "-o", "pid=,args="], capture_output=True, text=True)
    return [int(line.split()[0]) for line in ps.stdout.splitlines() if marker in line]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_page_that_fails_its_checks_is_gated_not_written(cli_env, tmp_path, fake_openai) -> None:
    out = tmp_path / "out"
    args = ["batch", "seed", "--scenario", str(EXAMPLE), "--profiles", str(EXAMPLE / "profiles")]
    args += ["--out", str(out), "--all-models", "fake/small", "--static-checks"]
    proc = decompose(cli_env, *args, check=False)  # the scripted model's pages fail their checks
    assert proc.returncode == 1 and "0/5 pages ok, 5 gated" in proc.stdout
    results = _results(out)
    assert {r["status"] for r in results} == {"gated"} and all(r["blocking"] for r in results)
    assert not list((out / "pages").iterdir())
    for r in results:
        assert r["page"] == f"gated/{r['profile']}.html" and (out / r["page"]).is_file()
        assert r["publishable"] is False
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["ok"], summary["gated"], summary["failed"]) == (0, 5, 0)

    calls = len(_chat_requests(fake_openai))
    again = decompose(cli_env, *args, check=False)  # not done, so run again: from the cache, for nothing
    assert "0 already done" in again.stderr and len(_chat_requests(fake_openai)) == calls
    allowed = decompose(cli_env, *args, "--allow-unpublishable")
    assert "5/5 pages ok" in allowed.stdout and len(list((out / "pages").iterdir())) == 5
    assert not list((out / "gated").iterdir())  # a page published now leaves no stale gated copy


def test_a_second_batch_on_the_same_folder_refuses_to_run(cli_env, tmp_path, fake_openai) -> None:
    fake_openai.latency_s = 0.3
    out = tmp_path / "out"
    profiles = _profiles_file(tmp_path)
    base = [
        "batch",
        "seed",
        "--scenario",
        str(EXAMPLE),
        "--all-models",
        "fake/small",
        "--allow-unpublishable",
    ]
    # One page first, so the estimates know how long the answers are.
    warm = tmp_path / "warm"
    warm.mkdir()
    (warm / "one.json").write_text(json.dumps({"name": "Warm Up", "segment": "Mining"}))
    decompose(cli_env, *base, "--profiles", str(warm), "--out", str(tmp_path / "warm-out"))
    one_page = _results(tmp_path / "warm-out")[0]["cost_usd"]
    budget = one_page * 5.5
    calls_before = len(_chat_requests(fake_openai))

    args = [*base, "--profiles", str(profiles), "--out", str(out), "--budget-usd", repr(budget)]
    first = subprocess.Popen(
        [sys.executable, "-m", "workflow_core.cli.main", *args, "--concurrency", "1"],
        env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline and not (out / ".batch.lock").exists():
        time.sleep(0.05)
    second = decompose(cli_env, *args, check=False)
    _, err = first.communicate(timeout=300)
    assert second.returncode != 0 and "Traceback" not in second.stderr
    assert "another batch is writing to" in second.stderr and "nothing was run" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    summary = json.loads((out / "summary.json").read_text())
    # Each profile ran once, by the first batch, and the spend on the store stays within the budget.
    assert sorted(r["profile"] for r in _results(out)) == sorted({r["profile"] for r in _results(out)})
    assert summary["cost_usd"] <= budget + 0.25 * one_page
    paid = len(_chat_requests(fake_openai)) - calls_before
    assert paid <= 2 * (summary["ok"] + summary["failed"]) + 2, err
    # Once the first has finished, the folder is free again: the same command resumes.
    again = decompose(cli_env, *args, check=False)
    assert "another batch" not in again.stderr

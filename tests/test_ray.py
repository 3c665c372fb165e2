"""`decompose batch --ray local`: the runs are Ray tasks on a local Ray instance (two worker actors, each
its own process and engine, calling the scripted server over HTTP); the runs, their screenshots and the
ledger come back to the driver's store and output folder."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.test_cli import EXAMPLE, decompose

pytest.importorskip("ray", reason="the [ray] extra is not installed (tests/run.sh installs it)")

PROFILES = ("dana-mining", "marcus-agriculture", "sofia-logistics")


def test_batch_on_a_local_ray_instance_comes_back_to_the_drivers_store(cli_env, tmp_path, fake_openai):
    profiles = tmp_path / "profiles.jsonl"
    with profiles.open("w", encoding="utf-8") as f:
        for pid in PROFILES:
            data = json.loads((EXAMPLE / "profiles" / f"{pid}.json").read_text(encoding="utf-8"))
            f.write(json.dumps({"id": pid, **data}) + "\n")
    out = tmp_path / "out"
    args = [
        "batch",
        "seed",
        "--all-models",
        "fake/small",
        "--scenario",
        str(EXAMPLE),
        "--allow-unpublishable",
    ]
    args += ["--profiles", str(profiles), "--out", str(out), "--ray", "local", "--concurrency", "2"]
    proc = decompose(cli_env, *args)
    assert "on Ray (local)" in proc.stderr and "3/3 pages ok" in proc.stdout
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["profile"] for r in results) == sorted(PROFILES)
    assert all(r["status"] == "ok" and (out / r["page"]).is_file() and r["qa_score"] for r in results)
    assert len(fake_openai.requests) == 2 * len(PROFILES)  # seed: personalizer, developer
    db = sqlite3.connect(cli_env["DECOMPOSE_DB"])
    records = [json.loads(r) for (r,) in db.execute("SELECT record FROM runs")]
    assert sorted(r["run_id"] for r in records) == sorted(r["run_id"] for r in results)
    # Two actors, each its own process: the runs name the worker that made them.
    assert len({r["process"] for r in records}) == 2
    assert db.execute("SELECT COUNT(DISTINCT page_sha) FROM page_screenshots").fetchone()[0] >= 1
    assert db.execute("SELECT COUNT(*) FROM node_calls").fetchone()[0] == 2 * len(PROFILES)
    # Run again: every profile is done, so nothing is sent to Ray and no model is called.
    again = decompose(cli_env, *args)
    assert "3 already done" in again.stderr and len(fake_openai.requests) == 2 * len(PROFILES)


def test_ray_missing_or_unreachable_is_one_clear_line(cli_env, tmp_path):
    profiles = tmp_path / "p.jsonl"
    profiles.write_text(json.dumps({"id": "a", "role": "x"}) + "\n", encoding="utf-8")
    proc = decompose(
        cli_env,
        *[
            "batch",
            "seed",
            "--scenario",
            str(EXAMPLE),
            "--profiles",
            str(profiles),
            "--out",
            str(tmp_path / "o"),
        ],
        *["--ray", "ray://127.0.0.1:1"],
        check=False,
    )
    assert proc.returncode == 1 and "could not start or join Ray at 'ray://127.0.0.1:1'" in proc.stderr
    assert "Traceback" not in proc.stderr

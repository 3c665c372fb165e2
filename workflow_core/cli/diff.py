"""`decompose diff RUN_A RUN_B`: two stored runs node by node (prompts, outputs, tokens, latency, cost, QA).
Kept free of heavy imports at module level, as `decompose --help` loads it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_core.records import RunRecord
    from workflow_core.run.store import Store


def add_parser(sub: Any) -> None:
    d = sub.add_parser(
        "diff", help="two stored runs node by node: prompts, outputs, tokens, latency, cost, QA"
    )
    d.add_argument("run_a")
    d.add_argument("run_b")
    d.add_argument("--max-lines", type=int, default=80, help="lines shown of each prompt or output diff")
    d.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from workflow_core.run.diff import diff_runs, format_diff
    from workflow_core.run.store import Store

    store = Store()
    print(format_diff(diff_runs(_run(store, args.run_a), _run(store, args.run_b)), max_lines=args.max_lines))
    return 0


def _run(store: Store, run_id: str) -> RunRecord:
    from workflow_core.errors import DecomposeError

    run = store.get_run(run_id)
    if run is None:
        raise DecomposeError(
            f"no run '{run_id}' in {store.path}. Run ids are in a run's report.json (run_id), in an experiment's "
            "runs.csv, and on the Run page under Recent runs."
        )
    return run

"""Serving a page again must stay fast whatever is added in front of visitors (issue 23: sanitising, the
publish gate, request ids, security headers): the p95 of repeats, this tree against a baseline commit, each
measured by `decompose bench --production`'s serve benchmark (`bench.serve.measure_serve`: 500
requests at 50 concurrent on the scripted server, then 250 repeats alone), alternating baseline and this
tree so that a change in the machine's load falls on both.

    python3 benchmarks/serve_repeats.py [--baseline REF] [--rounds N]

Prints each measurement, the ratio of the medians and the verdict against the target (≤ 1.2×).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.2
BASELINE = "b11325b"  # main before issue 23's first commit
# The serve benchmark has its own module since issue 28; a baseline from before has it in bench.production.
_MEASURE = (
    "import json, workflow_core\n"
    "try:\n    from workflow_core.bench.serve import measure_serve\n"
    "except ImportError:\n    from workflow_core.bench.production import measure_serve\n"
    "r = measure_serve(); print(json.dumps(r))"
)


def measure(tree: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE], env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True,
        timeout=900, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"git ref to compare with (default {BASELINE})")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-f", "--detach", str(before), args.baseline],
                       check=True, capture_output=True)  # fmt: skip
        try:
            runs: dict[str, list[dict]] = {"baseline": [], "this tree": []}
            for n in range(args.rounds):
                for name, tree in (("baseline", before), ("this tree", ROOT)):
                    r = measure(tree)
                    runs[name].append(r)
                    print(
                        f"round {n + 1} {name:<9}: repeats alone p50 {r['repeats_alone_p50_s'] * 1000:.1f} ms, "
                        f"p95 {r['repeats_alone_p95_s'] * 1000:.1f} ms; mixed load p95 {r['p95_s']:.2f} s, "
                        f"{r['errors']} errors",
                        flush=True,
                    )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False
            )
    p95 = {k: statistics.median(r["repeats_alone_p95_s"] for r in v) for k, v in runs.items()}
    ratio = p95["this tree"] / p95["baseline"]
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(
        f"repeats p95: {p95['this tree'] * 1000:.1f} ms against {p95['baseline'] * 1000:.1f} ms at "
        f"{args.baseline} = {ratio:.2f}× ({verdict} the target of ≤ {TARGET}×)"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

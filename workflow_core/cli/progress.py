"""What `decompose run` prints while a run goes: each node's start and end on stderr, with its time, tokens and
cost, what a node's model call waits on (a call slot, its model loading, its prompt being processed), and a
running count of streamed chunks when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import Any


class RunPrinter:
    """Prints node progress to stderr; a running token count per node when stderr is a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.tokens: dict[str, int] = {}

    def __call__(self, event: Any) -> None:
        if event.kind == "node_started":
            print(f"  ▶ {event.node_id} started", file=sys.stderr, flush=True)
        elif event.kind == "node_status" and not (event.text or "").startswith("generating"):
            if self.tty and event.node_id in self.tokens:
                print(file=sys.stderr)
            print(f"    {event.node_id}: {event.text}", file=sys.stderr, flush=True)
        elif event.kind == "token" and self.tty:
            n = self.tokens[event.node_id] = self.tokens.get(event.node_id, 0) + 1
            print(f"\r    {event.node_id}: {n} chunks streamed", end="", file=sys.stderr, flush=True)
        elif event.kind == "node_finished" and event.record is not None:
            r = event.record
            if self.tty and r.id in self.tokens:
                print(file=sys.stderr)
            mark = {"ok": "✓", "failed": "✗", "skipped": "–", "cancelled": "■"}.get(r.status, "?")
            detail = (
                f"{r.latency_s:6.2f} s  in {r.input_tokens:5d}  out {r.output_tokens:5d}  ${r.cost_usd:.6f}"
                + ("  (cached)" if r.cached else "")
            )
            print(f"  {mark} {r.id:<16} {r.status:<9} {detail}", file=sys.stderr, flush=True)
            if r.error:
                print(f"      {r.error}", file=sys.stderr, flush=True)

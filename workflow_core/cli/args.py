"""Argument parsing shared by the `decompose` commands, kept free of heavy imports (the CLI starts fast)."""

from __future__ import annotations

import argparse

from workflow_core.errors import DecomposeError


def add_otel_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--otel",
        action="store_true",
        help="export a trace per run over OTLP/HTTP (to OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4318)",
    )


def parse_node_refs(pairs: list[str], flag: str, node_note: str = "") -> dict[str, str]:
    """`NODE=PROVIDER/MODEL` pairs given with `flag` (e.g. `--model`, `--what-if`) as a map from node id to
    model ref, later pairs winning. Raises DecomposeError naming the flag for a pair without `=`, without a
    node or without a PROVIDER/MODEL ref; `node_note` is added to that message (e.g. " (NODE may be *)")."""
    out: dict[str, str] = {}
    for pair in pairs:
        node, sep, ref = pair.partition("=")
        if not sep or not node.strip() or "/" not in ref:
            raise DecomposeError(f"{flag} expects NODE=PROVIDER/MODEL{node_note}, got '{pair}'.")
        out[node.strip()] = ref.strip()
    return out

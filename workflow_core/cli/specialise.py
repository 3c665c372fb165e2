"""`decompose specialise NODE`: train a LoRA adapter for one node of a workflow on a bigger model's stored
answers, and print the new model reference (`local/STUDENT+NAME`) that any `--model`, variant or workflow
can name. Ctrl-C (or `kill`) stops after the current step and keeps the checkpoint: the same command resumes.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.tune.specialise import STUDENT_DEFAULT
from workflow_core.tune.train import TARGET_MODULES, Settings, duration


def add_parser(sub: Any) -> argparse.ArgumentParser:
    s = sub.add_parser(
        "specialise",
        help="train a small local model for one node on a bigger model's stored runs (LoRA); prints the new "
        "model reference",
        description="Distil one node: the teacher's answers from stored runs whose page passed the verdict "
        "become training examples (split by visitor), a LoRA adapter is trained on the student's own weights "
        "and served by llama.cpp as local/STUDENT+NAME. Needs the [tune] extra.",
    )
    s.add_argument("node", help="the node to specialise, e.g. developer")
    s.add_argument(
        "--workflow", required=True, help="the workflow whose stored runs teach (template or YAML)"
    )
    s.add_argument("--from", dest="teacher", required=True, metavar="REF", help="the teacher's model ref")
    s.add_argument(
        "--to",
        dest="student",
        default=STUDENT_DEFAULT,
        metavar="REF",
        help=f"the local student (default {STUDENT_DEFAULT})",
    )
    s.add_argument(
        "--scenario", default="DIR", help="the scenario the runs were made on (for the advice on making more)"
    )
    s.add_argument("--name", help="the adapter's name (default WORKFLOW-NODE)")
    s.add_argument("--steps", type=int, help=f"training steps, one example each (default {Settings().steps})")
    s.add_argument("--learning-rate", type=float, help="AdamW learning rate (default 2e-4)")
    s.add_argument("--rank", type=int, help="LoRA rank (default 16; alpha is twice the rank)")
    s.add_argument(
        "--modules",
        help="the projections to adapt, comma-separated (default all: " + ",".join(TARGET_MODULES) + ")",
    )
    s.add_argument(
        "--min-quality",
        type=float,
        help="keep the teacher's runs whose page scored at least this (0-1) instead of only publishable ones",
    )
    s.add_argument("--seed", type=int, default=0, help="the shuffle, the split and the adapter's start")
    s.set_defaults(func=cmd_specialise)
    return s


class _Bar:
    """One line of progress on stderr: redrawn in place on a terminal, every tenth step otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, p: Any) -> None:
        if p.phase != "training" or not p.steps:
            if self.tty:
                print(file=sys.stderr)
            print(p.note, file=sys.stderr, flush=True)
            return
        if p.note:
            print(p.note, file=sys.stderr, flush=True)
        if not p.step:
            return
        width = 24
        filled = round(width * p.step / p.steps)
        line = f"[{'#' * filled}{'.' * (width - filled)}] " + "  ".join(p.parts())
        if self.tty:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)
        elif p.step % 10 == 0 or p.step == p.steps:
            print(line, file=sys.stderr, flush=True)


def request_from_args(args: argparse.Namespace) -> Any:
    from workflow_core.tune.specialise import Request, default_name
    from workflow_core.tune.train import Settings
    from workflow_core.workflow.templates import resolve_workflow

    workflow = resolve_workflow(args.workflow)
    node = next((n for n in workflow.nodes if n.id == args.node), None)
    if node is None or not node.model:
        agents = ", ".join(n.id for n in workflow.nodes if n.model) or "none"
        raise DecomposeError(
            f"{workflow.name} has no node '{args.node}' that calls a model; its model nodes: {agents}"
        )
    if args.min_quality is not None and not 0 <= args.min_quality <= 1:
        raise DecomposeError(f"--min-quality is a quality between 0 and 1, got {args.min_quality}")
    overrides: dict[str, Any] = {"seed": args.seed}
    if args.steps is not None:
        if args.steps < 1:
            raise DecomposeError(f"--steps must be 1 or more, got {args.steps}")
        overrides["steps"] = args.steps
    if args.learning_rate is not None:
        if not 0 < args.learning_rate < 1:
            raise DecomposeError(f"--learning-rate must be between 0 and 1, got {args.learning_rate}")
        overrides["learning_rate"] = args.learning_rate
    if args.rank is not None:
        if not 1 <= args.rank <= 256:
            raise DecomposeError(f"--rank must be between 1 and 256, got {args.rank}")
        overrides["rank"], overrides["alpha"] = args.rank, 2 * args.rank
    if args.modules is not None:
        modules = tuple(dict.fromkeys(m.strip() for m in str(args.modules).split(",") if m.strip()))
        unknown = [m for m in modules if m not in TARGET_MODULES]
        if unknown or not modules:
            raise DecomposeError(f"--modules takes some of {','.join(TARGET_MODULES)}, got '{args.modules}'")
        overrides["modules"] = modules
    settings = Settings(**overrides)
    settings = Settings(
        **{**settings.__dict__, "eval_every": max(1, min(settings.eval_every, settings.steps))}
    )
    name = args.name or default_name(workflow.name, args.node)
    return Request(
        workflow.name, args.node, args.teacher, args.student, name, settings, args.min_quality, args.scenario
    )


def cmd_specialise(args: argparse.Namespace) -> int:
    from workflow_core.providers.registry import ProviderRegistry
    from workflow_core.run.store import Store
    from workflow_core.tune import extra
    from workflow_core.tune.specialise import check, specialise
    from workflow_core.tune.train import Cancelled
    from workflow_core.workspace import price_book

    request = request_from_args(args)
    registry = ProviderRegistry.from_environment()
    check(request, registry)
    extra.require()
    cancel = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print(
            "\nstopping after this step; the checkpoint is kept (Ctrl-C again to stop now)", file=sys.stderr
        )

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    store = Store()
    try:
        adapter = specialise(
            request,
            store,
            registry,
            price_book(registry=registry),
            on_progress=_Bar(),
            on_data=lambda data: print(data.summary(), file=sys.stderr, flush=True),
            cancel=cancel,
        )
    except Cancelled as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.close()
    card = adapter.card
    loss = card["loss"]
    print(
        f"\ntrained in {duration(card['wall_s'])} on {card['device']} ({card['precision']}); validation loss "
        f"{loss['base_validation']:.3f} (the base model) → {loss['best_validation']:.3f} (step "
        f"{loss['best_step']}, kept); training compute ${card['training_cost_usd']:.4f}; adapter in "
        f"{adapter.folder}",
        file=sys.stderr,
    )
    if loss["best_step"] == 0:
        print(
            "no step beat the base model on the validation visitors: the adapter will not help; try more runs "
            "or fewer steps",
            file=sys.stderr,
        )
    ref = f"local/{adapter.model}"
    print(f"use it: --model {request.node}={ref}", file=sys.stderr)
    print(ref)
    return 0

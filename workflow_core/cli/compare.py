"""`decompose compare`: run an experiment, print its analysis and write the exports.

What it prints and what it writes are both renderings of one `lab.analysis.analyse(...)`: the table, the
headline (and the what-if one), the coordination fit and the TCO break-even are the numbers the Compare page
and report.html show for the same experiment.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from workflow_core.cli.args import parse_node_refs
from workflow_core.errors import DecomposeError
from workflow_core.lab.analysis import ExperimentAnalysis, analyse
from workflow_core.lab.disturbance import remeasure_keys
from workflow_core.lab.experiment import Experiment, ExperimentSpec, Variant, VariantSummary, load_experiment
from workflow_core.lab.export import Shots, experiment_screenshots, write_exports
from workflow_core.lab.tables import axis_rows
from workflow_core.lab.tco import TcoInputs
from workflow_core.lab.trials import ExperimentProgress, run_experiment
from workflow_core.quality.model import weights_text
from workflow_core.run.examples import ExampleRequest
from workflow_core.run.store import Store

if TYPE_CHECKING:
    from workflow_core.run.engine import Engine

_TABLE_COLUMNS = (
    ("variant", "variant", "{}"),
    ("k", "k", "{}"),
    ("runs", "runs", "{}"),
    ("failures", "fail", "{}"),
    ("calls", "calls", "{:.1f}"),
    ("input_tokens", "in tok", "{:.0f}"),
    ("output_tokens", "out tok", "{:.0f}"),
    ("cost_usd", "USD/run", "{:.6f}"),
    ("wall_s", "wall s", "{:.2f}"),
    ("critical_path_s", "crit s", "{:.2f}"),
    ("publishable", "publish", "{:.0%}"),
    ("qa_mean", "QA", "{:.2f}"),
    ("qa_std", "QA sd", "{:.2f}"),
    ("axis:substance", "substance", "{:.2f}"),
    ("written", "written", "{:.0%}"),
    ("repeated", "repeated", "{:.0%}"),
    ("distinctiveness", "distinct", "{:.2f}"),
)


def format_table(summaries: list[VariantSummary]) -> str:
    """The summary as a fixed-width text table (what the CLI prints)."""
    header = [h for _, h, _ in _TABLE_COLUMNS]
    rows = []
    for s in summaries:
        d = s.row()
        rows.append([("–" if d.get(key) is None else fmt.format(d[key])) for key, _, fmt in _TABLE_COLUMNS])
    return text_table(header, rows)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Fixed-width columns, the first left-aligned and the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    ]
    for r in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(lines)


def _progress_printer(stream: Any = None) -> Callable[[ExperimentProgress], None]:
    out = stream or sys.stderr
    started = 0  # trials started so far: the next may start before the last has finished its checks

    def show(p: ExperimentProgress) -> None:
        nonlocal started
        if p.phase == "trial_started":
            started += 1
            print(
                f"[{started}/{p.total}] {p.variant} · {p.profile or '-'} · repeat {p.repeat}",
                file=out,
                flush=True,
            )
        elif p.phase == "trial_finished" and p.trial is not None:
            t = p.trial
            if t.run is None:
                print(f"    ✗ {t.error}", file=out, flush=True)
            else:
                qa = "–" if t.run.qa_score is None else f"{t.run.qa_score:.2f}"
                cached = sum(1 for n in t.run.nodes if n.cached)
                print(
                    f"    {'✓' if t.ok else '✗'} {t.run.status}: ${t.cost_usd:.6f}, critical path "
                    f"{t.critical_path_s:.2f} s, QA {qa}" + (f", {cached} node(s) cached" if cached else ""),
                    file=out,
                    flush=True,
                )
                if t.error:
                    print(f"      {t.error}", file=out, flush=True)

    return show


def spec_from_args(args: argparse.Namespace) -> ExperimentSpec:
    names = [v.strip() for v in str(args.variants).split(",") if v.strip()]
    if not names:
        raise DecomposeError(
            "--variants needs at least one template name or YAML path, e.g. single,seed,deep."
        )
    all_models = getattr(args, "all_models", None)
    variants = [_variant(n, all_models) for n in names]
    profiles = [p.strip() for p in (getattr(args, "profiles", None) or "").split(",") if p.strip()]
    return ExperimentSpec(
        name=getattr(args, "name", None) or "compare " + ",".join(v.name for v in variants),
        variants=variants,
        profiles=profiles,
        repeats=int(getattr(args, "repeats", 1) or 1),
    )


def _variant(token: str, all_models: str | None) -> Variant:
    """A variant from `--variants`: a template or YAML path, optionally specialised by examples from past runs
    as `seed[developer=local/qwen2.5-coder-1.5b:2]`, or sampling a node's page n times and keeping the best as
    `seed[developer:candidates=3]` (several `;`-separated), named `seed+examples`, `seed+best3`."""
    match = re.fullmatch(r"(?P<wf>[^\[]+)\[(?P<examples>[^\]]*)\]", token)
    if not match:
        return Variant(name=_variant_name(token), workflow=token, all_models=all_models)
    items = [e.strip() for e in match.group("examples").split(";") if e.strip()]
    candidates: dict[str, int] = {}
    examples = []
    for text in items:
        best = re.fullmatch(r"(?P<node>[a-z_][a-z0-9_]*):candidates=(?P<n>\d+)", text)
        if best:
            n = int(best.group("n"))
            if not 1 <= n <= 8:
                raise DecomposeError(f"{token}: candidates must be 1 to 8, got {n}.")
            candidates[best.group("node")] = n
            continue
        ExampleRequest.parse(text)  # a malformed request is an error now, not in every trial
        examples.append(text)
    workflow = match.group("wf").strip()
    suffix = ("+examples" if examples else "") + "".join(f"+best{n}" for n in candidates.values())
    return Variant(
        name=f"{_variant_name(workflow)}{suffix}",
        workflow=workflow,
        all_models=all_models,
        examples=examples,
        candidates=candidates,
    )


def _variant_name(name_or_path: str) -> str:
    from pathlib import Path

    return Path(name_or_path).stem if name_or_path.endswith((".yaml", ".yml")) else name_or_path


def compare_cli(args: argparse.Namespace, engine_factory: Callable[[], Engine] | None = None) -> int:
    """`decompose compare`: run the experiment, print progress (stderr) and its analysis (stdout), and
    write OUT/report.html, OUT/results.csv, OUT/results.json (plus runs.csv, nodes.csv, pages/). Returns 0
    when every run succeeded, 1 otherwise (the files are written either way)."""
    from workflow_core.scenario import load_scenario
    from workflow_core.workspace import price_book

    model_map = parse_node_refs(getattr(args, "what_if", None) or [], "--what-if", " (NODE may be *)")
    remeasure: Experiment | None = None
    if getattr(args, "remeasure", None):
        store = Store()
        try:
            remeasure = load_experiment(args.remeasure, store)
        finally:
            store.close()
        spec = remeasure.spec
        scenario = load_scenario(remeasure.scenario or "")
    else:
        if not getattr(args, "variants", None) or not getattr(args, "scenario", None):
            raise DecomposeError(
                "decompose compare needs --variants and --scenario (e.g. --variants single,seed,deep --scenario "
                "assets/example_scenario), or --remeasure EXPERIMENT to re-measure a saved one."
            )
        spec = spec_from_args(args)
        scenario = load_scenario(args.scenario)
    unknown = [p for p in spec.profiles if p not in scenario.profiles]
    if unknown:
        raise DecomposeError(
            f"profile(s) {', '.join(unknown)} not in {args.scenario}. "
            f"Profiles there: {', '.join(scenario.profiles)}."
        )
    if engine_factory is None:
        import functools

        from workflow_core.workspace import new_engine

        engine_factory = functools.partial(new_engine, trace=bool(getattr(args, "otel", False)))

    concurrency = getattr(args, "concurrency", 1)
    if not isinstance(concurrency, int) or concurrency < 1:
        raise DecomposeError(f"--concurrency must be 1 or more, got {concurrency}.")
    n_profiles = len(spec.profiles) or len(scenario.profiles) or 1
    print(
        f"{spec.name}: {len(spec.variants)} variant(s) × {n_profiles} profile(s) × {spec.repeats} repeat(s)"
        + (f", {concurrency} at a time" if concurrency > 1 else ""),
        file=sys.stderr,
    )

    async def go() -> tuple[Experiment, dict[str, Shots]]:
        async with engine_factory() as engine:
            if remeasure is not None:
                engine.remeasure = set(remeasure_keys(remeasure))
                print(f"re-measuring {len(engine.remeasure)} disturbed measurement(s)", file=sys.stderr)
            exp = await run_experiment(
                spec,
                scenario,
                engine,
                _progress_printer(),
                concurrency=concurrency,
                experiment_id=remeasure.experiment_id if remeasure is not None else None,
            )
            return exp, experiment_screenshots(exp, engine.store) if engine.store is not None else {}

    experiment, shots = asyncio.run(go())
    tco_inputs = TcoInputs(
        engineering_cost_per_agent=getattr(args, "engineering_cost", None)
        or TcoInputs.engineering_cost_per_agent,
        requests_per_month=getattr(args, "requests_per_month", None) or TcoInputs.requests_per_month,
        monthly_growth=getattr(args, "growth", None) or TcoInputs.monthly_growth,
    )
    analysis = analyse(experiment, price_book(), model_map or None, tco_inputs)
    print(render_text(analysis))
    paths = write_exports(analysis, args.out, shots)
    print(
        f"experiment {experiment.experiment_id}; wrote " + ", ".join(str(p) for p in paths.values()),
        file=sys.stderr,
    )
    if analysis.disturbed:
        print(
            f"re-measure: decompose compare --remeasure {experiment.experiment_id} --out {args.out}",
            file=sys.stderr,
        )
    return 0 if all(t.ok for t in experiment.trials) else 1


def render_text(analysis: ExperimentAnalysis) -> str:
    """What `decompose compare` prints: the summary table, the headline, the what-if headline, the
    coordination fit and the TCO break-evens, each on the costs it names."""
    axes = axis_rows(analysis.measured.summaries)
    lines = [format_table(analysis.measured.summaries), analysis.headline]
    if axes:
        lines.append(f"quality by axis, mean [95% interval] (weights: {weights_text(analysis.weights)}):")
        lines.append(text_table(list(axes[0]), [[str(v) for v in r.values()] for r in axes]))
    if analysis.whatif is not None:
        pairs = ", ".join(f"{k}={v}" for k, v in analysis.whatif.model_map.items())
        lines.append(f"what-if {pairs}: {analysis.whatif.headline}")
    lines.append(f"coordination: {analysis.fit.explanation()}")
    lines += [f"  ⚠ {w}" for w in analysis.fit_warnings]
    if analysis.tco is not None:
        lines.append(f"TCO on {analysis.priced.label}:")
        lines += [f"  {b.sentence()}" for b in analysis.tco.break_evens]
        lines += [f"  specialised models, counted once up front: {n}" for n in analysis.training_notes]
        if analysis.disturbance_note:
            lines.append(f"  ⚠ {analysis.disturbance_note}")
    return "\n".join(lines)

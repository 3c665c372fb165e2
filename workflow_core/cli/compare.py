"""The decomposition lab, in one import: experiments, what-if pricing, the coordination fit, TCO, charts and
export. Also `decompose compare` (`compare_cli`).

The pieces live in small modules named for their domain:
    experiment    ExperimentSpec, Variant, run_experiment, load_experiment, summaries and tables
    whatif        reprice, headline
    coordination  fit_coordination / fit_experiment, M_EXPLANATION
    tco           TcoInputs, tco, tco_variants
    charts        plotly figures
    export_html   report_html, results_csv, results_json, write_exports
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from workflow_core.cli.args import parse_node_refs
from workflow_core.errors import DecomposeError
from workflow_core.lab.coordination import M_EXPLANATION, CoordinationFit, fit_coordination, fit_experiment
from workflow_core.lab.experiment import (
    Experiment,
    ExperimentSpec,
    Progress,
    Variant,
    VariantSummary,
    list_experiments,
    load_experiment,
    node_breakdown,
    pages,
    pareto_front,
    run_experiment,
    save_experiment,
    summary_table,
    trial_table,
)
from workflow_core.lab.export import report_html, results_csv, results_json, write_exports
from workflow_core.lab.tco import TcoInputs, TcoResult, TcoVariant, tco, tco_variants
from workflow_core.lab.whatif import headline, reprice, reprice_experiment, reprice_run

if TYPE_CHECKING:
    from workflow_core.run.engine import Engine

__all__ = [
    "M_EXPLANATION",
    "CoordinationFit",
    "Experiment",
    "ExperimentSpec",
    "Progress",
    "TcoInputs",
    "TcoResult",
    "TcoVariant",
    "Variant",
    "VariantSummary",
    "compare_cli",
    "fit_coordination",
    "fit_experiment",
    "format_table",
    "headline",
    "list_experiments",
    "load_experiment",
    "node_breakdown",
    "pages",
    "pareto_front",
    "report_html",
    "reprice",
    "reprice_experiment",
    "reprice_run",
    "results_csv",
    "results_json",
    "run_experiment",
    "save_experiment",
    "summary_table",
    "tco",
    "tco_variants",
    "trial_table",
    "write_exports",
]

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
    ("qa_mean", "QA", "{:.2f}"),
    ("qa_std", "QA sd", "{:.2f}"),
    ("distinctiveness", "distinct", "{:.2f}"),
)


def format_table(summaries: list[VariantSummary]) -> str:
    """The summary as a fixed-width text table (what the CLI prints)."""
    header = [h for _, h, _ in _TABLE_COLUMNS]
    rows = []
    for s in summaries:
        d = s.row()
        rows.append([("–" if d[key] is None else fmt.format(d[key])) for key, _, fmt in _TABLE_COLUMNS])
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


def _progress_printer(stream: Any = None) -> Callable[[Progress], None]:
    out = stream or sys.stderr

    def show(p: Progress) -> None:
        if p.phase == "trial_started":
            print(
                f"[{p.done + 1}/{p.total}] {p.variant} · {p.profile or '-'} · repeat {p.repeat}",
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
    variants = [Variant(name=_variant_name(n), workflow=n, all_models=all_models) for n in names]
    profiles = [p.strip() for p in (getattr(args, "profiles", None) or "").split(",") if p.strip()]
    return ExperimentSpec(
        name=getattr(args, "name", None) or "compare " + ",".join(v.name for v in variants),
        variants=variants,
        profiles=profiles,
        repeats=int(getattr(args, "repeats", 1) or 1),
    )


def _variant_name(name_or_path: str) -> str:
    from pathlib import Path

    return Path(name_or_path).stem if name_or_path.endswith((".yaml", ".yml")) else name_or_path


def compare_cli(args: argparse.Namespace, engine_factory: Callable[[], Engine] | None = None) -> int:
    """`decompose compare`: run the experiment, print progress (stderr) and the summary table (stdout), and
    write OUT/report.html, OUT/results.csv, OUT/results.json (plus runs.csv, nodes.csv, pages/). Returns 0
    when every run succeeded, 1 otherwise (the files are written either way)."""
    from workflow_core.scenario import load_scenario

    spec = spec_from_args(args)
    model_map = parse_node_refs(getattr(args, "what_if", None) or [], "--what-if", " (NODE may be *)")
    scenario = load_scenario(args.scenario)
    unknown = [p for p in spec.profiles if p not in scenario.profiles]
    if unknown:
        raise DecomposeError(
            f"profile(s) {', '.join(unknown)} not in {args.scenario}. "
            f"Profiles there: {', '.join(scenario.profiles)}."
        )
    own_registry = engine_factory is None
    if engine_factory is None:
        from workflow_core.workspace import new_engine

        def engine_factory() -> Engine:
            return new_engine()

    engines: list[Engine] = []

    def factory() -> Engine:
        engine = engine_factory()
        engines.append(engine)
        return engine

    n_profiles = len(spec.profiles) or len(scenario.profiles) or 1
    print(
        f"{spec.name}: {len(spec.variants)} variant(s) × {n_profiles} profile(s) × {spec.repeats} repeat(s)",
        file=sys.stderr,
    )

    async def go() -> Experiment:
        try:
            return await run_experiment(spec, scenario, factory, _progress_printer())
        finally:
            if own_registry:
                for e in engines:
                    await e.registry.aclose()

    experiment = asyncio.run(go())
    summaries = experiment.summaries()
    print(format_table(summaries))
    print(headline(summaries))
    if model_map:
        from workflow_core.workspace import price_book

        repriced = reprice_experiment(experiment, model_map, price_book())
        print(
            "what-if "
            + ", ".join(f"{k}={v}" for k, v in model_map.items())
            + ": "
            + headline(repriced.summaries, estimate=True)
        )
    tco_inputs = TcoInputs(
        engineering_cost_per_agent=getattr(args, "engineering_cost", None)
        or TcoInputs.engineering_cost_per_agent,
        requests_per_month=getattr(args, "requests_per_month", None) or TcoInputs.requests_per_month,
        monthly_growth=getattr(args, "growth", None) or TcoInputs.monthly_growth,
    )
    paths = write_exports(experiment, args.out, model_map=model_map or None, tco_inputs=tco_inputs)
    print(
        f"experiment {experiment.experiment_id}; wrote " + ", ".join(str(p) for p in paths.values()),
        file=sys.stderr,
    )
    return 0 if all(t.ok for t in experiment.trials) else 1

"""Export an experiment: a self-contained HTML report (plotly.js inlined once, no network), CSV and JSON.

The report carries a Content-Security-Policy that allows no network at all, and shows the generated pages as
thumbnails in iframes sandboxed without scripts, so an untrusted page can neither run code nor fetch anything.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from workflow_core.lab import charts
from workflow_core.lab.coordination import M_EXPLANATION, fit_experiment
from workflow_core.lab.experiment import Experiment, node_breakdown, summary_table, trial_table
from workflow_core.lab.tco import TcoInputs, tco, tco_variants
from workflow_core.lab.whatif import ModelMap, headline, reprice_experiment
from workflow_core.pricing.book import PriceBook

CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; frame-src 'self' about: data:"
)

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222;
  padding: 0 1rem; }
h1 { margin-bottom: .2rem; } .muted { color: #666; } .warning { color: #8a4b00; background: #fff4e0; padding: .4rem .7rem; border-radius: 6px; }
.headline { font-size: 1.3rem; font-weight: 600; margin: 1rem 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: right; }
th { background: #f4f4f4; } td.t, th.t { text-align: left; }
.pages { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1rem; }
.thumb { border: 1px solid #ccc; height: 240px; overflow: hidden; position: relative; background: #fff; }
.thumb iframe { width: 1200px; height: 1000px; border: 0; transform: scale(.22); transform-origin: 0 0; }
.warn { color: #8a5300; } .scroll { overflow-x: auto; }
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1:
            return f"{value:,.0f}"
        if value != 0 and abs(value) < 0.01:
            return f"{value:.6f}"
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def html_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    if not rows:
        return "<p class='muted'>no rows</p>"
    cols = columns or list(rows[0])
    head = "".join(f"<th class='t'>{html.escape(c)}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            cls = " class='t'" if isinstance(v, str) or v is None else ""
            cells.append(f"<td{cls}>{html.escape(_fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f"<div class='scroll'>{table}</div>"


def to_csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def results_csv(experiment: Experiment) -> str:
    """One row per variant (the summary table)."""
    return to_csv(summary_table(experiment))


def results_json(
    experiment: Experiment,
    *,
    prices: PriceBook | None = None,
    model_map: ModelMap | None = None,
    tco_inputs: TcoInputs | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as plain data (pages and prompts left out; they are in the store)."""
    fit = fit_experiment(experiment)
    out: dict[str, Any] = {
        "experiment_id": experiment.experiment_id,
        "name": experiment.spec.name,
        "spec": experiment.spec.model_dump(),
        "scenario": experiment.scenario,
        "created_at": experiment.created_at,
        "headline": headline(experiment),
        "summary": summary_table(experiment),
        "nodes": node_breakdown(experiment),
        "runs": trial_table(experiment),
        "coordination_fit": fit.summary() | {"explanation": fit.explanation()},
    }
    summaries = experiment.summaries()
    if model_map:
        rp = reprice_experiment(experiment, model_map, prices or PriceBook())
        summaries = rp.summaries
        out["whatif"] = {
            "model_map": model_map,
            "estimate": rp.estimate,
            "headline": headline(rp.summaries, estimate=rp.estimate),
            "summary": rp.table(),
            "unpriced": rp.unpriced,
        }
    if tco_inputs is not None and tco_variants(summaries):
        result = tco(tco_variants(summaries), tco_inputs)
        out["tco"] = {
            "inputs": tco_inputs.__dict__,
            "baseline": result.baseline,
            "break_even": result.break_even_table(),
        }
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def page_filename(variant: str, profile: str | None, repeat: int) -> str:
    return f"{_slug(variant)}--{_slug(profile or 'none')}--r{repeat}.html"


class _Figures:
    """Inlines plotly.js with the first figure only."""

    def __init__(self) -> None:
        self.first = True
        self.count = 0

    def __call__(self, fig: go.Figure) -> str:
        self.count += 1
        out = fig.to_html(
            full_html=False,
            include_plotlyjs=self.first,
            div_id=f"chart-{self.count}",
            config={"displaylogo": False, "responsive": True},
        )
        self.first = False
        return f"<div class='chart'>{out}</div>"


def report_html(
    experiment: Experiment,
    *,
    prices: PriceBook | None = None,
    model_map: ModelMap | None = None,
    tco_inputs: TcoInputs | None = None,
    page_links: bool = False,
    title: str | None = None,
) -> str:
    """The self-contained HTML report. With `page_links`, each thumbnail also links to
    pages/<page_filename(...)> next to the report (what `write_exports` writes)."""
    fig = _Figures()
    summaries = experiment.summaries()
    title = title or f"Decomposition experiment: {experiment.spec.name}"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='muted'>experiment {html.escape(experiment.experiment_id)} · scenario "
        f"{html.escape(experiment.scenario or '-')} · profiles "
        f"{html.escape(', '.join(experiment.spec.profiles) or 'all')}"
        f" · repeats {experiment.spec.repeats}</p>",
        f"<p class='headline'>{html.escape(headline(summaries))}</p>",
        "<h2>Results per variant</h2>",
        "<p class='muted'>Means per run. Cost is what each node cost when computed (cached results "
        "included at their original cost). QA is the automatic page score (mean ± std over profiles and "
        "repeats); "
        "distinctiveness is how different the pages for different profiles are (0 = identical words).</p>",
        html_table([s.row() for s in summaries]),
        "<h2>Charts</h2>",
        fig(charts.cost_quality(summaries)),
        fig(charts.against_k(summaries)),
        fig(charts.node_cost_stacks(experiment)),
    ]
    tco_source = summaries
    if model_map:
        rp = reprice_experiment(experiment, model_map, prices or PriceBook())
        tco_source = rp.summaries
        parts += [
            "<h2>What-if pricing</h2>",
            f"<p>Model map: <code>{html.escape(json.dumps(model_map))}</code>"
            + (
                " <span class='warn'>(estimate: tokens measured on other models)</span>"
                if rp.estimate
                else ""
            )
            + "</p>",
            f"<p class='headline'>{html.escape(headline(rp.summaries, estimate=rp.estimate))}</p>",
            html_table(rp.table()),
            fig(charts.cost_quality(rp.summaries, title="Cost vs quality (re-priced)")),
        ]
    fit = fit_experiment(experiment)
    parts += [
        "<h2>Coordination overhead</h2>",
        f"<p>{html.escape(fit.explanation())}</p>",
        *(f"<p class='warning'>⚠ {html.escape(w)}</p>" for w in fit.warnings),
        f"<p class='muted'>{html.escape(M_EXPLANATION)}</p>",
        html_table([fit.summary() | {"warnings": len(fit.warnings)}]),
        fig(charts.coordination_fit(fit)),
    ]
    if tco_inputs is not None and tco_variants(tco_source):
        result = tco(tco_variants(tco_source), tco_inputs)
        parts += [
            "<h2>Total cost of ownership</h2>",
            f"<p>Engineering ${tco_inputs.engineering_cost_per_agent:,.0f} per agent, "
            f"{tco_inputs.requests_per_month:,.0f} requests/month growing "
            f"{tco_inputs.monthly_growth:.0%} a month.</p>",
            html_table(result.break_even_table()),
            fig(charts.tco_chart(result)),
        ]
    parts.append("<h2>Latency timelines</h2>")
    parts += [fig(f) for f in charts.timelines(experiment)]
    parts += ["<h2>Per-node breakdown</h2>", html_table(node_breakdown(experiment))]
    parts += ["<h2>Pages</h2>", "<div class='pages'>"]
    for t in experiment.trials:
        if t.run is None or not t.run.page_html:
            continue
        label = f"{t.variant} · {t.profile or '-'} · repeat {t.repeat} · QA {_fmt(t.run.qa_score)}"
        link = ""
        if page_links:
            link = f" <a href='pages/{page_filename(t.variant, t.profile, t.repeat)}'>open</a>"
        parts.append(
            f"<figure><div class='thumb'><iframe sandbox='' loading='lazy' title='{html.escape(label)}' "
            f"srcdoc='{html.escape(t.run.page_html, quote=True)}'></iframe></div>"
            f"<figcaption>{html.escape(label)}{link}</figcaption></figure>"
        )
    parts.append("</div>")
    parts += ["<h2>Runs</h2>", html_table(trial_table(experiment))]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_exports(
    experiment: Experiment,
    out_dir: str | Path,
    *,
    prices: PriceBook | None = None,
    model_map: ModelMap | None = None,
    tco_inputs: TcoInputs | None = None,
) -> dict[str, Path]:
    """Write report.html, results.csv (per variant), runs.csv, nodes.csv, results.json and pages/*.html."""
    out = Path(out_dir)
    (out / "pages").mkdir(parents=True, exist_ok=True)
    for t in experiment.trials:
        if t.run is not None and t.run.page_html:
            (out / "pages" / page_filename(t.variant, t.profile, t.repeat)).write_text(
                t.run.page_html, encoding="utf-8"
            )
    paths = {
        "report.html": out / "report.html",
        "results.csv": out / "results.csv",
        "runs.csv": out / "runs.csv",
        "nodes.csv": out / "nodes.csv",
        "results.json": out / "results.json",
    }
    kw: dict[str, Any] = {"prices": prices, "model_map": model_map, "tco_inputs": tco_inputs}
    paths["report.html"].write_text(report_html(experiment, page_links=True, **kw), encoding="utf-8")
    paths["results.csv"].write_text(results_csv(experiment), encoding="utf-8")
    paths["runs.csv"].write_text(to_csv(trial_table(experiment)), encoding="utf-8")
    paths["nodes.csv"].write_text(to_csv(node_breakdown(experiment)), encoding="utf-8")
    paths["results.json"].write_text(
        json.dumps(results_json(experiment, **kw), indent=2, ensure_ascii=False, default=str),
        encoding="utf-8",
    )
    return paths

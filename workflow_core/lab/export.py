"""Export an experiment's analysis (`analysis.analyse`): a self-contained HTML report (plotly.js inlined once, no network), CSV and JSON.

The report carries a Content-Security-Policy that allows no network at all, and shows the generated pages as
thumbnails in iframes sandboxed without scripts, so an untrusted page can neither run code nor fetch anything.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from workflow_core.lab.analysis import ExperimentAnalysis
from workflow_core.lab.coordination import M_EXPLANATION
from workflow_core.lab.experiment import Experiment, VariantSummary
from workflow_core.lab.report import OUTLINE
from workflow_core.lab.tables import axis_rows
from workflow_core.page.safety import sanitise
from workflow_core.page.words import slugify
from workflow_core.quality.model import weights_text
from workflow_core.run.store import Store

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
.shots { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 1rem; }
.shot { display: flex; gap: .5rem; align-items: flex-start; border: 1px solid #ddd; padding: .4rem; }
.shot img { border: 1px solid #ccc; max-height: 420px; object-fit: cover; object-position: top; }
.shot img.wide { width: 72%; } .shot img.narrow { width: 24%; }
"""

# Screenshots of a run's page: width -> (mime, bytes), as `Store.screenshots` returns them.
Shots = Mapping[int, tuple[str, bytes]]


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


def results_csv(analysis: ExperimentAnalysis) -> str:
    """One row per variant (the measured summary table)."""
    return to_csv([s.row() for s in analysis.measured.summaries])


def _name(summary: VariantSummary | None) -> str | None:
    return None if summary is None else summary.variant


def results_json(analysis: ExperimentAnalysis) -> dict[str, Any]:
    """Everything the report shows, as plain data (pages and prompts left out; they are in the store)."""
    experiment, fit = analysis.experiment, analysis.fit
    out: dict[str, Any] = {
        "experiment_id": experiment.experiment_id,
        "name": experiment.spec.name,
        "spec": experiment.spec.model_dump(),
        "scenario": experiment.scenario,
        "created_at": experiment.created_at,
        "headline": analysis.headline,
        "quality_basis": analysis.basis,
        "cheapest": _name(analysis.cheapest),
        "best_quality": _name(analysis.best_quality),
        "fastest": _name(analysis.fastest),
        "pareto_front": analysis.measured.pareto_front,
        "summary": [s.row() for s in analysis.measured.summaries],
        "quality_weights": analysis.weights,
        "quality_axes": {
            s.variant: {a: iv.model_dump() for a, iv in s.axes.items()} for s in analysis.measured.summaries
        },
        "nodes": [n.row() for n in analysis.nodes],
        "runs": analysis.runs,
        "coordination_fit": fit.summary() | {"explanation": fit.explanation()},
    }
    if analysis.whatif is not None:
        w = analysis.whatif
        out["whatif"] = {
            "model_map": w.model_map,
            "estimate": w.estimate,
            "headline": w.headline,
            "pareto_front": w.pareto_front,
            "summary": [s.row() | {"estimate": w.estimate} for s in w.summaries],
            "unpriced": w.unpriced,
        }
    if analysis.tco is not None:
        result = analysis.tco
        out["tco"] = {
            "inputs": result.inputs.__dict__,
            "costs": analysis.priced.label,
            "baseline": result.baseline,
            "break_even": result.break_even_table(),
        }
    return out


def page_filename(variant: str, profile: str | None, repeat: int) -> str:
    return (
        f"{slugify(variant, fallback='page')}--{slugify(profile or 'none', fallback='page')}--r{repeat}.html"
    )


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


def _people_note(experiment: Experiment) -> list[str]:
    """A line saying that QA includes people's blind votes, when it does (workflow_core.judgement.axis)."""
    scores = {
        t.variant: t.run.qa_axes["people"] for t in experiment.trials if t.run and "people" in t.run.qa_axes
    }
    if not scores:
        return []
    listed = ", ".join(f"{html.escape(v)} {s:.2f}" for v, s in scores.items())
    return [f"<p class='muted'>QA includes the <b>people</b> axis from blind pairwise votes: {listed}.</p>"]


@dataclass(frozen=True)
class _Report:
    """What the report's sections are written from."""

    analysis: ExperimentAnalysis
    page_links: bool
    screenshots: Mapping[str, Shots]


def _results(r: _Report) -> tuple[list[str], list[str]]:
    measured = r.analysis.measured
    return [
        "<p class='muted'>Means per run. Cost is what each node cost when computed (cached results "
        "included at their original cost). QA is the automatic page score (mean ± std over profiles and "
        "repeats); publishable is the share of pages with no blocking finding; written is the share of a "
        "page's copy written for its visitor (not copied from the scenario, not repeated); "
        "distinctiveness is how different the pages for different profiles are (0 = identical words).</p>",
        html_table([s.row() for s in measured.summaries]),
        *_people_note(r.analysis.experiment),
        "<h2>Quality by axis</h2>",
        "<p class='muted'>Mean and 95% interval (Student's t) over the runs that measured each axis; "
        "the headline claims a quality difference only when the intervals do not overlap. Quality is "
        f"the weighted mean of the axes ({html.escape(weights_text(r.analysis.weights))}).</p>",
        html_table(axis_rows(measured.summaries)),
        "<h2>Charts</h2>",
    ], []


def _whatif(r: _Report) -> tuple[list[str], list[str]]:
    w = r.analysis.whatif
    assert w is not None  # the section is shown only with a what-if
    unpriced = ", ".join(w.unpriced)
    return [
        f"<p>Model map: <code>{html.escape(json.dumps(w.model_map))}</code>"
        + (" <span class='warn'>(estimate: tokens measured on other models)</span>" if w.estimate else "")
        + "</p>",
        f"<p class='warning'>⚠ No price is known for {html.escape(unpriced)}: counted as $0.</p>"
        if unpriced
        else "",
        f"<p class='headline'>{html.escape(w.headline)}</p>",
        html_table([s.row() | {"estimate": w.estimate} for s in w.summaries]),
    ], []


def _coordination(r: _Report) -> tuple[list[str], list[str]]:
    analysis, fit = r.analysis, r.analysis.fit
    return [
        f"<p>The seed's cost model, fitted to each run's {html.escape(analysis.priced.label)}: "
        "<b>cost ≈ a + b·n + c·k^m</b>, 1 &lt; m ≤ 2.</p>",
        f"<p>{html.escape(fit.explanation())}</p>",
        *(f"<p class='warning'>⚠ {html.escape(w)}</p>" for w in analysis.fit_warnings),
        f"<p class='muted'>{html.escape(M_EXPLANATION)}</p>",
        html_table([fit.summary() | {"warnings": len(fit.warnings)}]),
    ], []


def _tco(r: _Report) -> tuple[list[str], list[str]]:
    result = r.analysis.tco
    assert result is not None  # the section is shown only with a TCO
    inputs = result.inputs
    return [
        f"<p>Engineering ${inputs.engineering_cost_per_agent:,.0f} per agent, "
        f"{inputs.requests_per_month:,.0f} requests/month growing "
        f"{inputs.monthly_growth:.0%} a month; every request costs its variant's "
        f"{html.escape(r.analysis.priced.label)}.</p>",
        html_table(result.break_even_rows(_fmt)),
        *[f"<p class='warning'>⚠ {html.escape(note)}</p>" for note in [r.analysis.disturbance_note] if note],
        *[
            f"<p>Specialised models, counted once up front: {html.escape(note)}</p>"
            for note in r.analysis.training_notes
        ],
    ], []


def _pages(r: _Report) -> tuple[list[str], list[str]]:
    experiment = r.analysis.experiment
    parts = ["<div class='pages'>"]
    for t in experiment.trials:
        if t.run is None or not t.run.page_html:
            continue
        label = f"{t.variant} · {t.profile or '-'} · repeat {t.repeat} · QA {_fmt(t.run.qa_score)}"
        link = ""
        if r.page_links:
            link = f" <a href='pages/{page_filename(t.variant, t.profile, t.repeat)}'>open</a>"
        parts.append(
            f"<figure><div class='thumb'><iframe sandbox='' loading='lazy' title='{html.escape(label)}' "
            f"srcdoc='{html.escape(sanitise(t.run.page_html), quote=True)}'></iframe></div>"
            f"<figcaption>{html.escape(label)}{link}</figcaption></figure>"
        )
    parts.append("</div>")
    return parts, screenshot_section(experiment, r.screenshots)


def _search(r: _Report) -> tuple[list[str], list[str]]:
    record = r.analysis.experiment.search
    assert record is not None  # the section is shown only for an experiment a model search made
    items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in record.summary_lines())
    front = ", ".join(record.front) or "–"
    parts = [f"<ul>{items}</ul>"]
    if record.effects:
        parts += ["<h3>Per node: what changing its model does</h3>", html_table(list(record.effects))]
    return [*parts, f"<p class='muted'>Pareto front: {html.escape(front)}</p>"], []


# Each outline section's text and tables around its charts, (before them, after them); a section without an
# entry is its heading and charts.
_BODIES: dict[str, Callable[[_Report], tuple[list[str], list[str]]]] = {
    "search": _search,
    "results": _results,
    "whatif": _whatif,
    "coordination": _coordination,
    "tco": _tco,
    "timelines": lambda r: (
        [],
        ["<h2>Per-node breakdown</h2>", html_table([n.row() for n in r.analysis.nodes])],
    ),
    "pages": _pages,
    "runs": lambda r: ([html_table(r.analysis.runs)], []),
}


def report_html(
    analysis: ExperimentAnalysis,
    *,
    page_links: bool = False,
    title: str | None = None,
    screenshots: Mapping[str, Shots] | None = None,
) -> str:
    """The self-contained HTML report of `analysis`: the sections of the report outline
    (`workflow_core.lab.report.OUTLINE`) in order, each with its text, tables and charts. With `page_links`,
    each thumbnail also links to pages/<page_filename(...)> next to the report (what `write_exports` writes);
    `screenshots` (run id -> its page's screenshots) adds the variants' rendered pages side by side at 1280
    and 390 px."""
    fig = _Figures()
    experiment = analysis.experiment
    title = title or f"Decomposition experiment: {experiment.spec.name}"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='muted'>experiment {html.escape(experiment.experiment_id)} · scenario "
        f"{html.escape(experiment.scenario or '-')} · profiles "
        f"{html.escape(', '.join(experiment.spec.profiles) or 'all')}"
        f" · repeats {experiment.spec.repeats}</p>",
        f"<p class='headline'>{html.escape(analysis.headline)}</p>",
    ]
    report = _Report(analysis, page_links, screenshots or {})
    for section in OUTLINE:
        if not section.shown(analysis):
            continue
        body = _BODIES.get(section.key)
        before, after = body(report) if body else ([], [])
        parts += [f"<h2>{html.escape(section.title)}</h2>", *before]
        parts += [fig(f) for chart in section.charts for f in chart.figures(analysis)]
        parts += after
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def experiment_screenshots(experiment: Experiment, store: Store) -> dict[str, Shots]:
    """Each run's page screenshots from the store (runs whose page was never rendered are left out)."""
    out: dict[str, Shots] = {}
    for t in experiment.trials:
        if t.run is not None and t.run.page_html:
            shots = store.screenshots(t.run.page_html)
            if shots:
                out[t.run.run_id] = shots
    return out


def screenshot_section(experiment: Experiment, screenshots: Mapping[str, Shots]) -> list[str]:
    """Per profile, each variant's page as the quality check rendered it, desktop beside phone (nothing when
    no run has screenshots)."""
    shown = [t for t in experiment.trials if t.run is not None and screenshots.get(t.run.run_id)]
    if not shown:
        return []
    parts = ["<h2>Screenshots at 1280 and 390 px</h2>", "<div class='shots'>"]
    for t in sorted(shown, key=lambda t: (t.profile or "", t.repeat)):
        assert t.run is not None
        shots = screenshots[t.run.run_id]
        label = f"{t.variant} · {t.profile or '-'} · repeat {t.repeat}"
        imgs = "".join(
            f"<img class='{'wide' if width >= 800 else 'narrow'}' alt='{html.escape(label)} at {width} px' "
            f"src='data:{mime};base64,{base64.b64encode(data).decode('ascii')}'>"
            for width, (mime, data) in sorted(shots.items(), reverse=True)
        )
        parts.append(
            f"<figure><div class='shot'>{imgs}</div><figcaption class='muted'>{html.escape(label)}</figcaption>"
            "</figure>"
        )
    parts.append("</div>")
    return parts


def write_exports(
    analysis: ExperimentAnalysis, out_dir: str | Path, screenshots: Mapping[str, Shots] | None = None
) -> dict[str, Path]:
    """Write report.html, results.csv (per variant), runs.csv, nodes.csv, results.json and pages/*.html."""
    out = Path(out_dir)
    (out / "pages").mkdir(parents=True, exist_ok=True)
    for t in analysis.experiment.trials:
        if t.run is not None and t.run.page_html:
            (out / "pages" / page_filename(t.variant, t.profile, t.repeat)).write_text(
                sanitise(t.run.page_html),
                encoding="utf-8",  # model-written: nothing runs or loads
            )
    paths = {
        "report.html": out / "report.html",
        "results.csv": out / "results.csv",
        "runs.csv": out / "runs.csv",
        "nodes.csv": out / "nodes.csv",
        "results.json": out / "results.json",
    }
    paths["report.html"].write_text(
        report_html(analysis, page_links=True, screenshots=screenshots), encoding="utf-8"
    )
    paths["results.csv"].write_text(results_csv(analysis), encoding="utf-8")
    paths["runs.csv"].write_text(to_csv(analysis.runs), encoding="utf-8")
    paths["nodes.csv"].write_text(to_csv([n.row() for n in analysis.nodes]), encoding="utf-8")
    paths["results.json"].write_text(
        json.dumps(results_json(analysis), indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    return paths

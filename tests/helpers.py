"""Test data and checks shared by several test modules (import as `tests.helpers`)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from workflow_core.lab.experiment import Experiment, ExperimentSpec, Trial, Variant
from workflow_core.page.artist import vector_svg
from workflow_core.page.design_system import render_page
from workflow_core.page.site import data_uri
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.testing.fake_server import FakeReply, example_for_schema

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HAS_CHROMIUM = Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def launch_chromium(playwright: Any) -> Any:
    """Headless Chromium as the browser tests run it (Debian's, else the one on PATH), from a Playwright
    sync or async instance."""
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


class SlowChecks:
    """A run hook standing for a page's checks: 0.3 s after every run's nodes, noting when it ran (on the
    clock of a node's `started_at`)."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []

    def before_run(self, run: object) -> None:
        pass

    async def after_run(self, finished: object) -> None:
        start = time.time()
        await asyncio.sleep(0.3)
        self.spans.append((start, time.time()))


# ---------------------------------------------------------------- hand-made run records and an experiment

PAGES = {
    "ana": "<html><body><h1>Hello Ana</h1><p>Bakery tools for small shops in Lisbon.</p>"
    "<script>var x = 'ignored words here';</script></body></html>",
    "bo": "<html><body><h1>Hello Bo</h1><p>Fleet software for logistics teams in Oslo.</p></body></html>",
}


def record_node(
    node_id: str, kind: str, model: str | None, tin: int, tout: int, cost: float, t0: float, dur: float
) -> NodeRecord:
    return NodeRecord(
        id=node_id,
        kind=kind,
        model=model,
        status="ok",
        input_tokens=tin,
        output_tokens=tout,
        calls=1 if tin else 0,
        cost_usd=cost,
        cost_if_uncached_usd=cost,
        latency_s=dur,
        started_at=t0,
        finished_at=t0 + dur,
    )


def record_run(
    workflow: str, profile: str, k: int, agents: list[tuple[str, int, int, float]], qa: float
) -> RunRecord:
    nodes = [record_node("visitor", "profile", None, 0, 0, 0.0, 100.0, 0.01)]
    t = 100.01
    for node_id, tin, tout, cost in agents:
        nodes.append(record_node(node_id, "agent", "local/qwen2.5-coder-0.5b", tin, tout, cost, t, 2.0))
        t += 2.0
    nodes.append(record_node("site", "assemble", None, 0, 0, 0.0, t, 0.05))
    return RunRecord(
        run_id=f"{workflow}-{profile}",
        workflow=workflow,
        profile=profile,
        started_at=100.0,
        finished_at=t + 0.05,
        wall_s=t - 100 + 0.05,
        critical_path_s=t - 100 + 0.05,
        status="ok",
        agent_count=k,
        nodes=nodes,
        page_html=PAGES[profile].replace("Hello", f"Hello from {workflow}"),
        qa_score=qa,
    )


def hand_made_experiment() -> Experiment:
    """Three variants (k = 1, 3, 6) on two profiles, one trial each, from hand-made run records."""
    shapes = {
        "single": (1, [("web", 3000, 1500, 0.0040)], 0.70),
        "seed": (3, [("personalizer", 2500, 600, 0.0015), ("developer", 1800, 900, 0.0016)], 0.80),
        "deep": (
            6,
            [
                ("a", 2500, 400, 0.0012),
                ("b", 2000, 400, 0.0011),
                ("c", 2200, 500, 0.0013),
                ("d", 2000, 800, 0.002),
            ],
            0.75,
        ),
    }
    trials = []
    for name, (k, agents, qa) in shapes.items():
        for i, profile in enumerate(["ana", "bo"]):
            scaled = [(n, tin, tout + 50 * i, cost * (1 + 0.05 * i)) for n, tin, tout, cost in agents]
            run = record_run(name, profile, k, scaled, qa + 0.02 * i)
            trials.append(
                Trial(
                    variant=name,
                    profile=profile,
                    run=run,
                    latencies={n.id: n.latency_s for n in run.nodes},
                    critical_path_s=run.critical_path_s,
                    wall_s=run.wall_s,
                )
            )
    spec = ExperimentSpec(
        name="unit", variants=[Variant(name=n, workflow=n) for n in shapes], profiles=["ana", "bo"], repeats=1
    )
    return Experiment(
        experiment_id="exp1",
        spec=spec,
        scenario="example",
        k={n: s[0] for n, s in shapes.items()},
        workflows={n: n for n in shapes},
        trials=trials,
    )


# ---------------------------------------------------------------- replies that depend on the prompt


def echo_responder(body: dict[str, Any]) -> FakeReply:
    """A fake-server responder whose replies follow the prompt, so a changed prompt changes the output (and
    so the outputs downstream): a schema request gets the schema's example with every string replaced by a
    digest of the prompt; a free-text one a small page built from the prompt's words."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    prompt = str(users[-1].get("content", "")) if users else ""
    digest = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:6]
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":

        def stamp(value: Any, schema: dict[str, Any]) -> Any:
            if "enum" in schema:  # a choice by id stays one of the ids offered
                return value
            if isinstance(value, str):
                return ("v" + digest + value)[: max(len(value), 7)]
            if isinstance(value, list):
                return [stamp(v, schema.get("items") or {}) for v in value]
            if isinstance(value, dict):
                props = schema.get("properties") or {}
                return {k: stamp(v, props.get(k) or {}) for k, v in value.items()}
            return value

        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return FakeReply(content=json.dumps(stamp(example_for_schema(schema), schema)))
    words = re.findall(r"[A-Za-z]{4,}", prompt)[:60]
    return FakeReply(
        content="<!DOCTYPE html><html lang='en'><head><title>Offer</title></head><body><main>"
        f"<h1>{' '.join(words[:5])} {digest}</h1><p>{' '.join(words)}</p></main></body></html>"
    )


# ---------------------------------------------------------------- a realistic generated page

PALETTE = {
    "primary": "#0b6e4f",
    "secondary": "#3aa27a",
    "accent": "#f2b134",
    "background": "#fbfaf6",
    "text": "#1b2420",
}
COMPANY = {
    "name": "Fieldline Logistics",
    "tagline": "Farm-to-market freight",
    "email": "hello@fieldline.example",
    "phone": "+44 20 7946 0000",
    "address": "12 Harbour Road, Leeds",
    "fonts": {"heading": "Inter", "body": "Inter"},
}
VISUALS = {
    "Harvest route map": "A truck following an optimised route between fields and the depot",
    "Cold chain sensors": "IoT temperature sensors in a refrigerated trailer",
    "Spoilage dashboard": "A chart dashboard showing delivery times and spoilage",
}
OFFERINGS = [
    {
        "id": "harvest-route-planning",
        "name": "Harvest Route Planning",
        "price": "£120 a month",
        "description": "Daily routes between fields and depot.",
    },
    {
        "id": "cold-chain-monitoring",
        "name": "Cold Chain Monitoring",
        "price": "",
        "description": "Temperature sensors in every trailer.",
    },
    {
        "id": "spoilage-analytics",
        "name": "Spoilage Analytics",
        "price": "",
        "description": "Spoilage by route.",
    },
]
SPEC = {
    "headline": "Get every harvest to market fresh",
    "subheadline": "We plan your routes and watch the temperature of every load, so soft fruit arrives firm.",
    "hero_image": "harvest route map",
    "pain_points": [
        {
            "source": "spoilage",
            "title": "Fruit spoiling in transit",
            "text": "Soft fruit loses value with every warm hour.",
        },
        {"source": "fuel", "title": "Rising fuel costs", "text": "Empty return trips eat into thin margins."},
    ],
    "offerings": [
        {
            "id": "harvest-route-planning",
            "text": "Daily routes that cut empty miles.",
            "image": "Harvest route map",
        },
        {
            "id": "cold-chain-monitoring",
            "text": "Sensors alert you when a load warms.",
            "image": "cold-chain-sensors",
        },
        {
            "id": "spoilage-analytics",
            "text": "See spoilage by route and crop.",
            "image": "Spoilage Dashboard",
        },
    ],
    "closing_headline": "Ready for a fresher harvest season?",
    "closing_text": "Tell us about your fields and we will map your first route for free.",
}
TESTIMONIALS = [
    {
        "quote": "Our spoilage dropped by a third.",
        "author": "Tom Hughes",
        "role": "Ops lead",
        "company": "Dale Berries",
    },
    {"quote": "They plan routes better than we did.", "name": "Priya Shah", "company": "Shah Orchards"},
]
LOGO = data_uri(
    "image/svg+xml",
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 4 4'><rect width='4' height='4'/></svg>",
)


def images() -> dict[str, str]:
    return {label: data_uri("image/svg+xml", vector_svg(label, d, PALETTE)) for label, d in VISUALS.items()}


def realistic_page(spec: dict | None = None, **overrides) -> str:
    kwargs = dict(
        company=COMPANY,
        palette=PALETTE,
        logo_data_uri=LOGO,
        images=images(),
        testimonials=TESTIMONIALS,
        offerings=OFFERINGS,
        cta="Book a route review",
        profile={"name": "Maria Lopez", "company": "Green Acre Farms"},
        image_descriptions=VISUALS,
    )
    kwargs.update(overrides)
    return render_page(spec if spec is not None else SPEC, **kwargs)


# ---------------------------------------------------------------- the exported report in a browser


def assert_renders_offline(report: Path, min_charts: int = 6) -> None:
    """Open `report` in headless Chromium (offline): the plotly charts draw, no script fails, and no request
    leaves the file (or 127.0.0.1)."""
    playwright = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.as_uri())
            page.wait_for_selector(".plotly svg.main-svg", timeout=20_000)
            charts = page.locator(".js-plotly-plot").count()
            svgs = page.locator(".plotly svg.main-svg").count()
            points = page.locator(".plotly .scatterlayer .point").count()
            bars = page.locator(".plotly .barlayer .point").count()
        finally:
            browser.close()
    assert charts >= min_charts
    assert svgs >= charts
    assert points > 0 and bars > 0
    assert not errors, errors
    leaving = [
        u for u in requests if not u.startswith(("file:", "about:", "data:", "blob:", "http://127.0.0.1"))
    ]
    assert not leaving, leaving


# ---------------------------------------------------------------- a knowledge base as people export it


def write(root: Path, rel: str, text: str) -> None:
    """Write `text` to `root/rel`, making the folders on the way."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def bedrock_knowledge_base(root: Path) -> None:
    """A knowledge base as people export it from Amazon Bedrock and zip it on a Mac or Windows."""
    write(root, "company.json", '{"name": "Acme"}')
    (root / "knowledge").mkdir(parents=True, exist_ok=True)
    (root / "knowledge" / "crlf.txt").write_bytes(b"line one\r\nline two\r\n")
    (root / "knowledge" / "cr.md").write_bytes(b"old mac\rline")
    write(root, "knowledge/crlf.txt.metadata.json", '{"metadataAttributes": {"industry": "mining"}}')
    write(root, "knowledge/stem.txt", "named by stem")
    write(root, "knowledge/stem.metadata.json", '{"metadataAttributes": {"industry": "logistics"}}')
    write(root, "knowledge/twin.txt", "a")
    write(root, "knowledge/twin.md", "b")
    write(root, "knowledge/twin.metadata.json", '{"metadataAttributes": {"industry": "x"}}')  # ambiguous
    write(root, "knowledge/space.txt", "c")
    write(root, "knowledge/space.txt .metadata.json", '{"metadataAttributes": {"industry": "y"}}')
    write(root, "knowledge/.DS_Store", "junk")
    write(root, "knowledge/._crlf.txt", "appledouble")
    write(root, "knowledge/Thumbs.db", "junk")
    write(root, "__MACOSX/knowledge/._stem.txt", "junk")


def bedrock_zip(folder: Path, extra: dict[str, str] | None = None) -> bytes:
    """`bedrock_knowledge_base` written to `folder` (with the `extra` files: relative path -> text) and
    zipped under `kb/`, as a Mac user would send it."""
    import io
    import zipfile

    bedrock_knowledge_base(folder)
    for rel, text in (extra or {}).items():
        write(folder, rel, text)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, "kb/" + p.relative_to(folder).as_posix())
    return buf.getvalue()

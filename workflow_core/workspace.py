"""The user's own files: saved workflows, imported scenarios and app settings (price overrides, local $/hour),
under the user data dir (or DECOMPOSE_HOME, which tests point at a temporary folder)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Collection, Mapping
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from workflow_core.errors import DecomposeError, Problem, ScenarioError, WorkflowError
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.page.words import slugify
from workflow_core.paths import HOME_ENV as HOME_ENV
from workflow_core.paths import home
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.quality.model import check_weights
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario.files import check_scenario_files, save_scenario_files
from workflow_core.workflow.files import dump_workflow, load_workflow_file
from workflow_core.workflow.spec import Workflow

EXAMPLE_SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
# A second shipped scenario that differs in kind: a consumer business (a bike shop) written in free text.
CYCLE_SHOP_SCENARIO = EXAMPLE_SCENARIO.parent / "cycle_shop_scenario"
# A third, unlike both: a B2B service (a bookkeeping firm) whose testimonials fit one segment only.
LEDGER_SCENARIO = EXAMPLE_SCENARIO.parent / "ledger_scenario"
# Every scenario that ships with the app, in the order the Scenario page offers them.
SHIPPED_SCENARIOS = (EXAMPLE_SCENARIO, CYCLE_SHOP_SCENARIO, LEDGER_SCENARIO)


def workflows_dir() -> Path:
    return home() / "workflows"


def scenarios_dir() -> Path:
    return home() / "scenarios"


def save_workflow(workflow: Workflow, path: str | Path | None = None) -> Path:
    """Write a workflow as YAML: to `path`, else to the workflows folder under its name."""
    target = Path(path) if path else workflows_dir() / f"{slugify(workflow.name, fallback='workflow')}.yaml"
    if target.suffix not in {".yaml", ".yml"}:
        raise WorkflowError([Problem(f"{target} must end in .yaml or .yml.")])
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_workflow(workflow), encoding="utf-8")
    except OSError as exc:
        raise WorkflowError([Problem(f"cannot write {target}: {exc.strerror}.")]) from exc
    return target


def saved_workflows() -> list[Path]:
    folder = workflows_dir()
    return sorted(folder.glob("*.y*ml")) if folder.is_dir() else []


def load_saved_workflow(path: str | Path) -> Workflow:
    return load_workflow_file(path)


def scenario_folders() -> list[Path]:
    """The shipped scenarios (`SHIPPED_SCENARIOS`), then every imported scenario (newest first)."""
    folder = scenarios_dir()
    imported = []
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.is_dir():
                roots = [p.parent for p in entry.rglob("company.*") if "__MACOSX" not in p.parts]
                if roots:
                    imported.append(min(roots, key=lambda p: len(p.parts)))
    imported.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [*SHIPPED_SCENARIOS, *imported]


def new_scenario_folder(name: str) -> Path:
    """A fresh, not yet existing folder for an imported scenario."""
    return (
        scenarios_dir() / f"{slugify(Path(name).stem, fallback='workflow')}-{time.strftime('%Y%m%d-%H%M%S')}"
    )


def create_scenario(company_name: str) -> Path:
    """A new, empty scenario for `company_name` in the user's scenarios folder: the company and nothing else
    (no documents, offerings, guidelines, testimonials, logo or profiles), so nothing of an example's comes
    with it. Raises ScenarioError when the name is empty."""
    name = company_name.strip()
    if not name:
        raise ScenarioError(
            [Problem("a scenario needs the company's name: type it, then create the scenario.")]
        )
    target = new_scenario_folder(name)
    while target.exists():  # two within the same second
        target = target.with_name(target.name + "-1")
    company = json.dumps({"name": name}, indent=2, ensure_ascii=False) + "\n"
    save_scenario_files(target, {"company.json": company, "offerings.json": "{}\n"})
    for folder in ("knowledge", "profiles"):
        (target / folder).mkdir(exist_ok=True)
    return target


def set_scenario_logo(root: str | Path, filename: str, data: bytes) -> Path:
    """Make `data` (an SVG or PNG file called `filename`) the logo of scenario `root`, replacing the other
    kind; returns the scenario written (a copy when `root` ships with the app, as `edit_scenario`). Raises
    ScenarioError for another kind of file, a PNG that is not one, or one over 1 MB."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".svg":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                [Problem(f"{filename} is not SVG text (UTF-8): export it again as SVG.")]
            ) from exc
        return edit_scenario(root, {"logo.svg": text}, remove=["logo.png"])
    if suffix != ".png":
        raise ScenarioError(
            [Problem(f"{filename}: a logo is an .svg or a .png file; convert it to one of those.")]
        )
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ScenarioError([Problem(f"{filename} is not a PNG image (its first bytes say otherwise).")])
    if len(data) > 1_000_000:
        raise ScenarioError([Problem(f"{filename} is {len(data) / 1e6:.1f} MB: a logo must be under 1 MB.")])
    target = edit_scenario(root, {}, remove=["logo.svg"])
    try:
        (target / "logo.png").write_bytes(data)
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot write logo.png: {exc.strerror}.")]) from exc
    return target


def edit_scenario(root: str | Path, files: Mapping[str, str], remove: Collection[str] = ()) -> Path:
    """Save `files` (path inside the scenario -> text) into scenario `root`, delete the paths in `remove`, and
    return the scenario that was written. That is `root`, unless `root` ships with the app (under assets/):
    then a fresh copy of it in the user's scenarios folder, so the installed files stay as shipped. Everything
    is checked first, so a rejected edit writes, deletes and copies nothing. Raises ScenarioError."""
    root = Path(root)
    check_scenario_files(files, remove)
    target = root
    if root.resolve().is_relative_to(EXAMPLE_SCENARIO.parent.resolve()):
        target = new_scenario_folder(root.name)
        try:
            shutil.copytree(root, target)
        except OSError as exc:
            raise ScenarioError([Problem(f"cannot copy the example to {target}: {exc.strerror}.")]) from exc
    save_scenario_files(target, files, remove)
    return target


class Settings(BaseModel):
    """What the Settings page changes, kept in settings.json next to the saved workflows."""

    local_usd_per_hour: float | None = Field(None, ge=0)
    price_overrides: dict[str, ModelPrice] = Field(default_factory=dict)
    # The quality axes' weights where they differ from their defaults (what the Run page and the lab weigh by).
    quality_weights: dict[str, float] = Field(default_factory=dict)
    # The model of the optional LLM judge axis ("provider/model"); None: no judge.
    judge_model: str | None = None

    @field_validator("quality_weights")
    @classmethod
    def _known_axes(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value)


def settings_path() -> Path:
    return home() / "settings.json"


def load_settings() -> Settings:
    path = settings_path()
    if not path.is_file():
        return Settings()
    try:
        return Settings.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, OSError) as exc:
        raise DecomposeError(f"{path} could not be read ({exc}); fix or delete it.") from exc


def save_settings(settings: Settings) -> Path:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings.model_dump(mode="json"), indent=2), encoding="utf-8")
    return path


def price_book(settings: Settings | None = None, registry: ProviderRegistry | None = None) -> PriceBook:
    """Prices as the user set them: catalogue prices, then the providers file's `prices:`, then the overrides
    and local $/hour saved from the Settings page. The CLI, the compare lab and the app all price this way."""
    settings = settings if settings is not None else load_settings()
    registry = registry if registry is not None else ProviderRegistry.from_environment()
    overrides: dict[str, ModelPrice] = dict(registry.price_overrides())
    overrides.update(settings.price_overrides)
    return PriceBook(local_usd_per_hour=settings.local_usd_per_hour, overrides=overrides)


_swept: set[Path] = set()


def new_engine(
    *,
    use_cache: bool = True,
    settings: Settings | None = None,
    judge: str | None = None,
    render: bool = True,
    trace: bool = False,
) -> Engine:
    """A fresh engine for one run (or one experiment): its own registry, since HTTP clients belong to the
    event loop that runs it. `judge` (a model ref) adds the LLM judge axis to every run's quality;
    `render=False` checks pages without the browser (static accessibility and responsive axes, labelled);
    `trace` exports every run to OpenTelemetry (`--otel`)."""
    registry = ProviderRegistry.from_environment()
    store = Store()
    if store.path not in _swept:
        # Once per database and process: runs a killed process left behind are marked, not shown as running
        # forever. Later engines of this process need not scan again; its own runs are alive.
        store.mark_interrupted()
        _swept.add(store.path)
    prices = price_book(settings, registry)
    return Engine(
        registry,
        prices=prices,
        store=store,
        use_cache=use_cache,
        hooks=standard_hooks(
            store, judge=judge, registry=registry, prices=prices, render=render, trace=trace
        ),
    )

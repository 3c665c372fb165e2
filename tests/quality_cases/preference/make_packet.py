"""Builds a blind rating packet from pages: for each visitor, its pages under random letters, each as a
screenshot at 1280 and at 390 px, and a brief that says who the seller and the visitor are. The key (letter ->
page file) is written apart from the packet, so a rater who sees the packet never sees a variant's name.

    python -m tests.quality_cases.preference.make_packet PAGES_DIR PACKET_DIR KEY_JSON --seed N [--visitors DIR]

PAGES_DIR holds `<scenario>/<profile>--<variant>.html`; each scenario folder name is looked up in
`SCENARIOS` below. With `--visitors`, the visitors are `DIR/<scenario>/<profile>.json` rather than the
scenario's own profiles (a split of new visitors for shipped scenarios)."""

from __future__ import annotations

import argparse
import io
import json
import random
import string
from pathlib import Path

from PIL import Image

from workflow_core.quality.render import Renderer
from workflow_core.scenario import load_scenario

SCENARIOS = {
    "example": "assets/example_scenario",
    "cycle": "assets/cycle_shop_scenario",
    "ledger": "assets/ledger_scenario",
    "bakery": "tests/quality_cases/scenarios/bakery",
    "solar": "tests/quality_cases/scenarios/solar",
}


def brief(scenario_dir: str, profile_id: str, visitors: Path | None = None) -> str:
    """What a rater knows: the seller, what it sells, and the visitor the page was made for (from the folder
    `visitors` when given, else the scenario's profiles)."""
    scenario = load_scenario(scenario_dir, profiles=visitors)
    profile = scenario.profiles[profile_id]
    company = scenario.company
    lines = [
        f"Seller: {company.name}. {company.tagline}",
        company.description,
        "",
        "Visitor the page was made for (the seller's CRM record; the page should speak to their needs, "
        "not recite this):",
        json.dumps(profile, indent=2, ensure_ascii=False),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", type=Path)
    parser.add_argument("packet", type=Path)
    parser.add_argument("key", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--visitors", type=Path, help="a folder of <scenario>/<profile>.json visitors")
    args = parser.parse_args()
    renderer = Renderer()
    key: dict[str, dict[str, str]] = {}
    try:
        for scenario_folder in sorted(p for p in args.pages.iterdir() if p.is_dir()):
            scenario_dir = SCENARIOS[scenario_folder.name]
            by_visitor: dict[str, list[Path]] = {}
            for page in sorted(scenario_folder.glob("*.html")):
                by_visitor.setdefault(page.stem.split("--")[0], []).append(page)
            for profile_id, pages in by_visitor.items():
                visitor = f"{scenario_folder.name}-{profile_id}"
                out = args.packet / visitor
                out.mkdir(parents=True, exist_ok=True)
                (out / "brief.txt").write_text(
                    brief(
                        scenario_dir,
                        profile_id,
                        args.visitors / scenario_folder.name if args.visitors else None,
                    )
                    + "\n",
                    encoding="utf-8",
                )
                letters = list(string.ascii_uppercase[: len(pages)])
                random.Random(f"{args.seed}/{visitor}").shuffle(letters)
                key[visitor] = {}
                for letter, page in zip(letters, pages, strict=True):
                    rendered = renderer.render(page.read_text(encoding="utf-8"))
                    for width, jpeg in rendered.screenshots.items():
                        # PNG: what an image viewer (a rater's tool) is sure to open.
                        Image.open(io.BytesIO(jpeg)).save(out / f"{letter}-{width}.png")
                    key[visitor][letter] = str(page.relative_to(args.pages))
                print(visitor, key[visitor], flush=True)
    finally:
        renderer.close()
    args.key.write_text(json.dumps(key, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

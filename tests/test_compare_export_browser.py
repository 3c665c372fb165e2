"""The exported HTML report opens in headless Chromium with no network, and its charts render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import CHROMIUM, assert_renders_offline, hand_made_experiment
from workflow_core.lab.analysis import analyse
from workflow_core.lab.export import write_exports
from workflow_core.lab.tco import TcoInputs
from workflow_core.pricing.book import PriceBook

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"), reason="no Chromium"
)


def test_report_renders_offline(tmp_path: Path) -> None:
    analysis = analyse(hand_made_experiment(), PriceBook(), {"*": "openai/gpt-4.1-mini"}, TcoInputs())
    paths = write_exports(analysis, tmp_path)
    assert_renders_offline(paths["report.html"])

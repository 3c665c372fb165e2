"""Scenario page."""

from studio import ui

ui.header("Scenario", "Coming in the next commit.")

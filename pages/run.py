"""Run page."""

from studio import ui

ui.header("Run", "Coming in the next commit.")

"""Compare page."""

from studio import ui

ui.header("Compare", "Coming in the next commit.")

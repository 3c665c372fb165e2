"""Settings page."""

from studio import ui

ui.header("Settings", "Coming in the next commit.")

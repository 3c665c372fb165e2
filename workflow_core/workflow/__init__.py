"""Workflows: the spec, its graph, prompt templating, layout and the built-in templates."""

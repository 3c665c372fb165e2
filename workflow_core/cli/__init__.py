"""`decompose`: the command line over the same core as the app."""

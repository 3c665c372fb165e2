"""The page: the design system, assembling and bundling sites, the artist, and quality checks."""

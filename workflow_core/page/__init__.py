"""The page: the page spec a model fills and the design system that renders it, assembling and bundling
sites, the artist, colours, CSS, and the quality checks (`quality.check_page`, categories in `checks/`)."""

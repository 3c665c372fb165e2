"""The automatic checks of a generated page, one module per category; `page.quality.check_page` runs them."""

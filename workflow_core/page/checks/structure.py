"""Structure: does the page parse as HTML5?"""

from __future__ import annotations

from html5lib.constants import E as HTML5LIB_MESSAGES

from workflow_core.page.checks.common import Check, LoadedPage


def check_parse(page: LoadedPage) -> list[Check]:
    """The HTML5 parse errors of the page (the first eight named), each costing a tenth of the score; the
    errors come from the one parse every check shares."""
    check = Check("html5", "parse", 1.0)
    errors = page.parse_errors
    for (line, col), code, data in errors[:8]:
        try:
            detail = (HTML5LIB_MESSAGES.get(code, code) % (data or {})).rstrip(".")
        except (TypeError, KeyError, ValueError):
            detail = code
        check.fail(f"HTML parse error at line {line}, column {col}: {detail}.")
    if len(errors) > 8:
        check.fail(f"... and {len(errors) - 8} more HTML parse errors.")
    if not errors:
        check.ok("The page parses as HTML5 without errors.")
    check.score = max(0.0, 1.0 - 0.1 * len(errors))
    return [check]

"""Assets: every image, script, style sheet and CSS url() a page references resolves, offline."""

from __future__ import annotations

import re

from workflow_core.page.checks.common import Check, LoadedPage, describe, short
from workflow_core.page.css import CSS_URL


def check_assets(page: LoadedPage, available_files: set[str] | None) -> list[Check]:
    """Every reference is a data: URI, a fragment, or one of `available_files` (None: none exist)."""
    check = Check("references", "assets", 1.0)
    refs: list[tuple[str, str]] = []
    for i, img in enumerate(page.root.iter("img"), 1):
        refs.append((f"img #{i}", img.get("src") or ""))
    for el in page.root.iter("script", "link", "source", "video", "audio", "iframe"):
        ref = el.get("src") or (el.get("href") if el.tag == "link" else None)
        if ref is not None:
            refs.append((f"<{el.tag}>", ref))
    for style in page.root.iter("style"):
        refs.extend(("CSS url()", m.group(2)) for m in CSS_URL.finditer(style.text or ""))
    for el in page.root.iter():
        if isinstance(el.tag, str) and el.get("style"):
            refs.extend(
                (f"inline style on {describe(el)}", m.group(2)) for m in CSS_URL.finditer(el.get("style"))
            )
    files = {f.lstrip("./") for f in available_files} if available_files is not None else None
    bad = 0
    for where, ref in refs:
        ref = ref.strip()
        if ref.startswith("data:") or ref.startswith("#"):
            continue
        if not ref:
            bad += 1
            check.fail(
                f"{where} has an empty reference: point it at an image (a data: URI for a "
                "self-contained page)."
            )
        elif re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.IGNORECASE):
            bad += 1
            check.fail(
                f"{where} loads {short(ref)} from the network: inline it as a data: URI so the page "
                "works offline and does not leak the visitor to a third party."
            )
        elif files is None or ref.split("?")[0].split("#")[0].lstrip("./") not in files:
            bad += 1
            check.fail(
                f"{where} references {short(ref)!r}, which is not a file of this site: inline "
                "the image or add the file."
            )
    if not bad:
        check.ok(f"All {len(refs)} asset references resolve.")
    check.score = 1.0 - bad / len(refs) if refs else 1.0
    return [check]

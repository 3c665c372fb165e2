"""Workflow <-> StreamlitFlowState: what the canvas draws, and what the user's drags, connections and
deletions mean for the workflow."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit_flow import streamlit_flow
from streamlit_flow.elements import StreamlitFlowEdge, StreamlitFlowNode
from streamlit_flow.state import StreamlitFlowState

from workflow_core.errors import Problem
from workflow_core.workflow.kinds import kind_of
from workflow_core.workflow.spec import Edge, Position, Workflow

STATUS_BORDERS: dict[str, str] = {
    "running": "#f59f00",
    "ok": "#2f9e44",
    "failed": "#e03131",
    "skipped": "#868e96",
    "cancelled": "#495057",
}
PROBLEM_BORDER = "#e03131"


def node_label(workflow: Workflow, node_id: str, problems: list[Problem]) -> str:
    """Markdown shown inside a node: icon, id, kind and model, then its first problem."""
    node = workflow.node(node_id)
    kind_line = node.kind + (f" · {node.model}" if node.model else "")
    lines = [f"**{node.id}**", kind_line]
    if node.persona:
        lines.insert(1, f"_{node.persona}_")
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        lines.append(f"**Problem:** {problems[0].message[:90]}{more}")
    return "\n\n".join(lines)


def _style(kind: str, border: str | None) -> dict[str, str]:
    # A fresh dict per node: streamlit-flow mutates the style it is given.
    return {
        "background": kind_of(kind).colour,
        "border": f"{3 if border else 1}px solid {border or '#adb5bd'}",
        "borderRadius": "8px",
        "fontSize": "12px",
        "width": "210px",
        "textAlign": "left",
        "padding": "6px 8px",
    }


def to_flow_state(
    workflow: Workflow,
    problems: list[Problem],
    *,
    editable: bool = True,
    statuses: dict[str, str] | None = None,
    generation: int = 0,
) -> StreamlitFlowState:
    """The canvas state for a workflow: nodes coloured by kind, a red border and message where validation
    found a problem (or the border of the node's run status), edges as arrows."""
    by_node: dict[str, list[Problem]] = {}
    for p in problems:
        if p.node_id:
            by_node.setdefault(p.node_id, []).append(p)
    known = {n.id for n in workflow.nodes}
    nodes = []
    for n in workflow.nodes:
        node_problems = by_node.get(n.id, [])
        status = (statuses or {}).get(n.id)
        border = PROBLEM_BORDER if node_problems else STATUS_BORDERS.get(status or "")
        nodes.append(
            StreamlitFlowNode(
                id=n.id,
                pos=(n.position.x, n.position.y),
                data={"content": node_label(workflow, n.id, node_problems), "generation": generation},
                node_type="default",
                source_position="right",
                target_position="left",
                selected=False,
                draggable=editable,
                selectable=True,
                connectable=editable,
                deletable=editable,
                style=_style(n.kind, border),
            )
        )
    edges = [
        StreamlitFlowEdge(
            id=f"{e.source}->{e.target}",
            source=e.source,
            target=e.target,
            edge_type="default",
            marker_end={"type": "arrowclosed"},
            animated=(statuses or {}).get(e.source) == "running",
            deletable=editable,
            focusable=editable,
        )
        for e in workflow.edges
        if e.source in known and e.target in known
    ]
    return StreamlitFlowState(nodes=nodes, edges=edges)


def from_flow_state(workflow: Workflow, state: StreamlitFlowState) -> tuple[Workflow, bool]:
    """The workflow after the user's canvas edits, and whether its structure changed (nodes deleted, edges
    added or removed). Positions follow the canvas without counting as a change."""
    on_canvas = {n.id: n for n in state.nodes}
    copy = workflow.model_copy(deep=True)
    copy.nodes = [n for n in copy.nodes if n.id in on_canvas]
    for n in copy.nodes:
        pos = on_canvas[n.id].position
        n.position = Position(x=float(pos.get("x", 0.0)), y=float(pos.get("y", 0.0)))
    ids = {n.id for n in copy.nodes}
    seen: set[tuple[str, str]] = set()
    edges: list[Edge] = []
    for e in state.edges:
        pair = (e.source, e.target)
        if e.source in ids and e.target in ids and e.source != e.target and pair not in seen:
            seen.add(pair)
            edges.append(Edge(source=e.source, target=e.target))
    copy.edges = edges
    old_edges = {(e.source, e.target) for e in workflow.edges}
    changed = len(copy.nodes) != len(workflow.nodes) or seen != old_edges
    return copy, changed


def structure_signature(workflow: Workflow, problems: list[Problem], revision: int) -> str:
    """What the canvas shows apart from positions: rebuilding the canvas only when this changes keeps the
    user's drags and viewport between unrelated reruns."""
    data = workflow.model_dump(mode="json", exclude={"nodes": {"__all__": {"position"}}})
    return json.dumps([data, [str(p) for p in problems], revision], sort_keys=True)


@dataclass
class CanvasEvent:
    """What the user did on the canvas since the last rerun (None when nothing new arrived)."""

    workflow: Workflow
    structural: bool
    selected: str | None  # a node the user clicked; never an edge


NODE_SIZE = (210.0, 110.0)  # a node's box on the canvas, about (its style's width, four lines of text)
CONTROLS_BAND = 40  # px above the graph for the zoom controls, so they never cover a node


def fitted_height(workflow: Workflow, width: float = 600.0, low: int = 320, high: int = 640) -> int:
    """A first canvas height in pixels, before the browser knows the canvas' width: the graph's bounding box
    scaled to `width`, plus the controls' band, within [low, high]. In the browser `_CANVAS_SCRIPT` then sizes
    the canvas to the graph at its real width and fits the view to it."""
    if not workflow.nodes:
        return low
    xs = [n.position.x for n in workflow.nodes]
    ys = [n.position.y for n in workflow.nodes]
    box_w = max(xs) - min(xs) + NODE_SIZE[0]
    box_h = max(ys) - min(ys) + NODE_SIZE[1]
    scale = min(1.0, width / box_w)
    return int(min(high, max(low, box_h * scale + 40 + CONTROLS_BAND)))


# Bigger connection handles (the component draws 6 px dots that are hard to grab), and Escape or a click on
# empty canvas closes the node editor: the canvas is a same-origin component iframe, so the app's page can
# style it and hear its events. (The component reports a pane click only as "no selection", which a drag's
# end reports too, sometimes in the same millisecond as the click that follows it: not a signal to trust.)
#
# The canvas fits the graph at whatever width it gets (1280, 800 or a 390 px phone): the server cannot know
# that width, and the component fits its view only once, at its first height. So the script measures the
# graph (the nodes' positions and sizes in the canvas), gives the canvas the height that shows the graph
# at its width, within [320, 680] px (200 on a phone), and presses the canvas' own "fit view" control. It
# does so again when the width or the set of nodes changes, or the bounds do other than by a drag (a drag
# keeps the user's view). The zoom controls sit in a band of their own above the graph.
_CANVAS_SCRIPT = """
<script>
(function () {
  const BAND = %(band)d;
  const css = ".react-flow__handle{width:14px!important;height:14px!important;border:2px solid #fff!important;"
    + "background:#495057!important}.react-flow__handle-left{left:-8px!important}"
    + ".react-flow__handle-right{right:-8px!important}.react-flow__handle:hover{background:#1c7ed6!important}"
    // The zoom controls in a row at the top right, in a band above the graph: over the graph (their default
    // column at the bottom left, or the top right of the fitted view) they covered a node.
    + "#root>div{box-sizing:border-box!important;padding-top:" + BAND + "px}"
    + ".react-flow{overflow:visible!important}.react-flow__renderer{overflow:hidden}"
    + ".react-flow__controls{top:" + (6 - BAND) + "px!important;right:0!important;left:auto!important;"
    + "bottom:auto!important;flex-direction:row!important;display:flex!important;margin:0!important}";
  const doc = window.parent.document;
  function deselect() {
    const close = doc.querySelector(".st-key-%(deselect)s button");
    if (close) close.click();
  }
  function onKey(e) {
    if (e.key !== "Escape") return;
    const t = e.target, tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    deselect();
  }
  function onClick(e) {
    if (e.target && e.target.classList && e.target.classList.contains("react-flow__pane")) deselect();
  }
  function fit(frame, inner) {
    const box = inner.querySelector("#root>div"), nodes = inner.querySelectorAll(".react-flow__node");
    const width = frame.clientWidth;
    if (!box || !nodes.length || !width) return;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const ids = [];
    nodes.forEach(function (n) {
      const m = /translate\\(([-\\d.]+)px,\\s*([-\\d.]+)px\\)/.exec(n.style.transform);
      if (!m || !n.offsetWidth) return;
      const x = Number(m[1]), y = Number(m[2]);
      x0 = Math.min(x0, x); y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + n.offsetWidth); y1 = Math.max(y1, y + n.offsetHeight);
      ids.push(n.getAttribute("data-id"));
    });
    if (!isFinite(x0)) return;
    const key = width + "|" + ids.sort().join(","), bounds = Math.round(x1 - x0) + "x" + Math.round(y1 - y0);
    if (frame.__fitKey === key && frame.__bounds === bounds) {
      if (box.style.height !== frame.__height) {  // a rerun drew the component at the server's height
        box.style.height = frame.__height;
        frame.style.height = frame.__height;
      }
      return;
    }
    const dragged = frame.__fitKey === key && (inner.__pointerDown || Date.now() - (inner.__movedAt || 0) < 1500);
    frame.__fitKey = key;
    frame.__bounds = bounds;
    if (dragged && frame.__height) return;
    // fitView leaves 5%% of the graph's size on each side and zooms in at most 2x.
    const zoom = Math.min(2, width / ((x1 - x0) * 1.1));
    const low = width < 480 ? 200 : 320;
    const height = Math.round(Math.min(680, Math.max(low, BAND + (y1 - y0) * 1.1 * zoom + 24)));
    frame.__height = height + "px";
    box.style.height = frame.__height;
    frame.style.height = frame.__height;
    // Once the canvas has taken its new size (it measures itself on the next frames), fit the view to it.
    [120, 500].forEach(function (ms) {
      setTimeout(function () {
        const button = inner.querySelector(".react-flow__controls-fitview");
        if (button) button.click();
      }, ms);
    });
  }
  function wire() {
    doc.querySelectorAll("iframe[title='streamlit_flow.streamlit_flow']").forEach(function (frame) {
      const inner = frame.contentDocument;
      if (!inner || !inner.head) return;
      if (!inner.__decompose) {
        inner.__decompose = true;
        const style = inner.createElement("style");
        style.textContent = css;
        inner.head.appendChild(style);
        inner.addEventListener("keydown", onKey);
        inner.addEventListener("click", onClick);
        inner.addEventListener("pointerdown", function (e) {
          inner.__pointerDown = !!(e.target.closest && e.target.closest(".react-flow__node"));
        }, true);
        inner.addEventListener("pointerup", function () {
          if (inner.__pointerDown) inner.__movedAt = Date.now();
          inner.__pointerDown = false;
        }, true);
      }
      fit(frame, inner);
    });
  }
  if (!doc.__decomposeEsc) { doc.__decomposeEsc = true; doc.addEventListener("keydown", onKey); }
  if (window.parent.__decomposeWire) window.parent.clearInterval(window.parent.__decomposeWire);
  window.parent.__decomposeWire = window.parent.setInterval(wire, 300);
  wire();
})();
</script>
"""


def canvas_extras(deselect_key: str) -> None:
    """Draw (invisibly) the script that enlarges the canvas' handles and maps Escape to `deselect_key`."""
    st.html(_CANVAS_SCRIPT % {"deselect": deselect_key, "band": CONTROLS_BAND}, unsafe_allow_javascript=True)


def canvas(
    key: str, workflow: Workflow, problems: list[Problem], revision: int, **options: Any
) -> CanvasEvent | None:
    """Draw the workflow with streamlit-flow and return the user's new edit, if any.

    The component returns its last value on every rerun, and values it sent before adopting a state rebuilt
    here may still arrive afterwards. So each value is processed once (by its timestamp), and only when its
    nodes carry the generation of the state now shown. A rebuilt state gets a timestamp newer than anything
    the browser sent, so the component adopts it even when the browser's clock runs ahead of the server's.
    """
    ss = st.session_state
    state_key, sig_key, seen_key, gen_key, pick_key = (
        f"{key}:{part}" for part in ("state", "signature", "seen", "gen", "pick")
    )
    signature = structure_signature(workflow, problems, revision)
    if ss.get(sig_key) != signature or state_key not in ss:
        ss[gen_key] = int(ss.get(gen_key, 0)) + 1
        rebuilt = to_flow_state(workflow, problems, generation=ss[gen_key])
        rebuilt.timestamp = max(int(time.time() * 1000), int(ss.get(seen_key) or 0) + 1)
        ss[state_key], ss[sig_key] = rebuilt, signature
    current: StreamlitFlowState = ss[state_key]
    returned = streamlit_flow(key, current, **options)
    if returned is current or returned.timestamp == ss.get(seen_key):
        picked = ss.pop(pick_key, None)
        return CanvasEvent(workflow, False, picked) if picked in {n.id for n in workflow.nodes} else None
    ss[seen_key] = returned.timestamp
    if any(n.data.get("generation") != ss[gen_key] for n in returned.nodes):
        # Drawn from a state we have since replaced: applying it would undo the replacement. The component
        # adopts a state only when its timestamp is not older than the last value it sent, and this value
        # may have left after the replacement was stamped (a busy machine): stamp the replacement after it
        # and draw again, or the canvas would keep showing the old workflow. A click it carries still
        # opens that node, if the workflow has it: the user clicked a node that is still there.
        current.timestamp = max(int(time.time() * 1000), returned.timestamp + 1)
        ss[state_key] = current
        if returned.selected_id:
            ss[pick_key] = returned.selected_id
        st.rerun()
    ss[state_key] = returned
    updated, structural = from_flow_state(workflow, returned)
    # The component also reports a new edge's id as `selectedId` when an edge is dragged out: only a node
    # id is a selection, else the editor would look for a node named after the edge and show none.
    on_canvas = {n.id for n in returned.nodes}
    selected = returned.selected_id if returned.selected_id in on_canvas else None
    return CanvasEvent(updated, structural, selected)

// Layout measures of a rendered page, run by workflow_core/quality/render.py after the page has loaded.
// Argument: {minFontPx, limit}. Returns plain JSON (see render.py's WidthRender).
({ minFontPx, limit }) => {
  const doc = document.documentElement;
  const body = document.body || doc;

  // A selector a reader can find: up to four steps, stopping at an id.
  const selector = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let step = e.tagName.toLowerCase();
      if (e.id) {
        parts.unshift(step + "#" + CSS.escape(e.id));
        break;
      }
      step += [...e.classList].slice(0, 2).map((c) => "." + CSS.escape(c)).join("");
      const twins = e.parentElement ? [...e.parentElement.children].filter((c) => c.tagName === e.tagName) : [];
      if (twins.length > 1) step += `:nth-of-type(${twins.indexOf(e) + 1})`;
      parts.unshift(step);
      if (e === body) break;
    }
    return parts.join(" > ");
  };
  // The element's opening tag (an inline image's data: URI cut to its header).
  const snippet = (el) => {
    const html = el.outerHTML;
    const end = html.indexOf(">");
    let open = end >= 0 ? html.slice(0, end + 1) : html;
    open = open.replace(/(data:[^,"']{0,60},)[^"']*/g, "$1…");
    return open.length > 240 ? open.slice(0, 239) + "…" : open;
  };
  const shown = (el) => {
    const cs = getComputedStyle(el);
    if (cs.display === "none" || cs.visibility !== "visible" || parseFloat(cs.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const textOf = (el) => (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 80);

  // Sideways overflow: the layout is wider than the viewport. The culprits are the outermost elements that
  // reach past the right edge and are not clipped by a scrolling or hidden-overflow ancestor.
  const layoutWidth = doc.clientWidth;
  const scrollWidth = Math.max(doc.scrollWidth, body.scrollWidth);
  const overflow = [];
  if (scrollWidth > layoutWidth + 1) {
    const clipped = new Map();
    for (const el of body.querySelectorAll("*")) {
      const parent = el.parentElement;
      const pcs = parent && parent !== body && parent !== doc ? getComputedStyle(parent) : null;
      const parentClips = pcs !== null && pcs.overflowX !== "visible";
      const isClipped = (parent && clipped.get(parent)) || parentClips;
      clipped.set(el, isClipped);
      if (isClipped) continue;
      const r = el.getBoundingClientRect();
      if (r.right <= layoutWidth + 1 || r.width === 0) continue;
      const pr = parent ? parent.getBoundingClientRect() : null;
      if (pr && parent !== body && pr.right > layoutWidth + 1) continue;
      overflow.push({ selector: selector(el), html: snippet(el), width: Math.round(r.width), right: Math.round(r.right) });
    }
    overflow.sort((a, b) => b.right - a.right);
  }

  // Visible text under the minimum size, one entry per element.
  const smallText = [];
  let smallCount = 0;
  const seen = new Set();
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TITLE"].includes(el.tagName)) continue;
    seen.add(el);
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size >= minFontPx || !shown(el)) continue;
    smallCount += 1;
    if (smallText.length < limit) {
      smallText.push({ selector: selector(el), html: snippet(el), size: Math.round(size * 10) / 10, text: textOf(el) });
    }
  }

  // Text drawn over other text: line boxes of two text nodes that cross by more than a sliver (a third of
  // the smaller box, 3 px each way), where no clipping ancestor hides the crossing. Text in a fixed or sticky
  // layer (a header, a banner) is meant to pass over the page, and the page is measured scrolled to the top.
  const layered = new Map();
  const inLayer = (el) => {
    if (!el || el === body || el === doc) return false;
    if (layered.has(el)) return layered.get(el);
    const position = getComputedStyle(el).position;
    const answer = position === "fixed" || position === "sticky" || inLayer(el.parentElement);
    layered.set(el, answer);
    return answer;
  };
  const clippedAt = (el, x, y) => {
    for (let a = el.parentElement; a && a !== body && a !== doc; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === "visible" && cs.overflowY === "visible" && cs.clip === "auto") continue;
      const r = a.getBoundingClientRect();
      if (x < r.left || x > r.right || y < r.top + scrollY || y > r.bottom + scrollY) return true;
    }
    return false;
  };
  const boxes = [];
  const shownText = new Map();
  const textWalker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = textWalker.nextNode(); node; node = textWalker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest("svg")) continue;
    if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TITLE", "OPTION"].includes(el.tagName)) continue;
    if (!shownText.has(el)) shownText.set(el, shown(el) && !inLayer(el));
    if (!shownText.get(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 3 || r.height < 3 || r.bottom + scrollY <= 0 || r.right <= 0) continue;
      boxes.push({ el, node, l: r.left, r: r.right, t: r.top + scrollY, b: r.bottom + scrollY });
    }
  }
  boxes.sort((a, b) => a.t - b.t);
  const overlapping = [];
  const pairs = new Set();
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length && boxes[j].t < a.b; j++) {
      const b = boxes[j];
      if (a.node === b.node) continue;
      const w = Math.min(a.r, b.r) - Math.max(a.l, b.l);
      const h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
      if (w < 3 || h < 3) continue;
      const smaller = Math.min((a.r - a.l) * (a.b - a.t), (b.r - b.l) * (b.b - b.t));
      if (w * h < smaller / 3) continue;
      const x = Math.max(a.l, b.l) + w / 2;
      const y = Math.max(a.t, b.t) + h / 2;
      if (clippedAt(a.el, x, y) || clippedAt(b.el, x, y)) continue;
      const [first, second] = a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_PRECEDING ? [b, a] : [a, b];
      const key = selector(first.el) + " | " + selector(second.el);
      if (pairs.has(key)) continue;
      pairs.add(key);
      overlapping.push({
        selector: selector(first.el),
        html: snippet(first.el),
        text: textOf(first.el),
        other: selector(second.el),
        otherText: textOf(second.el),
      });
    }
  }

  // Text a fixed or sticky layer covers where the page opens (a header over the headline, a footer bar over
  // the first card): the point at the middle of its line box shows the layer, not the text.
  const covered = [];
  const coveredSeen = new Set();
  for (const a of boxes) {
    const y = (a.t + a.b) / 2 - scrollY;
    if (y <= 0 || y >= innerHeight || coveredSeen.has(a.el)) continue;
    const x = (a.l + a.r) / 2;
    if (x <= 0 || x >= innerWidth) continue;
    const top = document.elementFromPoint(x, y);
    if (!top || top === a.el || a.el.contains(top) || top.contains(a.el) || !inLayer(top)) continue;
    coveredSeen.add(a.el);
    covered.push({ selector: selector(a.el), html: snippet(a.el), text: textOf(a.el), other: selector(top) });
  }

  // Images that finished loading with nothing to show (a broken src, a blocked URL, bad data).
  const brokenImages = [];
  for (const img of document.images) {
    if (img.complete && img.naturalWidth === 0 && (img.hasAttribute("src") || img.srcset)) {
      brokenImages.push({ selector: selector(img), html: snippet(img), src: img.currentSrc || img.getAttribute("src") || "" });
    }
  }

  // Without a mobile viewport a phone lays the page out about 980 px wide and shrinks it to fit.
  const meta = document.querySelector('meta[name="viewport" i]');
  const viewportMeta = meta ? meta.getAttribute("content") || "" : "";
  const mobileViewport =
    /width\s*=\s*device-width/i.test(viewportMeta) || /initial-scale\s*=\s*1(\.0*)?(?![\d.])/i.test(viewportMeta);

  return {
    mobileViewport,
    viewportMeta: meta ? meta.outerHTML.slice(0, 200) : "",
    layoutWidth,
    scrollWidth,
    overflow: overflow.slice(0, limit),
    smallText,
    smallCount,
    brokenImages,
    overlapping: overlapping.slice(0, limit),
    overlapCount: overlapping.length,
    covered: covered.slice(0, limit),
    coveredCount: covered.length,
  };
};

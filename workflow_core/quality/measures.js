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
  };
};

import { realNow, realSetTimeout } from "../natives.js";
import { capture } from "../post.js";
import { onFrame } from "../frames.js";
import { isStandIn } from "./page.js";

// What the art sits on. Art of another shape than the frame (a 640x480 SVG in a 1200x630 card,
// a 400x400 canvas) is shown whole in the middle, and the rest of the frame continues its edges:
// each edge's own colours drawn outwards and softened, so one-colour edges become one flat fill.
// Art on a transparent background gets white, or the site's dark background when the art itself
// is light (a white spinner, white strokes meant for a dark page). Everything is derived from the
// art's pixels by fixed rules, so a capture stays the same bytes, and the live page does exactly
// the same. A page background the post sets itself covers all of this.

const DARK = "#0e1014"; // the site's own background
const WHITE = "#ffffff";
const SAMPLE = 64; // the art is judged from a copy this many pixels on its long side
const LIGHT = 0.4; // mean relative luminance above which art is light
const OPAQUE = 0.98; // mean alpha of the edges above which they are opaque
const MARGIN = 48; // CSS pixels the backdrop reaches past the frame: twice its CSS blur (render.html)
const LIVE_EVERY_MS = 1000;
const LIVE_AFTER_CHANGE_MS = 100; // a sketch that adds and removes elements in every frame is looked at this often

const probe = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
let backdrop = null; // the edges extended: a canvas behind everything
let judged = null;

// Show `art` (an <img> or a <canvas>) on what its pixels call for; `aspect` is its width/height.
export function setBackdrop(art, aspect) {
  const frame = window.innerWidth / window.innerHeight;
  const bars = Math.abs(aspect - frame) / frame > 0.01 ? (aspect < frame ? "sides" : "ends") : null;
  const seen = judge(art, aspect, bars);
  judged = seen || judged; // a WebGL canvas reads back empty outside the task that drew it
  let page = bars ? DARK : null;
  if (judged) page = judged.opaque ? judged.edge : judged.light ? DARK : WHITE;
  if (page) document.documentElement.style.setProperty("--imagesite-page", page);
  else document.documentElement.style.removeProperty("--imagesite-page");
  if (seen && seen.opaque && bars) extendEdges(aspect);
  else if (!bars || (judged && !judged.opaque)) backdrop?.remove();
}

// A canvas, three.js or p5 post: find its art (the one canvas showing, with nothing else beside
// it), fit it to the frame and set what it sits on: now, at the captured frame in capture mode,
// and in a live one about once a second and soon after the code adds or removes elements. `ours`
// is the harness's #canvas (null for p5, which makes its own), `drawn()` whether the code used
// it. Returns the update, to run it again.
export function watchCanvasArt(ours, drawn) {
  let last = -Infinity;
  const update = () => {
    if (ours) ours.hidden = !drawn() && othersThan(ours);
    const art = soleCanvas();
    for (const element of document.querySelectorAll("[data-imagesite-art]")) {
      if (element !== art) element.removeAttribute("data-imagesite-art");
    }
    if (!art) return;
    art.setAttribute("data-imagesite-art", "");
    if (art.width && art.height) setBackdrop(art, art.width / art.height);
  };
  update(); // in the task that ran the post's code: a WebGL canvas it drew once is readable only now
  if (!capture) {
    let pending = false;
    new MutationObserver((records) => {
      const changed = records.some((record) => [...record.addedNodes, ...record.removedNodes].some((node) => node !== backdrop));
      if (!changed || pending) return;
      pending = true;
      realSetTimeout(() => {
        pending = false;
        update();
      }, LIVE_AFTER_CHANGE_MS);
    }).observe(document.body, { childList: true, subtree: true });
  }
  onFrame(() => {
    // In a frame's own task, where a WebGL canvas still holds what the frame drew.
    if (!capture && realNow() - last < LIVE_EVERY_MS) return;
    last = realNow();
    update();
  });
  return update;
}

function shown(element) {
  return element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
}

function ignored(element) {
  return element === backdrop || (isStandIn(element) && element.getAttribute("data-imagesite-stand-in") !== "drawn");
}

function othersThan(ours) {
  return [...document.body.querySelectorAll("*")].some(
    (element) => element !== ours && !element.closest("script, style, template") && !ignored(element) && shown(element),
  );
}

// The page's only visible canvas, when no text or image is shown beside it.
function soleCanvas() {
  const canvases = [...document.querySelectorAll("canvas")].filter((canvas) => !ignored(canvas) && shown(canvas));
  if (canvases.length !== 1) return null;
  const media = [...document.body.querySelectorAll("img, svg, video, iframe, object, input, button, textarea, select")];
  if (media.some(shown) || document.body.innerText.trim()) return null;
  return canvases[0];
}

// The art's colours, sampled into `probe`: null when it reads back empty (a WebGL canvas outside
// the frame that drew it). Its edges are those that meet the bars (all four when there are none).
function judge(art, aspect, bars) {
  const width = aspect >= 1 ? SAMPLE : Math.max(1, Math.round(SAMPLE * aspect));
  const height = aspect >= 1 ? Math.max(1, Math.round(SAMPLE / aspect)) : SAMPLE;
  probe.canvas.width = width;
  probe.canvas.height = height;
  let data;
  try {
    probe.drawImage(art, 0, 0, width, height);
    data = probe.getImageData(0, 0, width, height).data;
  } catch {
    return null; // unreadable: an SVG with a <foreignObject> taints the canvas it is drawn on
  }
  let weight = 0;
  let light = 0;
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3] / 255;
    weight += alpha;
    light += alpha * luminance(data[i], data[i + 1], data[i + 2]);
  }
  if (weight === 0) return null;
  const at = (x, y) => data.subarray((y * width + x) * 4, (y * width + x) * 4 + 4);
  const edge = [];
  if (bars !== "ends") for (let y = 0; y < height; y++) edge.push(at(0, y), at(width - 1, y));
  if (bars !== "sides") for (let x = 0; x < width; x++) edge.push(at(x, 0), at(x, height - 1));
  const mean = [0, 1, 2, 3].map((c) => edge.reduce((sum, pixel) => sum + pixel[c], 0) / edge.length);
  return {
    opaque: mean[3] / 255 >= OPAQUE,
    light: light / weight > LIGHT,
    edge: `rgb(${mean.slice(0, 3).map(Math.round).join(", ")})`,
  };
}

// WCAG's relative luminance of an sRGB colour.
function luminance(r, g, b) {
  const linear = (c) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

// The frame, small, as the page shows it: the sampled art contained in the middle, each of its
// edge columns or rows (and corners) stretched out to the frame's edges and MARGIN past them,
// where the CSS blur would otherwise fade. The page's CSS lays it over the frame and softens it.
function extendEdges(aspect) {
  if (!backdrop) {
    backdrop = document.createElement("canvas");
    backdrop.setAttribute("data-imagesite-backdrop", "");
  }
  if (!backdrop.isConnected) document.body.prepend(backdrop);
  const scale = SAMPLE / (window.innerWidth + 2 * MARGIN); // backdrop pixels per CSS pixel
  backdrop.width = SAMPLE;
  backdrop.height = Math.max(1, Math.round((window.innerHeight + 2 * MARGIN) * scale));
  const fit = Math.min(window.innerWidth / aspect, window.innerHeight); // the art's height on the page
  const [w, h] = [fit * aspect * scale, fit * scale];
  const [x, y] = [(backdrop.width - w) / 2, (backdrop.height - h) / 2];
  const [right, bottom] = [x + w, y + h];
  const [pw, ph] = [probe.canvas.width, probe.canvas.height];
  const [rest, restDown] = [backdrop.width - right, backdrop.height - bottom];
  const context = backdrop.getContext("2d");
  context.imageSmoothingEnabled = false; // an edge pixel stays its own colour however far it is drawn
  context.clearRect(0, 0, backdrop.width, backdrop.height);
  for (const [sx, sy, sw, sh, dx, dy, dw, dh] of [
    [0, 0, pw, ph, x, y, w, h],
    [0, 0, 1, ph, 0, y, x, h],
    [pw - 1, 0, 1, ph, right, y, rest, h],
    [0, 0, pw, 1, x, 0, w, y],
    [0, ph - 1, pw, 1, x, bottom, w, restDown],
    [0, 0, 1, 1, 0, 0, x, y],
    [pw - 1, 0, 1, 1, right, 0, rest, y],
    [0, ph - 1, 1, 1, 0, bottom, x, restDown],
    [pw - 1, ph - 1, 1, 1, right, bottom, rest, restDown],
  ]) {
    if (dw > 0 && dh > 0) context.drawImage(probe.canvas, sx, sy, sw, sh, dx, dy, dw, dh);
  }
}

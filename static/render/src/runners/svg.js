import { capture, post } from "../post.js";
import { ready } from "../frames.js";
import { fail } from "../report.js";
import { setBackdrop } from "./backdrop.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";
// Capture mode stretches animation time by this factor (see pinAnimations): at 1e5, a rotating
// shape still moved enough between two captures to change their bytes.
const SLOW = 1e9;

// svg: the post is shown as an image (<img> of a blob: URL), never inlined, so its scripts and
// event handlers never run and it loads nothing; SMIL and CSS animations still play.
export function runSvg() {
  const parse = (source) => new DOMParser().parseFromString(source, "image/svg+xml");
  const doc = parse(addNamespaces(post.code));
  const root = doc.documentElement;
  if (doc.querySelector("parsererror")) {
    // Said of the code as written, not of the namespaces added to it: parsed again as it is.
    const problem = parse(post.code).querySelector("parsererror") || doc.querySelector("parsererror");
    const detail = (problem.querySelector("div") || problem).textContent.trim();
    fail("svg", say("svg_not_well_formed", { detail: position(detail) }));
    return;
  }
  if (root.namespaceURI !== SVG_NS || root.localName !== "svg") {
    fail("svg", say("svg_root", { tag: root.localName }));
    return;
  }
  // Scale to fit: an image is only scaled with a viewBox, so make one from width and height.
  if (!root.hasAttribute("viewBox")) {
    const width = lengthInPixels(root.getAttribute("width"));
    const height = lengthInPixels(root.getAttribute("height"));
    if (width && height) root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  }
  if (capture) pinAnimations(root, post.capture_time * 1000);

  const blob = new Blob([new XMLSerializer().serializeToString(doc)], { type: "image/svg+xml" });
  const img = document.createElement("img");
  img.id = "svg";
  img.alt = "";
  img.src = URL.createObjectURL(blob);
  document.body.appendChild(img);
  const viewBox = (root.getAttribute("viewBox") || "").trim().split(/[\s,]+/).map(Number);
  img.decode().then(
    () => {
      const aspect = viewBox[2] > 0 && viewBox[3] > 0 ? viewBox[2] / viewBox[3] : img.naturalWidth / img.naturalHeight || 1;
      setBackdrop(img, aspect);
      // A live frame may start at the iframe's default size, or be resized: the bars change with it.
      window.addEventListener("resize", () => setBackdrop(img, aspect));
      ready();
    },
    () => fail("svg", say("svg_not_shown", {})),
  );
}

// A sentence of the page's (post.messages, translated by the server) with its %(name)s filled in.
function say(key, values) {
  return post.messages[key].replace(/%\((\w+)\)s/g, (_all, name) => String(values[name]));
}

// Chromium's "error on line 1 at column 17: Opening and ending tag mismatch…", in the page's words.
function position(detail) {
  const match = /^error on line (\d+) at column (\d+): ([\s\S]*)$/.exec(detail);
  return match ? say("svg_position", { line: match[1], column: match[2], reason: match[3].trim() }) : detail;
}

// Hand-written SVG often leaves out xmlns (fine inline in HTML, but then an image shows nothing)
// or uses xlink:href without declaring the prefix: add them to the root start tag.
function addNamespaces(source) {
  const root = /^(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)*<svg\b[^>]*>/i.exec(source);
  if (!root) return source;
  let tag = root[0];
  if (!/\sxmlns\s*=/.test(tag)) tag = tag.replace(/<svg\b/i, `$& xmlns="${SVG_NS}"`);
  if (/\bxlink:/.test(source) && !/\sxmlns:xlink\s*=/.test(tag)) tag = tag.replace(/<svg\b/i, `$& xmlns:xlink="${XLINK_NS}"`);
  return tag + source.slice(root[0].length);
}

const PIXELS_PER = { "": 1, px: 1, pt: 4 / 3, pc: 16, mm: 96 / 25.4, cm: 96 / 2.54, in: 96 };

function lengthInPixels(value) {
  const match = /^\s*([\d.]+)\s*(px|pt|pc|mm|cm|in)?\s*$/.exec(value || "");
  return match ? Number(match[1]) * PIXELS_PER[match[2] || ""] : 0;
}

function parseClock(text) {
  const value = text.trim();
  let match = /^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(value); // [hh:]mm:ss[.f]
  if (match) return ((Number(match[1] || 0) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000;
  match = /^([+-]?(?:\d+\.?\d*|\.\d+))(h|min|s|ms)?$/.exec(value);
  if (!match) return NaN;
  return Number(match[1]) * { h: 3600000, min: 60000, s: 1000, ms: 1 }[match[2] || "s"];
}

// Capture mode: an image's animations run on the browser's own clock, which the harness cannot
// drive. So every animation time is stretched by SLOW and each animation starts capture_time in
// the past: the image shows the frame at capture_time and then moves by ~1e-9 s per second.
function pinAnimations(root, atMs) {
  const scale = (text) => {
    const ms = parseClock(text);
    return Number.isNaN(ms) ? text : `${ms * SLOW}ms`;
  };
  // A begin or end list: plain offsets move into the past; "id.end+1s" only has its offset scaled.
  const shiftList = (list) =>
    list
      .split(";")
      .map((part) => {
        const ms = parseClock(part);
        if (!Number.isNaN(ms)) return `${(ms - atMs) * SLOW}ms`;
        const relative = /^(.*?)([+-])\s*([^+-]+)$/.exec(part.trim());
        return relative ? relative[1] + relative[2] + scale(relative[3]) : part;
      })
      .join(";");
  for (const el of root.querySelectorAll("animate, animateTransform, animateMotion, animateColor, set")) {
    el.setAttribute("begin", shiftList(el.getAttribute("begin") || "0s"));
    if (el.hasAttribute("end")) el.setAttribute("end", shiftList(el.getAttribute("end")));
    for (const name of ["dur", "min", "max", "repeatDur"]) {
      if (el.hasAttribute(name)) el.setAttribute(name, scale(el.getAttribute(name)));
    }
  }
  // CSS: scale durations and delays in animation declarations, and shift the delays.
  const TIME = /(^|[\s,(])([+-]?(?:\d+\.?\d*|\.\d+))(m?s)\b/gi;
  const toMs = (number, unit) => Number(number) * (unit.toLowerCase() === "s" ? 1000 : 1);
  const pinCss = (css) =>
    css.replace(/(animation(?:-duration|-delay)?)\s*:\s*([^;}]*)/gi, (whole, property, value) => {
      const kind = property.toLowerCase().replace(/^.*animation-?/, "");
      const animations = value.split(",").map((one) => {
        let count = 0;
        const pinned = one.replace(TIME, (all, before, number, unit) => {
          count += 1;
          const ms = toMs(number, unit);
          const delay = kind === "delay" || (kind === "" && count === 2);
          return `${before}${(delay ? ms - atMs : ms) * SLOW}ms`;
        });
        // A shorthand with a duration and no delay starts at 0 s: give it the shifted delay.
        return kind === "" && count === 1 ? `${pinned} ${-atMs * SLOW}ms` : pinned;
      });
      return `${property}: ${animations.join(",")}`;
    });
  for (const style of root.querySelectorAll("style")) style.textContent = pinCss(style.textContent);
  for (const el of root.querySelectorAll("[style]")) el.setAttribute("style", pinCss(el.getAttribute("style")));
}

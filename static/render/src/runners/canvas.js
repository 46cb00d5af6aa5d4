import { realSetTimeout } from "../natives.js";
import { capture, framed, post } from "../post.js";
import { runCode, whenLoaded } from "../code.js";
import { ready } from "../frames.js";
import { watchCanvasArt } from "./backdrop.js";
import { afterLoad, callLateLoadListeners, insertHtml, provideStandIns } from "./page.js";

// canvas: the post's code runs with a full-viewport <canvas id="canvas"> and the globals canvas,
// ctx, width and height, plus any `globals` a runner built on this one adds (three: THREE), in a
// page with the post's own HTML, if any (see page.js).
export function runCanvas(globals = {}) {
  whenLoaded(() => whenSized(() => start(globals)));
}

// A frame can start before its page's stylesheet has given it a size (it then has the default
// 300x150, or none), and a sketch reads its size once: in a viewer's page, wait for the real
// size, for two seconds at most.
export function whenSized(run) {
  const unsized = () => (innerWidth === 300 && innerHeight === 150) || !innerWidth || !innerHeight;
  if (capture || !framed || !unsized()) return run();
  const go = () => {
    window.removeEventListener("resize", onResize);
    run();
  };
  const onResize = () => unsized() || go();
  window.addEventListener("resize", onResize);
  realSetTimeout(() => unsized() && go(), 2000);
}

function start(globals) {
  insertHtml(post.html);
  const canvas = document.createElement("canvas");
  canvas.id = "canvas";
  canvas.width = window.innerWidth;
  canvas.height = window.innerHeight;
  document.body.appendChild(canvas);
  let drawn = false;
  const getContext = canvas.getContext;
  canvas.getContext = function (...args) {
    drawn = true;
    canvas.hidden = false;
    return getContext.apply(this, args);
  };
  Object.defineProperty(window, "ctx", {
    // Made on first use, so a sketch may ask the canvas for WebGL instead.
    get: () => canvas.getContext("2d"),
    set: (value) => Object.defineProperty(window, "ctx", { value, writable: true, configurable: true, enumerable: true }),
    configurable: true,
    enumerable: true,
  });
  provideStandIns();
  const callLate = callLateLoadListeners();
  if (!runCode({ canvas, width: canvas.width, height: canvas.height, ...globals })) return;
  callLate();
  const arrange = watchCanvasArt(canvas, () => drawn);
  // Ready once the page has loaded, so that code run by its load event has run too.
  afterLoad(() => {
    arrange();
    ready();
  });
}

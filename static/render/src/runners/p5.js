import { Promise, realSetTimeout } from "../natives.js";
import { capture, post } from "../post.js";
import { timersPending } from "../clock.js";
import { runCode, whenLoaded } from "../code.js";
import { guarded } from "../errors.js";
import { ready } from "../frames.js";
import { capturePreview, fail, status } from "../report.js";
import { watchCanvasArt } from "./backdrop.js";
import { whenSized } from "./canvas.js";
import { afterLoad, callLateLoadListeners } from "./page.js";
import { installSilentSound } from "./p5-sound.js";

// p5: the post is a p5.js sketch, in global mode (function setup() / draw(), as pasted from the p5
// editor or OpenProcessing) or in instance mode (new p5(sketch)). p5.js is a script of its own,
// 1.x or 2.x as the server chose from the code (posts/render/p5.py), placed after the harness's so
// that it starts under the harness's clock and frame queue: millis(), frameCount, deltaTime and
// frameRate() follow them. What a sketch does that would wait, download or reach the network is
// made to answer at once here, before the sketch runs (see prepare).
export function runP5() {
  document.addEventListener("DOMContentLoaded", () => {
    // A script that failed to load was reported already, and the first error wins.
    if (!window.p5) return fail("exception", "p5.js did not load.");
    whenLoaded(() => whenSized(start));
  });
}

const LOADERS = /^(?:load(?!Pixels$)[A-Z]\w*|http(?:Get|Post|Do))$/;
const SAVES = /^(?:save[A-Z]?\w*|downloadFile|writeFile)$/;

function start() {
  const P5 = window.p5;
  const sketches = [];
  let shown = false;

  // Ready once a sketch's setup() has run: p5 draws its first frame in the next animation frame
  // (its first call of draw() comes too soon after setup and is skipped, in a browser as here), which
  // in a capture is the first step of the virtual clock.
  const afterSetup = () => {
    if (shown) return;
    shown = true;
    const arrange = watchCanvasArt(null, () => true);
    afterLoad(() => {
      arrange();
      ready();
    });
  };
  // A sketch that stopped its loop (noLoop()) with nothing left to run has drawn its picture.
  // (p5 1.x calls a global-mode sketch's hooks on window, where its methods are bound too.)
  const afterDraw = (sketch) => {
    if (capture && !sketch.isLooping() && !timersPending()) capturePreview();
  };
  // random(), randomGaussian(), shuffle() and noise() start from the post's seed; a sketch's own
  // randomSeed() or noiseSeed() (in preload, setup or later) replaces it.
  const seed = (sketch) => {
    sketch.randomSeed(post.seed);
    sketch.noiseSeed(post.seed);
  };

  if (typeof P5.registerAddon === "function") {
    // 2.x: lifecycle hooks.
    P5.registerAddon((p5, fn, lifecycles) => {
      lifecycles.presetup = function () {
        seed(this);
      };
      lifecycles.postsetup = afterSetup;
      lifecycles.postdraw = function () {
        afterDraw(this);
      };
    });
  } else {
    // 1.x: registered methods.
    P5.prototype.registerMethod("init", function () {
      seed(this);
    });
    P5.prototype.registerMethod("afterSetup", afterSetup);
    P5.prototype.registerMethod("post", function () {
      afterDraw(this);
    });
  }
  prepare(P5);
  // Counts the sketches the code makes (new p5(sketch)); p5's own code keeps the class it closes over.
  window.p5 = new Proxy(P5, {
    construct(target, args, newTarget) {
      const sketch = Reflect.construct(target, args, newTarget === window.p5 ? target : newTarget);
      sketches.push(sketch);
      return sketch;
    },
  });

  const callLate = callLateLoadListeners();
  if (!runCode({})) return;
  callLate();
  // Global mode, started as p5 starts it on a page's load: a setup() or draw() and no sketch yet.
  if (!sketches.length && (typeof window.setup === "function" || typeof window.draw === "function")) {
    guarded(() => new window.p5());
  }
  if (!sketches.length) {
    return fail("exception", "No p5.js sketch: define setup() and draw(), or start one with new p5(sketch).");
  }
  // A capture's timers run only as advance() moves the virtual clock, so an async setup() (2.x)
  // that awaits one would wait forever for a capture that waits for it: ready as soon as it does.
  if (capture) {
    const waitingForTime = () => {
      if (shown || status === "error") return;
      if (timersPending()) afterSetup();
      else realSetTimeout(waitingForTime, 10);
    };
    realSetTimeout(waitingForTime, 0);
  }
}

// Before the sketch runs: loaders refuse what is not in the post, saves download nothing, the
// camera is refused, p5.sound is silent, and a capture has one pixel per CSS pixel.
function prepare(P5) {
  const proto = P5.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const value = Object.getOwnPropertyDescriptor(proto, name).value;
    if (typeof value !== "function") continue;
    if (LOADERS.test(name)) proto[name] = refuseRemote(name, value, name === "loadShader" ? 2 : 1);
    else if (SAVES.test(name)) proto[name] = saveNothing;
  }
  for (const type of [P5.Image, P5.Graphics, P5.Framebuffer, P5.Table]) {
    if (type && typeof type.prototype.save === "function") type.prototype.save = saveNothing;
  }
  // createCanvas(…).parent("sketch-holder"): the holder was on the sketch's own page; without it, the
  // canvas stays in the body. (The harness's made-up elements, runners/page.js, would answer p5's
  // own lookups of the ids it is about to give.)
  const parent = P5.Element.prototype.parent;
  P5.Element.prototype.parent = function (holder, ...rest) {
    const id = typeof holder === "string" ? holder.replace(/^#/, "") : null;
    if (id !== null && !document.getElementById(id)) return this;
    return parent.call(this, holder, ...rest);
  };
  proto.createCapture = function createCapture() {
    throw new Error("createCapture() was refused: a post has no camera or microphone.");
  };
  if (capture) {
    const pixelDensity = proto.pixelDensity;
    proto.pixelDensity = function (value) {
      return value === undefined ? pixelDensity.call(this) : pixelDensity.call(this, 1);
    };
  }
  installSilentSound(P5);
  answerDataUrls();
}

// p5's loaders fetch() their URL, even a data: URL, which the sandbox's connect-src 'none' refuses
// like any other: a data: URL is answered here, from the URL itself, so what the post carries loads.
function answerDataUrls() {
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input && input.url;
    if (typeof url !== "string" || !/^data:/i.test(url)) return fetch.call(this, input, init);
    const comma = url.indexOf(",");
    const meta = url.slice(5, comma);
    const body = url.slice(comma + 1);
    const base64 = /;base64$/i.test(meta);
    try {
      const bytes = base64
        ? Uint8Array.from(atob(body), (c) => c.charCodeAt(0))
        : new TextEncoder().encode(decodeURIComponent(body));
      const type = meta.replace(/;base64$/i, "") || "text/plain;charset=US-ASCII";
      return Promise.resolve(new Response(bytes, { headers: { "content-type": type } }));
    } catch (error) {
      return Promise.reject(new TypeError(`Not a data: URL that can be read: ${error.message}`));
    }
  };
}

// Only what the post carries itself (a data: URL) loads; anything else (another host, a
// file of the p5 editor's project) is refused at once, with the line that asked, rather than left
// to the sandbox, where p5 1.x's preload() would wait for it forever.
function refuseRemote(name, load, paths) {
  return {
    [name](...args) {
      for (const path of args.slice(0, paths)) {
        if (typeof path === "string" && !/^\s*data:/i.test(path)) {
          const shown = path.length > 80 ? `${path.slice(0, 77)}...` : path;
          throw new Error(
            `${name}("${shown}") was refused: a post cannot load files or anything from the network. ` +
              "Draw it in the code, or give it as a data: URL.",
          );
        }
      }
      return load.apply(this, args);
    },
  }[name];
}

function saveNothing() {
  return Promise.resolve(); // nothing is downloaded (2.x's saveGif returns a promise)
}

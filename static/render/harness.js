// The render harness: runs one post's code full-viewport and reports its state to whoever loaded
// it (window.__render for the capture worker, postMessage for the embedding page). In capture
// mode it drives time itself, in fixed 1000/60 ms steps, so the same post always gives the same
// frame. The per-model scripts (svg.js, canvas.js, three.js, shader.js) use window.__renderHarness.
(function () {
  "use strict";

  const post = Object.freeze(JSON.parse(document.getElementById("post-data").textContent));
  const capture = post.mode === "capture";
  const nonce = document.currentScript.nonce;
  const framed = window.parent !== window;
  const FRAME_MS = 1000 / 60;
  // What `new Date()` says at virtual time 0 in capture mode: fixed, so captures repeat.
  const EPOCH_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

  // The browser's own functions, kept before the virtual clock or posted code replaces them.
  const Promise = window.Promise;
  const realFrame = window.requestAnimationFrame.bind(window);
  const realSetTimeout = window.setTimeout.bind(window);
  const realNow = performance.now.bind(performance);
  const RealDate = Date;

  let status = "loading";
  let error = null;
  let preview = null;
  let settledWaiters = [];

  function state() {
    return { status, error: error && { ...error }, preview: preview && { ...preview }, time: now() };
  }

  function report() {
    // Nothing secret is in the message, and our origin is opaque, so any target origin will do.
    if (framed) window.parent.postMessage({ type: "imagesite:render", status, error, preview }, "*");
  }

  function settle() {
    if (status !== "loading") return Promise.resolve(state());
    return new Promise((resolve) => settledWaiters.push(resolve));
  }

  function leaveLoading() {
    const waiters = settledWaiters;
    settledWaiters = [];
    waiters.forEach((resolve) => resolve(state()));
  }

  function setReady() {
    if (status !== "loading") return;
    status = "ready";
    leaveLoading();
    report();
  }

  function fail(kind, message) {
    if (status === "error") return; // the first error explains the ones that follow
    status = "error";
    error = { kind, message: String(message).slice(0, 4000) };
    leaveLoading();
    report();
  }

  // The posted code runs as an inline script named by a sourceURL comment, so the browser reports
  // its errors against this name, counting lines from the first line of the post's code.
  const CODE_NAME = "post-code.js";

  function lineOf(value) {
    const stack = value && typeof value.stack === "string" ? value.stack : "";
    const marker = CODE_NAME + ":";
    for (const frame of stack.split("\n")) {
      const at = frame.lastIndexOf(marker);
      const line = at >= 0 && /^\d+/.exec(frame.slice(at + marker.length));
      if (line) return Number(line[0]);
    }
    return 0;
  }

  function describe(value, line) {
    const text = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
    line = line || lineOf(value);
    return line ? `${text} (line ${line})` : text;
  }

  function uncaught(value) {
    console.error(value); // keep it visible in the developer tools
    fail("exception", describe(value));
  }

  window.addEventListener(
    "error",
    (event) => {
      if (event instanceof ErrorEvent) {
        const line = event.filename.endsWith(CODE_NAME) ? event.lineno : 0;
        fail("exception", event.error !== undefined && event.error !== null ? describe(event.error, line) : event.message);
      } else if (event.target instanceof HTMLScriptElement && event.target.hasAttribute("data-harness")) {
        fail("exception", `The harness could not load ${event.target.src}.`);
      }
    },
    true, // capture: a script element's load error does not bubble
  );
  window.addEventListener("unhandledrejection", (event) => fail("exception", `Unhandled rejection: ${describe(event.reason)}`));

  // Math.random, seeded from the post in both modes (mulberry32: tiny and good enough for art).
  let seed = post.seed >>> 0;
  Math.random = function random() {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  // Time. Live: real, minus the time spent paused. Capture: virtual, moved only by advance().
  let virtualNow = 0;
  const startedAt = realNow();
  let paused = false;
  let pausedAt = 0;
  let pausedFor = 0;

  function now() {
    if (capture) return virtualNow;
    return (paused ? pausedAt : realNow()) - startedAt - pausedFor;
  }

  // requestAnimationFrame goes through our own queue in both modes: a live frame can then be held
  // while paused, and a capture frame runs only when advance() steps the virtual clock.
  let frameCallbacks = [];
  let nextFrameId = 1;
  const frameHooks = []; // the model's own drawing (shaders), after the post's callbacks
  let pumpScheduled = false;
  let readyAfterFrame = false;

  window.requestAnimationFrame = function requestAnimationFrame(callback) {
    const id = nextFrameId++;
    frameCallbacks.push({ id, callback });
    schedulePump();
    return id;
  };
  window.cancelAnimationFrame = function cancelAnimationFrame(id) {
    frameCallbacks = frameCallbacks.filter((entry) => entry.id !== id);
  };

  function guarded(fn) {
    try {
      fn();
    } catch (exception) {
      uncaught(exception);
    }
  }

  function runFrame(time) {
    const due = frameCallbacks; // callbacks asked for during this frame run in the next one
    frameCallbacks = [];
    due.forEach((entry) => guarded(() => entry.callback(time)));
  }

  function schedulePump() {
    if (!capture && !paused && !pumpScheduled) {
      pumpScheduled = true;
      realFrame(pump);
    }
  }

  function pump(time) {
    pumpScheduled = false;
    if (paused) return;
    runFrame(time);
    frameHooks.forEach((hook) => guarded(() => hook(now())));
    if (readyAfterFrame) {
      readyAfterFrame = false;
      setReady();
    }
    if (frameCallbacks.length || frameHooks.length) schedulePump();
  }

  function pause() {
    if (paused) return;
    paused = true;
    pausedAt = realNow();
    if (readyAfterFrame) {
      readyAfterFrame = false;
      setReady();
    }
  }

  function play() {
    if (!paused) return;
    pausedFor += realNow() - pausedAt;
    paused = false;
    schedulePump();
  }

  window.addEventListener("message", (event) => {
    const data = event.data;
    if (capture || !framed || event.source !== window.parent) return;
    if (!data || data.type !== "imagesite:control") return;
    if (data.action === "pause") pause();
    else if (data.action === "play") play();
    // A page whose script starts after this frame reported (its module loaded late) asks again.
    else if (data.action === "report") report();
  });

  // The virtual clock of capture mode: timers, Date and performance.now read virtualNow.
  const timers = new Map();
  let nextTimerId = 1;
  let timerOrder = 0;

  function addTimer(callback, delay, args, repeat) {
    if (typeof callback !== "function") return 0; // string timers would need eval, which the CSP forbids
    // At least 1 ms, like browsers clamp nested timers: a 0 ms loop still moves time forward.
    const wait = Math.max(1, Number(delay) || 0);
    const id = nextTimerId++;
    timers.set(id, { id, due: virtualNow + wait, order: timerOrder++, every: repeat ? wait : 0, callback, args });
    return id;
  }

  function nextTimerDue(until) {
    let next = null;
    for (const timer of timers.values()) {
      if (timer.due <= until && (!next || timer.due < next.due || (timer.due === next.due && timer.order < next.order))) {
        next = timer;
      }
    }
    return next;
  }

  function VirtualDate(...args) {
    if (!new.target) return new RealDate(EPOCH_MS + virtualNow).toString();
    return Reflect.construct(RealDate, args.length ? args : [EPOCH_MS + virtualNow], new.target);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = () => EPOCH_MS + Math.floor(virtualNow);
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;

  if (capture) {
    window.setTimeout = (callback, delay, ...args) => addTimer(callback, delay, args, false);
    window.setInterval = (callback, delay, ...args) => addTimer(callback, delay, args, true);
    window.clearTimeout = window.clearInterval = (id) => void timers.delete(id);
    // Real idle time would make captures differ: idle callbacks become virtual timers too.
    const deadline = { didTimeout: false, timeRemaining: () => 10 };
    window.requestIdleCallback = (callback) => addTimer(callback, 1, [deadline], false);
    window.cancelIdleCallback = window.clearTimeout;
    performance.now = () => virtualNow;
    window.Date = VirtualDate;
  }

  // A macrotask without setTimeout (virtual in capture mode): lets the promises and events the
  // post queued run between virtual frames, as they would between real ones.
  const channel = new MessageChannel();
  const tickWaiters = [];
  channel.port1.onmessage = () => tickWaiters.shift()();
  function tick() {
    return new Promise((resolve) => {
      tickWaiters.push(resolve);
      channel.port2.postMessage(null);
    });
  }

  // Resolves once the browser has rendered a frame (or 100 ms later, in a page that is not drawn).
  function rendered() {
    return new Promise((resolve) => {
      realFrame(() => resolve());
      realSetTimeout(resolve, 100);
    });
  }

  function stopped() {
    return status === "error" || preview !== null;
  }

  // WebGL frames the capture will not show. Software GL makes every drawn frame expensive (most
  // of a three.js capture), and a canvas made with preserveDrawingBuffer false (the default)
  // shows only what its latest frame drew, so in capture mode draws to such a canvas are
  // skipped in the animation frames before the captured one. Draws that compute rather than
  // paint still run: into framebuffers (render targets, feedback), transform feedback, occlusion
  // queries, and anything on an OffscreenCanvas (it keeps its pixels). A skipped frame can still
  // matter: it may be the last one that painted the canvas, be read back (readPixels, drawImage,
  // toDataURL...), or hold capturePreview(). Then advance()'s `redraw` says from which virtual
  // time to capture again drawing every frame (drawFrom); the same code and seed replay them.
  let skipping = false; // inside a frame before drawFrom and before the captured one
  let redraw = null;
  const skippedAt = new Map(); // canvas -> virtual time of its latest skipped draw, until painted again
  const preserving = new WeakMap(); // context -> preserveDrawingBuffer
  const streamed = new WeakSet(); // canvases whose every frame is seen (captureStream)

  function defaultFramebuffer(gl, read) {
    const binding = read && gl instanceof WebGL2RenderingContext ? gl.READ_FRAMEBUFFER_BINDING : gl.FRAMEBUFFER_BINDING;
    return gl.getParameter(binding) === null;
  }

  function paintsCanvas(gl) {
    if (!defaultFramebuffer(gl, false)) return false;
    return !(gl instanceof WebGL2RenderingContext && (gl.isEnabled(gl.RASTERIZER_DISCARD) || gl.getParameter(gl.TRANSFORM_FEEDBACK_ACTIVE)));
  }

  function counting(gl) {
    if (!(gl instanceof WebGL2RenderingContext)) return false;
    return [gl.ANY_SAMPLES_PASSED, gl.ANY_SAMPLES_PASSED_CONSERVATIVE].some((target) => gl.getQuery(target, gl.CURRENT_QUERY));
  }

  // Whether painting gl's canvas may be skipped (given that the draw paints it).
  function skippable(gl) {
    const canvas = gl.canvas;
    if (!(canvas instanceof HTMLCanvasElement) || streamed.has(canvas)) return false;
    if (!preserving.has(gl)) preserving.set(gl, !!(gl.getContextAttributes() || {}).preserveDrawingBuffer);
    return !preserving.get(gl) && !counting(gl);
  }

  // Whether a draw call on gl runs now; a skipped one is remembered for its canvas.
  function drawing(gl) {
    if (!paintsCanvas(gl)) return true;
    if (skipping && skippable(gl)) {
      skippedAt.set(gl.canvas, virtualNow);
      return false;
    }
    skippedAt.delete(gl.canvas);
    return true;
  }

  // A read of gl's canvas (the default read framebuffer) sees any frame skipped since it was last painted.
  function readingCanvas(gl) {
    if (skippedAt.has(gl.canvas) && defaultFramebuffer(gl, true)) redrawFrom(gl.canvas);
  }

  function redrawFrom(canvas) {
    if (skippedAt.has(canvas)) redraw = Math.min(redraw ?? Infinity, skippedAt.get(canvas));
  }

  function wrap(target, names, wrapper) {
    for (const name of names) {
      const original = target && target[name];
      if (typeof original === "function") target[name] = wrapper(original);
    }
  }

  const DRAWS = [
    ...["clear", "clearBufferfv", "clearBufferiv", "clearBufferuiv", "clearBufferfi"],
    ...["drawArrays", "drawElements", "drawArraysInstanced", "drawElementsInstanced", "drawRangeElements"],
  ];
  const EXTENSION_DRAWS = {
    angle_instanced_arrays: ["drawArraysInstancedANGLE", "drawElementsInstancedANGLE"],
    webgl_multi_draw: ["multiDrawArraysWEBGL", "multiDrawElementsWEBGL", "multiDrawArraysInstancedWEBGL", "multiDrawElementsInstancedWEBGL"],
  };

  if (capture) {
    const canvasSource = (args) => args.find((arg) => skippedAt.has(arg));
    const wrappedExtensions = new WeakSet();
    for (const gl of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
      const proto = gl && gl.prototype;
      wrap(proto, DRAWS, (draw) =>
        function (...args) {
          return drawing(this) ? draw.apply(this, args) : undefined;
        },
      );
      wrap(proto, ["getExtension"], (getExtension) =>
        function (name) {
          const extension = getExtension.call(this, name);
          const draws = EXTENSION_DRAWS[String(name).toLowerCase()];
          if (extension && draws && !wrappedExtensions.has(extension)) {
            wrappedExtensions.add(extension);
            const context = this;
            wrap(extension, draws, (draw) =>
              function (...args) {
                return drawing(context) ? draw.apply(this, args) : undefined;
              },
            );
          }
          return extension;
        },
      );
      wrap(proto, ["readPixels", "copyTexImage2D", "copyTexSubImage2D", "copyTexSubImage3D"], (read) =>
        function (...args) {
          readingCanvas(this);
          return read.apply(this, args);
        },
      );
      wrap(proto, ["blitFramebuffer"], (blit) =>
        function (...args) {
          readingCanvas(this);
          return drawing(this) ? blit.apply(this, args) : undefined;
        },
      );
      wrap(proto, ["texImage2D", "texSubImage2D", "texImage3D", "texSubImage3D"], (upload) =>
        function (...args) {
          redrawFrom(canvasSource(args));
          return upload.apply(this, args);
        },
      );
    }
    wrap(window.CanvasRenderingContext2D && CanvasRenderingContext2D.prototype, ["drawImage", "createPattern"], (use) =>
      function (...args) {
        redrawFrom(args[0]);
        return use.apply(this, args);
      },
    );
    wrap(HTMLCanvasElement.prototype, ["toDataURL", "toBlob"], (read) =>
      function (...args) {
        redrawFrom(this);
        return read.apply(this, args);
      },
    );
    wrap(HTMLCanvasElement.prototype, ["captureStream"], (stream) =>
      function (...args) {
        redrawFrom(this);
        streamed.add(this);
        return stream.apply(this, args);
      },
    );
    const createImageBitmap = window.createImageBitmap;
    window.createImageBitmap = function (source, ...rest) {
      redrawFrom(source);
      return createImageBitmap.call(window, source, ...rest);
    };
  }

  async function step(ms, drawFrom) {
    const target = virtualNow + ms;
    while (virtualNow < target && !stopped()) {
      // Frames fall on multiples of 1000/60 ms; the last one lands exactly on the target.
      const nextFrame = (Math.floor(virtualNow / FRAME_MS + 1e-9) + 1) * FRAME_MS;
      const frameAt = nextFrame > target - 1e-6 ? target : nextFrame;
      let timer;
      while (!stopped() && (timer = nextTimerDue(frameAt))) {
        virtualNow = Math.max(virtualNow, timer.due);
        if (timer.every) timer.due += timer.every;
        else timers.delete(timer.id);
        guarded(() => timer.callback(...timer.args));
        await tick();
      }
      if (stopped()) break;
      virtualNow = frameAt;
      if (frameCallbacks.length) {
        skipping = frameAt < target - 1e-6 && frameAt < drawFrom - 1e-6;
        runFrame(virtualNow);
        skipping = false;
        await tick();
      }
    }
    if (status === "error") return;
    frameHooks.forEach((hook) => guarded(() => hook(virtualNow)));
    // A canvas still showing a skipped frame would capture without it.
    for (const canvas of skippedAt.keys()) redrawFrom(canvas);
  }

  let advancing = Promise.resolve();

  // Move virtual time forward by ms (capture mode), stopping early at capturePreview() or an
  // error; resolves with the state once the frame at the reached time has been drawn. WebGL
  // frames before the reached time are drawn only from options.drawFrom on (see above).
  function advance(ms, options) {
    const drawFrom = Number((options || {}).drawFrom ?? Infinity);
    const run = advancing
      .then(settle)
      .then(async () => {
        redraw = null; // each call reports on its own frames
        if (capture && !stopped()) await step(Math.max(0, Number(ms) || 0), Number.isNaN(drawFrom) ? Infinity : drawFrom);
        await rendered();
        return { ...state(), redraw };
      });
    advancing = run.catch(() => {});
    return run;
  }

  window.capturePreview = function capturePreview() {
    if (preview) return;
    preview = { time: now() };
    report();
  };

  Object.defineProperty(window, "__render", {
    value: Object.freeze({
      mode: capture ? "capture" : "live",
      get status() {
        return status;
      },
      get error() {
        return error && { ...error };
      },
      get preview() {
        return preview && { ...preview };
      },
      get time() {
        return now();
      },
      advance,
      settle,
    }),
  });

  // For the model scripts.

  // The model's first frame is drawn: ready now in capture mode (the worker steps frames itself),
  // after the next real frame in live mode, so the embedding page hears "ready" once something shows.
  function ready() {
    if (capture || paused) return setReady();
    readyAfterFrame = true;
    schedulePump();
  }

  function onFrame(hook) {
    frameHooks.push(hook);
    schedulePump();
  }

  // Run the post's code as a classic script, so its top-level declarations are globals as people
  // expect; the nonce lets it past the CSP. Returns whether its synchronous part ran without error.
  function runCode(globals) {
    for (const [name, value] of Object.entries(globals)) {
      // Configurable, so the code may still declare its own `const canvas = ...`.
      Object.defineProperty(window, name, { value, writable: true, configurable: true, enumerable: true });
    }
    const script = document.createElement("script");
    script.nonce = nonce;
    script.textContent = `${post.code}\n//# sourceURL=${CODE_NAME}`;
    document.body.appendChild(script); // runs now; its errors reach the "error" listener above
    return status !== "error";
  }

  // A frame can start before its page's stylesheet has given it a size (it then has the default
  // 300x150, or none), and a sketch reads its size once: in a viewer's page, wait for the real
  // size, for two seconds at most.
  function whenSized(run) {
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

  // canvas and three: a full-viewport <canvas id="canvas"> and the globals canvas, ctx, width, height.
  function runSketch(globals) {
    whenSized(() => startSketch(globals));
  }

  function startSketch(globals) {
    const canvas = document.createElement("canvas");
    canvas.id = "canvas";
    canvas.width = window.innerWidth;
    canvas.height = window.innerHeight;
    document.body.appendChild(canvas);
    let used = false;
    const getContext = canvas.getContext;
    canvas.getContext = function (...args) {
      used = true;
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
    if (!runCode({ canvas, width: canvas.width, height: canvas.height, ...globals })) return;
    // A three.js scene that appended its own renderer.domElement: our empty canvas would push it
    // out of the viewport.
    const others = [...document.body.children].filter((el) => el !== canvas && !["SCRIPT", "STYLE"].includes(el.tagName));
    if (!used && others.length) canvas.hidden = true;
    ready();
  }

  Object.defineProperty(window, "__renderHarness", {
    value: Object.freeze({ post, capture, now, ready, fail, uncaught, onFrame, runCode, runSketch, FRAME_MS }),
    configurable: true,
  });
})();

import { virtualNow } from "./clock.js";

// The switch for this whole layer: false draws every WebGL frame in capture mode too.
export const SKIP_UNSEEN_WEBGL_DRAWS = true;

// WebGL frames the capture will not show. Software GL makes every drawn frame expensive (most
// of a three.js capture), and a canvas made with preserveDrawingBuffer false (the default)
// shows only what its latest frame drew, so in capture mode draws to such a canvas are
// skipped in the animation frames before the captured one. Draws that compute rather than
// paint still run: into framebuffers (render targets, feedback), transform feedback, occlusion
// queries, and anything on an OffscreenCanvas (it keeps its pixels). A skipped frame can still
// matter: it may be the last one that painted the canvas, be read back (readPixels, drawImage,
// toDataURL...), or hold capturePreview(). Then `redraw` says from which virtual time to
// capture again drawing every frame (advance's drawFrom); the same code and seed replay them.
let skipping = false; // inside a frame before drawFrom and before the captured one
export let redraw = null;
const skippedAt = new Map(); // canvas -> virtual time of its latest skipped draw, until painted again
const preserving = new WeakMap(); // context -> preserveDrawingBuffer
const streamed = new WeakSet(); // canvases whose every frame is seen (captureStream)

// Run one animation frame, skipping its draws to unpreserved canvases when `skip` is true.
export function skipDrawsDuring(skip, run) {
  skipping = skip;
  run();
  skipping = false;
}

export function forgetRedraw() {
  redraw = null;
}

// At the captured frame: a canvas still showing a skipped frame would capture without it.
export function redrawStillSkipped() {
  for (const canvas of skippedAt.keys()) redrawFrom(canvas);
}

function redrawFrom(canvas) {
  if (skippedAt.has(canvas)) redraw = Math.min(redraw ?? Infinity, skippedAt.get(canvas));
}

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

// Capture mode: wrap every WebGL draw, and every way of reading a canvas back.
export function skipUnseenDraws() {
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

import { Promise, realFrame, realSetTimeout } from "./natives.js";
import { capture } from "./post.js";
import { FRAME_MS, moveTo, takeDueTimer, virtualNow } from "./clock.js";
import { guarded } from "./errors.js";
import { framesQueued, runFrame, runFrameHooks } from "./frames.js";
import { preview, settle, state, status } from "./report.js";
import { forgetRedraw, redraw, redrawStillSkipped, skipDrawsDuring } from "./skip-draws.js";

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

// Whether the post keeps itself moving: callbacks in two or more frames, two or more timers, CSS
// animations, or a model's own drawing that changes by itself (keepsMoving). A sketch drawn once (a noLoop() p5 sketch, a static canvas) has none of them,
// so the worker records it as still without capturing its animation.
let framesWithCallbacks = 0;
let timersRun = 0;
let drawsMoving = false;

// A model that draws every frame itself (a shader reading its time) moves without any callback.
export function keepsMoving() {
  drawsMoving = true;
}

function moving() {
  return drawsMoving || framesWithCallbacks > 1 || timersRun > 1 || document.getAnimations().length > 0;
}

async function step(ms, drawFrom) {
  const target = virtualNow + ms;
  let hooksRan = false;
  while (virtualNow < target && !stopped()) {
    // Frames fall on multiples of 1000/60 ms; the last one lands exactly on the target.
    const nextFrame = (Math.floor(virtualNow / FRAME_MS + 1e-9) + 1) * FRAME_MS;
    const frameAt = nextFrame > target - 1e-6 ? target : nextFrame;
    let timer;
    while (!stopped() && (timer = takeDueTimer(frameAt))) {
      timersRun += 1;
      guarded(() => timer.callback(...timer.args));
      await tick();
    }
    if (stopped()) break;
    moveTo(frameAt);
    if (framesQueued()) {
      framesWithCallbacks += 1;
      const skip = frameAt < target - 1e-6 && frameAt < drawFrom - 1e-6;
      skipDrawsDuring(skip, () => runFrame(virtualNow));
      // The captured frame: the model's own work in the same task, as in a live frame (a WebGL
      // canvas that does not preserve its drawing reads back empty in the next task).
      if (status !== "error" && (frameAt >= target - 1e-6 || preview !== null)) {
        runFrameHooks(virtualNow);
        hooksRan = true;
      }
      await tick();
    }
  }
  if (status === "error") return;
  if (!hooksRan) runFrameHooks(virtualNow);
  redrawStillSkipped();
}

let advancing = Promise.resolve();

// The capture side of the harness's protocol with the worker (capture/browser.py):
// __render.advance(ms, {drawFrom}) moves virtual time forward by ms, running due timers and
// animation frames in order, and stops early at capturePreview() or an error. It resolves, once
// the browser has drawn the frame at the reached time, with {status, error, preview, time,
// redraw, moving}. WebGL frames before the reached one are drawn only from drawFrom ms on (default:
// none; see skip-draws.js); redraw is null, or the virtual time of the earliest skipped frame
// that turned out to matter, from which the worker captures again in a fresh page with
// {drawFrom: redraw}. Each call reports on its own frames; calls queue up behind settle().
// In live mode it only waits for the next frame.
export function advance(ms, options) {
  const drawFrom = Number((options || {}).drawFrom ?? Infinity);
  const run = advancing
    .then(settle)
    .then(async () => {
      forgetRedraw();
      if (capture && !stopped()) await step(Math.max(0, Number(ms) || 0), Number.isNaN(drawFrom) ? Infinity : drawFrom);
      await rendered();
      return { ...state(), redraw, moving: moving() };
    });
  advancing = run.catch(() => {});
  return run;
}

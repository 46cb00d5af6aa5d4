import { realFrame } from "./natives.js";
import { capture, framed } from "./post.js";
import { now, paused, pauseTime, resumeTime } from "./clock.js";
import { guarded } from "./errors.js";
import { report, setReady } from "./report.js";

// requestAnimationFrame goes through our own queue in both modes: a live frame can then be held
// while paused, and a capture frame runs only when advance() steps the virtual clock.
let frameCallbacks = [];
let nextFrameId = 1;
const frameHooks = []; // the model's own drawing (shaders), after the post's callbacks
let pumpScheduled = false;
let readyAfterFrame = false;

export function queueFrames() {
  window.requestAnimationFrame = function requestAnimationFrame(callback) {
    const id = nextFrameId++;
    frameCallbacks.push({ id, callback });
    schedulePump();
    return id;
  };
  window.cancelAnimationFrame = function cancelAnimationFrame(id) {
    frameCallbacks = frameCallbacks.filter((entry) => entry.id !== id);
  };
}

export function framesQueued() {
  return frameCallbacks.length > 0;
}

export function runFrame(time) {
  const due = frameCallbacks; // callbacks asked for during this frame run in the next one
  frameCallbacks = [];
  due.forEach((entry) => guarded(() => entry.callback(time)));
}

export function runFrameHooks(time) {
  frameHooks.forEach((hook) => guarded(() => hook(time)));
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
  runFrameHooks(now());
  if (readyAfterFrame) {
    readyAfterFrame = false;
    setReady();
  }
  if (frameCallbacks.length || frameHooks.length) schedulePump();
}

function pause() {
  if (paused) return;
  pauseTime();
  if (readyAfterFrame) {
    readyAfterFrame = false;
    setReady();
  }
}

function play() {
  if (!paused) return;
  resumeTime();
  schedulePump();
}

// Live mode in a frame: the embedding page pauses a card that is off-screen, and asks again for
// the state when its script started after this frame reported (its module loaded late).
export function obeyControlMessages() {
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (capture || !framed || event.source !== window.parent) return;
    if (!data || data.type !== "imagesite:control") return;
    if (data.action === "pause") pause();
    else if (data.action === "play") play();
    else if (data.action === "report") report();
  });
}

// The model's first frame is drawn: ready now in capture mode (the worker steps frames itself),
// after the next real frame in live mode, so the embedding page hears "ready" once something shows.
export function ready() {
  if (capture || paused) return setReady();
  readyAfterFrame = true;
  schedulePump();
}

// The model's own drawing (a shader's frame), run after the post's callbacks in every frame.
export function onFrame(hook) {
  frameHooks.push(hook);
  schedulePump();
}

import { RealDate, realNow } from "./natives.js";
import { capture } from "./post.js";

export const FRAME_MS = 1000 / 60;
// What `new Date()` says at virtual time 0 in capture mode: fixed, so captures repeat.
const EPOCH_MS = Date.UTC(2025, 0, 1, 12, 0, 0);

// Time. Live: real, minus the time spent paused. Capture: virtual, moved only by advance.js.
export let virtualNow = 0;
const startedAt = realNow();
export let paused = false;
let pausedAt = 0;
let pausedFor = 0;

export function now() {
  if (capture) return virtualNow;
  return (paused ? pausedAt : realNow()) - startedAt - pausedFor;
}

export function moveTo(ms) {
  virtualNow = ms;
}

export function pauseTime() {
  paused = true;
  pausedAt = realNow();
}

export function resumeTime() {
  pausedFor += realNow() - pausedAt;
  paused = false;
}

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

export function timersPending() {
  return timers.size > 0;
}

// The first timer due by `until` (ties in the order they were set), with the clock moved to it;
// it is rescheduled if it repeats, else removed.
export function takeDueTimer(until) {
  let next = null;
  for (const timer of timers.values()) {
    if (timer.due <= until && (!next || timer.due < next.due || (timer.due === next.due && timer.order < next.order))) {
      next = timer;
    }
  }
  if (!next) return null;
  virtualNow = Math.max(virtualNow, next.due);
  if (next.every) next.due += next.every;
  else timers.delete(next.id);
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

// Capture mode: timers, idle callbacks, Date and performance.now read the virtual clock.
export function useVirtualClock() {
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

import { Promise } from "./natives.js";
import { framed } from "./post.js";
import { now } from "./clock.js";

// The harness's state: "loading", then "ready" or "error" (at any time; the first error wins).
export let status = "loading";
export let error = null;
export let preview = null;
let settledWaiters = [];

export function state() {
  return { status, error: error && { ...error }, preview: preview && { ...preview }, time: now() };
}

export function report() {
  // Nothing secret is in the message, and our origin is opaque, so any target origin will do.
  if (framed) window.parent.postMessage({ type: "imagesite:render", status, error, preview }, "*");
}

export function settle() {
  if (status !== "loading") return Promise.resolve(state());
  return new Promise((resolve) => settledWaiters.push(resolve));
}

function leaveLoading() {
  const waiters = settledWaiters;
  settledWaiters = [];
  waiters.forEach((resolve) => resolve(state()));
}

export function setReady() {
  if (status !== "loading") return;
  status = "ready";
  leaveLoading();
  report();
}

export function fail(kind, message) {
  if (status === "error") return; // the first error explains the ones that follow
  status = "error";
  error = { kind, message: String(message).slice(0, 4000) };
  leaveLoading();
  report();
}

export function capturePreview() {
  if (preview) return;
  preview = { time: now() };
  report();
}

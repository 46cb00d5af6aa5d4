import { MessageChannel, RealError, realNow } from "./natives.js";
import { guardLoops } from "./instrument.js";
import { fail } from "./report.js";

// A loop of the post's code that runs longer than this, in real time, without the page getting to
// draw is taken for an infinite loop: it throws, and the harness reports "infinite loop at line N".
// Frames of one site share a renderer process, so such a loop freezes every live frame of the feed
// until it stops. Long enough for a heavy but finite first frame (the budget is per loop, so many
// loops in one frame each get their own); short enough that a feed recovers within seconds.
export const LOOP_BUDGET_MS = 2000;
// How often a running loop reads the clock: rarely enough that the guard costs a loop little (a
// read costs 50-200 ns here), often enough to stop it close to its budget. A loop first reads it
// after a few checks, so that a short loop entered many times (octaves per pixel) never does.
const FIRST_READ_AFTER = 16;
const READ_EVERY_MS = 4;
const MAX_STRIDE = 4096;

let stopped = null; // the error that stopped a loop: every later loop throws it again at once
let turn = 0; // counts the page's trips through its event loop, when the page can draw
let turnPending = false;
const channel = new MessageChannel();
channel.port1.onmessage = () => {
  turn += 1;
  turnPending = false;
};

// The state of one run of one loop: `enter` where the loop starts; each iteration counts `left`
// down, and `check` runs when it reaches zero.
function enter() {
  if (stopped !== null) throw stopped; // the post caught the error: stop it again
  return { left: FIRST_READ_AFTER, stride: FIRST_READ_AFTER, turn: -1, start: 0, readAt: 0 };
}

function check(loop, line) {
  if (stopped !== null) throw stopped;
  const now = realNow();
  if (!turnPending) {
    turnPending = true;
    channel.port2.postMessage(null);
  }
  if (loop.turn !== turn) {
    // The first read, or the loop resumed after the page drew (a loop in an async function that awaited).
    loop.turn = turn;
    loop.start = now;
  } else if (now - loop.start > LOOP_BUDGET_MS) {
    stop(line);
  }
  // Quick iterations (or the first read): read half as often; slow ones: at every check.
  const slow = loop.readAt > 0 && now - loop.readAt >= READ_EVERY_MS;
  loop.stride = slow ? 1 : Math.min(loop.stride * 2, MAX_STRIDE);
  loop.readAt = now;
  loop.left = loop.stride;
}

function stop(line) {
  const message = `infinite loop at line ${line}: it ran for more than ${LOOP_BUDGET_MS / 1000} s without letting the page draw`;
  stopped = new RealError(message);
  stopped.name = "InfiniteLoop";
  fail("exception", message); // now: the post may catch what is thrown
  throw stopped;
}

// The post's code with its loops guarded, under a global name the code itself does not use (so it
// cannot shadow it by accident), fixed on the window so the code cannot replace it; or the code as
// it is when it does not parse.
export function withLoopGuard(code) {
  let name = "__imagesiteLoop";
  while (code.includes(name)) name += "_";
  const guarded = guardLoops(code, name);
  if (guarded === null) return code;
  Object.defineProperty(window, name, { value: Object.freeze({ enter, check }) });
  return guarded;
}

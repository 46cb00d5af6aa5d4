// The watchdog over live render frames, for every page that runs posts live (feed, post page,
// upload preview, the render opened on its own).
//
// A frame must keep answering: every second the page asks it for its state, and the harness
// answers unless its renderer is stuck. The harness's loop guard stops the post's own loops within
// seconds; the watchdog is for the rest (a flood of promise callbacks, a script the post inserted
// itself). Sandboxed frames of one site share one renderer process, so a stuck frame silences the
// others too, and only removing every frame of that process frees it (measured: a removed frame's
// loop keeps its process busy while any other frame lives in it). So the watchdog reports all the
// frames that have been silent for a while together, and the page decides what to remove.
//
// A frame must also show only its own document: a second document means the post navigated its
// frame (the harness's Connection-Allowlist leaves an error page in place of anything outside our
// origin), so the page removes it.
import { control, renderMessage } from './render-messages.js';

const PING_MS = 1000;
const SILENT_MS = 3000; // a frame that runs answers within a ping or two: silent this long, it is stuck
const HANG_MS = 10000; // silent this long: given up on (and SILENT_MS must stay well under it)

// onState(frame, state): a frame reported a new state; onHung(frames): some frame has been silent
// for hangMs, and these are all the frames silent for SILENT_MS with it; onLeft(frame): a frame
// loaded a document it was not sent.
export function watchFrames({ onState, onHung, onLeft, hangMs = HANG_MS }) {
  const watched = new Map(); // frame -> {heardAt, state, loads, sent}
  const now = () => performance.now();

  addEventListener('message', (event) => {
    for (const [frame, entry] of watched) {
      const state = renderMessage(event, frame);
      if (!state) continue;
      entry.heardAt = now();
      const text = JSON.stringify(state);
      if (text !== entry.state) {
        entry.state = text;
        onState(frame, state);
      }
    }
  });

  let tickedAt = now();
  setInterval(() => {
    // A hidden or throttled page sent no pings, so its frames had nothing to answer: start again.
    const asleep = document.hidden || now() - tickedAt > 3 * PING_MS;
    tickedAt = now();
    for (const [frame, entry] of watched) {
      if (asleep) entry.heardAt = tickedAt;
      control(frame, 'report');
    }
    if (asleep) return;
    const silent = [...watched].filter(([, entry]) => tickedAt - entry.heardAt > SILENT_MS);
    if (silent.some(([, entry]) => tickedAt - entry.heardAt > hangMs)) onHung(silent.map(([frame]) => frame));
  }, PING_MS);

  function loaded(event) {
    const entry = watched.get(event.target);
    if (entry && ++entry.loads > entry.sent) onLeft(event.target);
  }

  return {
    // The frame is being sent a render (its src set, or a form posted into it): watch it from now
    // on, and count that document as its own.
    run(frame) {
      let entry = watched.get(frame);
      if (!entry) {
        entry = { loads: 0 };
        watched.set(frame, entry);
        frame.addEventListener('load', loaded);
      }
      Object.assign(entry, { heardAt: now(), state: '', sent: entry.loads + 1 });
    },
    remove(frame) {
      watched.delete(frame);
      frame.removeEventListener('load', loaded);
    },
    // Whether the frame answered lately (a silent one may only be frozen by another).
    answering(frame) {
      const entry = watched.get(frame);
      return Boolean(entry) && now() - entry.heardAt <= SILENT_MS;
    },
  };
}

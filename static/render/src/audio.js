import { Promise } from "./natives.js";

// Web Audio makes no sound here and never waits for a gesture: a context is kept suspended (a
// viewer's click in the frame does not start it), says it is running, and resume() resolves at
// once, so code that awaits it (p5.sound's userStartAudio, a synth's start) goes on to draw.
export function silenceAudio() {
  for (const name of ["AudioContext", "webkitAudioContext"]) {
    const Real = window[name];
    if (typeof Real !== "function") continue;
    window[name] = class extends Real {
      constructor(...args) {
        super(...args);
        super.suspend().catch(() => {});
      }
      get state() {
        return "running";
      }
      resume() {
        return Promise.resolve();
      }
    };
  }
}

import { fail } from "../report.js";
import { runCanvas } from "./canvas.js";

// three: like canvas, plus THREE, the whole namespace of the pinned three package. three.js is a
// script of its own (cached apart from the harness, see vendor/three.js), placed after the
// harness's so that it starts under the harness's clock; it has run by DOMContentLoaded.
export function runThree() {
  document.addEventListener("DOMContentLoaded", () => {
    // A script that failed to load was reported already, and the first error wins.
    if (!window.THREE) return fail("exception", "three.js did not load.");
    runCanvas({ THREE: window.THREE });
  });
}

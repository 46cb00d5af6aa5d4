// The render harness: runs one post's code full-viewport and reports its state to whoever loaded
// it (window.__render for the capture worker, postMessage for the embedding page). In capture
// mode it drives time itself, in fixed 1000/60 ms steps, so the same post always gives the same
// frame. Bundled by esbuild (Makefile) into the one classic script the page loads first.
"use strict"; // modules are strict; the classic script esbuild makes of them is strict only if told
import { capture, post } from "./post.js";
import { advance } from "./advance.js";
import { silenceAudio } from "./audio.js";
import { useVirtualClock, now } from "./clock.js";
import { catchErrors } from "./errors.js";
import { obeyControlMessages, queueFrames } from "./frames.js";
import { takeAwayNetwork } from "./network.js";
import { seedRandom } from "./random.js";
import { capturePreview, error, fail, preview, settle, status } from "./report.js";
import { SKIP_UNSEEN_WEBGL_DRAWS, skipUnseenDraws } from "./skip-draws.js";
import { runCanvas } from "./runners/canvas.js";
import { runP5 } from "./runners/p5.js";
import { runShader } from "./runners/shader.js";
import { runSvg } from "./runners/svg.js";
import { runThree } from "./runners/three.js";

const RUNNERS = { svg: runSvg, canvas: runCanvas, three: runThree, shader: runShader, p5: runP5 };

// Everything the post's code could see is in place before it runs.
catchErrors();
takeAwayNetwork();
silenceAudio();
seedRandom(post.seed);
queueFrames();
obeyControlMessages();
if (capture) useVirtualClock();
if (capture && SKIP_UNSEEN_WEBGL_DRAWS) skipUnseenDraws();

window.capturePreview = capturePreview;
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

const run = RUNNERS[post.render_model];
if (post.error) fail(post.render_model, post.error); // the server's verdict on a draft (the upload preview)
else if (run) run();
else fail("exception", `The harness has no runner for "${post.render_model}" posts.`);

import { realSetTimeout } from "./natives.js";
import { CODE_NAME } from "./errors.js";
import { withLoopGuard } from "./loop-guard.js";
import { post } from "./post.js";
import { status } from "./report.js";

// The one place the post's code runs: as a classic script, so its top-level declarations are
// globals as people expect, with its loops guarded (loop-guard.js). The harness's CSP trusts a
// script that the harness itself inserts ('strict-dynamic'), so the code needs no nonce. Returns
// whether its synchronous part ran without error.
export function runCode(globals) {
  for (const [name, value] of Object.entries(globals)) {
    // Configurable, so the code may still declare its own `const canvas = ...`.
    Object.defineProperty(window, name, { value, writable: true, configurable: true, enumerable: true });
  }
  const script = document.createElement("script");
  script.textContent = `${withLoopGuard(post.code)}\n//# sourceURL=${CODE_NAME}`;
  document.body.appendChild(script); // runs now; its errors reach the "error" listener (errors.js)
  return status !== "error";
}

// Runners start the post's code only once the harness page has loaded. Its frame then fires its one
// load event first, so a navigation the code starts shows as a second one to the embedding page
// (watchdog.js), and a post that hangs cannot keep the page around it from loading.
export function whenLoaded(run) {
  if (document.readyState === "complete") run();
  else window.addEventListener("load", () => realSetTimeout(run), { once: true });
}

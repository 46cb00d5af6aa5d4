import { fail } from "./report.js";

// The post's code runs as an inline script named by a sourceURL comment, so the browser reports
// its errors against this name, counting lines from the first line of the post's code.
export const CODE_NAME = "post-code.js";

function lineOf(value) {
  const stack = value && typeof value.stack === "string" ? value.stack : "";
  const marker = CODE_NAME + ":";
  for (const frame of stack.split("\n")) {
    const at = frame.lastIndexOf(marker);
    const line = at >= 0 && /^\d+/.exec(frame.slice(at + marker.length));
    if (line) return Number(line[0]);
  }
  return 0;
}

function describe(value, line) {
  const text = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  line = line || lineOf(value);
  return line ? `${text} (line ${line})` : text;
}

export function uncaught(value) {
  console.error(value); // keep it visible in the developer tools
  fail("exception", describe(value));
}

export function guarded(fn) {
  try {
    fn();
  } catch (exception) {
    uncaught(exception);
  }
}

// Uncaught errors and rejections anywhere in the page, and our own scripts failing to load.
export function catchErrors() {
  window.addEventListener(
    "error",
    (event) => {
      if (event instanceof ErrorEvent) {
        const line = event.filename.endsWith(CODE_NAME) ? event.lineno : 0;
        fail("exception", event.error !== undefined && event.error !== null ? describe(event.error, line) : event.message);
      } else if (event.target instanceof HTMLScriptElement && event.target.hasAttribute("data-harness")) {
        fail("exception", `The harness could not load ${event.target.src}.`);
      }
    },
    true, // capture: a script element's load error does not bubble
  );
  window.addEventListener("unhandledrejection", (event) => fail("exception", `Unhandled rejection: ${describe(event.reason)}`));
}

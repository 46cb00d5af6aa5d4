"""The loop guard's cost on heavy but legitimate sketch code, guarded against unguarded in one page.

The harness guards the loops of the post's own code; it does not touch a script the post inserts
itself. So the post below defines the same workloads twice, once in its own code and once in a
script it inserts, and each round times both in the same page, in alternating order. The machine is
shared and noisy: the figure to quote is the median of the per-round ratios (guarded / unguarded).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import uuid
from datetime import datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "loop_guard.json"

# Workloads people write in sketches: per-pixel loops, particle steps, octave noise per sample.
WORKLOADS = r"""
function pixels() {
  const w = 640, h = 480, data = new Uint8ClampedArray(w * h * 4);
  for (let pass = 0; pass < 4; pass++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4;
        data[i] = (x ^ y) + pass; data[i + 1] = (x * y) & 255; data[i + 2] = (x + y) & 255; data[i + 3] = 255;
      }
  return data[1000];
}
function particles() {
  const n = 2000, xs = new Float64Array(n), ys = new Float64Array(n);
  for (let i = 0; i < n; i++) { xs[i] = (i * 7919) % 640; ys[i] = (i * 104729) % 480; }
  for (let step = 0; step < 300; step++)
    for (let i = 0; i < n; i++) {
      const angle = Math.sin(xs[i] * 0.01) * Math.cos(ys[i] * 0.01) * Math.PI * 2;
      xs[i] = (xs[i] + Math.cos(angle) + 640) % 640;
      ys[i] = (ys[i] + Math.sin(angle) + 480) % 480;
    }
  return xs[0] + ys[0];
}
function noise() {
  // Octaves in a loop of their own, entered once per sample: the guard's per-entry cost.
  const sample = (x, y) => {
    let value = 0, amplitude = 1, frequency = 0.01;
    for (let octave = 0; octave < 5; octave++) {
      value += amplitude * Math.sin(x * frequency + Math.cos(y * frequency * 1.3));
      amplitude *= 0.5; frequency *= 2;
    }
    return value;
  };
  let sum = 0;
  for (let y = 0; y < 480; y += 2) for (let x = 0; x < 640; x++) sum += sample(x, y);
  return sum;
}
"""
DEFINE = f"(function () {{ {WORKLOADS} return {{ pixels, particles, noise }}; }})()"
POST = f"""window.guarded = {DEFINE};
const plain = document.createElement("script");
plain.textContent = {json.dumps(f"window.unguarded = {DEFINE};")};
document.body.appendChild(plain);
ctx.fillRect(0, 0, 10, 10);"""
NAMES = ["pixels", "particles", "noise"]
TIME = "([set, name]) => { const t = performance.now(); window[set][name](); return performance.now() - t; }"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagesite.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from capture.browser import find_chromium
    from capture.serve import RENDER_ORIGIN, StaticFiles
    from posts.models import Post
    from posts.render.document import render_document

    post = Post(id=uuid.uuid4(), title="bench", render_model="canvas", code=POST)
    document = render_document(post, mode="live")
    url = f"{RENDER_ORIGIN}/posts/{post.pk}/render"
    static = StaticFiles()

    def serve(route):
        if route.request.url == url:
            route.fulfill(status=200, headers=dict(document.items()), body=document.content)
            return
        found = static.get(route.request.url.removeprefix(RENDER_ORIGIN).split("?")[0])
        if found is None:
            route.abort()
        else:
            route.fulfill(status=found.status, headers=found.headers, body=found.body)

    rounds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(playwright))
        page = browser.new_page(viewport={"width": 640, "height": 480})
        page.route("**/*", serve)
        page.goto(url)
        state = page.evaluate("__render.settle()")
        if state["status"] != "ready":
            raise SystemExit(f"bench: the benchmark post did not run: {state}")
        for set_name in ["guarded", "unguarded"]:  # warm both up: the JIT, before anything is timed
            for name in NAMES:
                page.evaluate(TIME, [set_name, name])
        for number in range(args.rounds):
            order = ["guarded", "unguarded"] if number % 2 == 0 else ["unguarded", "guarded"]
            ms = {name: {set_name: page.evaluate(TIME, [set_name, name]) for set_name in order} for name in NAMES}
            rounds.append(ms)
        version = browser.version
        browser.close()

    summary = {
        name: {
            "guarded_ms": statistics.median(r[name]["guarded"] for r in rounds),
            "unguarded_ms": statistics.median(r[name]["unguarded"] for r in rounds),
            "ratio": statistics.median(r[name]["guarded"] / r[name]["unguarded"] for r in rounds),
        }
        for name in NAMES
    }
    title = f"loop guard, median of {args.rounds} rounds"
    print(f"{title:<34}{'guarded ms':>12}{'plain ms':>12}{'ratio':>8}")
    for name, row in summary.items():
        print(f"{name:<34}{row['guarded_ms']:>12.1f}{row['unguarded_ms']:>12.1f}{row['ratio']:>8.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": datetime.now().isoformat(timespec="seconds"),
                "machine": {"platform": platform.platform(), "load": os.getloadavg(), "chromium": version},
                "rounds": rounds,
                "summary": summary,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

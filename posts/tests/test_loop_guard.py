"""The loop guard: a loop of the post's code that never lets the page draw is stopped and named by its line."""

import pytest

from posts.tests.render_helpers import make_post, near, open_render, screenshot

pytestmark = pytest.mark.browser


def run(page, live_server, code, mode):
    """The harness's state once the code's first frames ran (capture mode steps them itself)."""
    open_render(page, live_server, make_post("canvas", code), mode=mode)
    return page.evaluate("__render.advance(100)")


INFINITE_LOOPS = {
    "while": ("let x = 0;\nwhile (true) {\n  x += 1;\n}", 2),
    "for": ("ctx.fillRect(0, 0, 1, 1);\nfor (;;) {}", 2),
    "do-while without braces": ("let i = 0;\n\ndo i++; while (i > 0);", 3),
    "for-of an endless iterator": (
        "const forever = { [Symbol.iterator]: () => ({ next: () => ({ done: false, value: 1 }) }) };\n"
        "for (const x of forever) ctx.fillRect(0, 0, 1, 1);",
        2,
    ),
    "for-in with a slow body": (
        "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n"
        "const keys = Object.fromEntries(Array.from({ length: 100000 }, (_, i) => [i, i]));\n"
        "for (const key in keys) fib(22);",
        3,
    ),
    "labelled, with continue": (
        "outer: for (let i = 0; ; i++) {\n  for (let j = 0; j < 3; j++) {\n    if (j === 1) continue outer;\n  }\n}",
        1,
    ),
    "in an animation frame": (
        "function draw() {\n  requestAnimationFrame(draw);\n  while (Math.random() < 2) {}\n}\n"
        "requestAnimationFrame(draw);",
        3,
    ),
    "awaiting only promises": ("(async () => {\n  while (true) await null;\n})();", 2),
}


@pytest.mark.parametrize(("code", "line"), INFINITE_LOOPS.values(), ids=INFINITE_LOOPS.keys())
def test_an_infinite_loop_is_stopped_and_named_by_its_line(live_server, page, code, line):
    state = run(page, live_server, code, "live")
    assert state["status"] == "error"
    assert state["error"]["kind"] == "exception"
    assert state["error"]["message"].startswith(f"infinite loop at line {line}: ")
    assert page.evaluate("1 + 1") == 2  # the page answers again


@pytest.mark.parametrize("name", ["while", "in an animation frame"])
def test_an_infinite_loop_is_stopped_in_capture_mode_too(live_server, page, name):
    code, line = INFINITE_LOOPS[name]
    state = run(page, live_server, code, "capture")
    assert state["status"] == "error"
    assert state["error"]["message"].startswith(f"infinite loop at line {line}: ")


def test_other_errors_keep_the_line_of_the_posts_code(live_server, page):
    code = """for (let i = 0; i < 3; i++) {
  for (const k in { a: 1 }) ctx.fillRect(i, 0, 1, 1);
}
let n = 0;
do n++; while (n < 3)
while (n > 0) n--;
null.x;"""
    state = run(page, live_server, code, "capture")
    assert state["error"]["message"] == "TypeError: Cannot read properties of null (reading 'x') (line 7)"


def test_code_that_does_not_parse_runs_as_it_is_and_the_browser_names_the_error(live_server, page):
    state = run(page, live_server, "while (true) {\n  ctx.fillRect(0, 0,\n}", "live")
    assert state["status"] == "error"
    assert state["error"]["message"].startswith("SyntaxError")


def test_a_heavy_but_finite_first_frame_still_runs(live_server, page):
    # Six loops of 0.4 s of real time each in the first frame: 2.4 s together, more than the loop
    # budget, which is each loop's own. Then one loop of many cheap iterations.
    code = """const field = new Float32Array(width * height);
function pass(k) {
  const until = performance.now() + 400;
  let i = 0;
  while (performance.now() < until) { field[i % field.length] += Math.sin(i * k); i++; }
}
pass(1); pass(2); pass(3); pass(4); pass(5); pass(6);
let sum = 0;
for (let i = 0; i < 3e7; i++) sum += i & 7;
ctx.fillStyle = "rgb(20, 200, 40)";
ctx.fillRect(0, 0, width, height);"""
    state = run(page, live_server, code, "live")
    assert state["status"] == "ready"
    assert near(screenshot(page).getpixel((400, 300)), (20, 200, 40))


@pytest.mark.parametrize(
    "wait",
    ["new Promise((resolve) => requestAnimationFrame(resolve))", "new Promise((resolve) => setTimeout(resolve, 0))"],
    ids=["a frame", "a timer"],
)
def test_a_loop_that_lets_the_page_draw_runs_on(live_server, page, wait):
    code = f"window.turns = 0;\n(async () => {{\n  while (true) {{\n    await {wait};\n    turns += 1;\n  }}\n}})();"
    assert run(page, live_server, code, "live")["status"] == "ready"
    page.wait_for_timeout(2500)  # longer than the loop budget
    turns = page.evaluate("turns")
    page.wait_for_function(f"() => turns > {turns}")
    assert page.evaluate("__render.status") == "ready"


def test_catching_the_error_does_not_let_the_code_loop_on(live_server, page):
    code = """for (;;) {
  try {
    while (true) {}
  } catch (error) {
    window.caught = (window.caught || 0) + 1;
  }
}"""
    state = run(page, live_server, code, "live")
    assert state["error"]["message"].startswith("infinite loop at line 3: ")
    caught = page.evaluate("window.caught")
    page.wait_for_timeout(200)
    assert caught >= 1 and page.evaluate("window.caught") == caught  # every loop throws at once, and it ends


def test_the_code_cannot_take_the_guard_away(live_server, page):
    code = """const __imagesiteLoop = { enter() { return {}; }, check() {} };
window.__imagesiteLoop_ = null;
while (true) {}"""
    state = run(page, live_server, code, "live")
    assert state["error"]["message"].startswith("infinite loop at line 3: ")

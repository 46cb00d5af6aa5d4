import asyncio
import logging
import os
import signal
from pathlib import Path

import pytest

from capture.browser import BudgetExceeded, PostError
from capture.tests.conftest import close_to, decode, make_post
from posts.models import ImageKind, JobStatus, Post, PostImage, PostImageJob

pytestmark = pytest.mark.browser

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    '<rect width="100" height="100" fill="#00f"/><circle cx="50" cy="50" r="30" fill="#f00"/></svg>'
)
CANVAS = """
ctx.fillStyle = "#0f0";
ctx.fillRect(0, 0, width, height);
requestAnimationFrame(function bar(t) {
  ctx.fillStyle = "#f00";
  ctx.fillRect(0, 0, t / 4, 20);
  requestAnimationFrame(bar);
});
"""
THREE = """
const renderer = new THREE.WebGLRenderer({ canvas });
renderer.setClearColor(0x0000ff);
const scene = new THREE.Scene();
const camera = new THREE.PerspectiveCamera(50, width / height, 0.1, 100);
camera.position.z = 3;
const cube = new THREE.Mesh(new THREE.BoxGeometry(), new THREE.MeshBasicMaterial({ color: 0xff0000 }));
scene.add(cube);
requestAnimationFrame(function spin() {
  cube.rotation.y += 0.02;
  renderer.render(scene, camera);
  requestAnimationFrame(spin);
});
"""
SHADER = """
void mainImage(out vec4 color, in vec2 coord) {
  color = vec4(coord.x / iResolution.x, 0.0, 1.0, 1.0);
}
"""


def test_each_render_model_is_captured_as_thumb_and_og_with_its_colours(run_queue):
    posts = {model: make_post(model, code) for model, code in [("svg", SVG), ("canvas", CANVAS), ("three", THREE)]}
    posts["shader"] = make_post("shader", SHADER)

    summary = run_queue()

    # Eight stills; then the animations their thumbnails queued: the canvas and three.js posts
    # move; the shader's gradient (it reads no time, so the harness draws it once) and the SVG
    # (pinned in captures) are recorded as still with no job.
    assert "10 stored (0 flat), 0 failed," in summary
    assert Post.objects.get(pk=posts["shader"].pk).moves is False
    assert all(job.status == JobStatus.SUCCESS and job.attempts == 1 for job in PostImageJob.objects.all())
    images = {(image.post_id, image.kind): image for image in PostImage.objects.all()}
    for post in posts.values():
        assert (images[post.pk, ImageKind.THUMB].width, images[post.pk, ImageKind.THUMB].height) == (640, 480)
        assert (images[post.pk, ImageKind.OG].width, images[post.pk, ImageKind.OG].height) == (1200, 630)
        assert not images[post.pk, ImageKind.THUMB].is_flat
    for kind, (width, height) in [(ImageKind.THUMB, (640, 480)), (ImageKind.OG, (1200, 630))]:
        svg = decode(bytes(images[posts["svg"].pk, kind].data))
        assert svg.size == (width, height)
        assert close_to(svg.getpixel((width // 2, height // 2)), RED)
        assert close_to(svg.getpixel((width // 2, 5)), BLUE)
        assert close_to(svg.getpixel((3, height // 2)), BLUE)  # the square's blue edges extended to the frame's

        canvas = decode(bytes(images[posts["canvas"].pk, kind].data))
        assert close_to(canvas.getpixel((width // 2, height // 2)), GREEN)
        assert close_to(canvas.getpixel((150, 10)), RED)  # 0.8 s of the bar growing 250 px/s
        assert close_to(canvas.getpixel((260, 10)), GREEN)

        three = decode(bytes(images[posts["three"].pk, kind].data))
        assert close_to(three.getpixel((width // 2, height // 2)), RED)
        assert close_to(three.getpixel((5, 5)), BLUE)

        shader = decode(bytes(images[posts["shader"].pk, kind].data))
        assert close_to(shader.getpixel((2, height // 2)), BLUE)
        assert close_to(shader.getpixel((width - 3, height // 2)), (255, 0, 255))


COLOUR_BY_TIME = """
requestAnimationFrame(function draw(t) {
  ctx.fillStyle = t < 500 ? "#f00" : "#00f";
  ctx.fillRect(0, 0, width, height);
  requestAnimationFrame(draw);
});
"""


def test_capture_time_decides_the_frame(db, capture_browser):
    post = make_post("canvas", COLOUR_BY_TIME)

    early = capture_browser.capture(post, capture_time=0.2)
    late = capture_browser.capture(post, capture_time=1.0)

    assert close_to(decode(early).getpixel((10, 10)), RED)
    assert close_to(decode(late).getpixel((10, 10)), BLUE)


BLUE_FROM_NINE_AND_A_HALF_SECONDS = COLOUR_BY_TIME.replace("t < 500", "t < 9500")


def test_ten_seconds_of_animation_are_captured_in_virtual_time(db, capture_browser):
    post = make_post("canvas", BLUE_FROM_NINE_AND_A_HALF_SECONDS, capture_time=10)

    # The capture timeout (8 s in tests) is shorter than the animation: a real wait would fail.
    png = capture_browser.capture(post)

    assert close_to(decode(png).getpixel((10, 10)), BLUE)


PREVIEW_AT_FRAME_NINE = """
let frame = 0;
setTimeout(() => { document.body.style.background = "#f00"; canvas.style.opacity = 0; }, 2000);
requestAnimationFrame(function draw() {
  frame++;
  ctx.fillStyle = frame < 10 ? "#0f0" : "#f00";
  ctx.fillRect(0, 0, width, height);
  if (frame === 9) capturePreview();
  requestAnimationFrame(draw);
});
"""


def test_capture_preview_is_the_frame_captured_and_later_timers_never_run(db, capture_browser):
    post = make_post("canvas", PREVIEW_AT_FRAME_NINE, capture_time=5)

    png = capture_browser.capture(post)

    assert close_to(decode(png).getpixel((320, 240)), GREEN)  # frame ten is red, and so is the body after 2 s


RANDOM_ANIMATION = """
requestAnimationFrame(function draw(t) {
  for (let i = 0; i < 20; i++) {
    ctx.fillStyle = `hsl(${Math.random() * 360}, 80%, 50%)`;
    ctx.beginPath();
    ctx.arc(Math.random() * width, Math.random() * height, 5 + Math.random() * 20 + t / 100, 0, 7);
    ctx.fill();
  }
  requestAnimationFrame(draw);
});
"""
RANDOM_THREE = """
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
const scene = new THREE.Scene();
const camera = new THREE.PerspectiveCamera(60, width / height, 0.1, 100);
camera.position.z = 6;
const cubes = [];
for (let i = 0; i < 12; i++) {
  const cube = new THREE.Mesh(new THREE.BoxGeometry(), new THREE.MeshNormalMaterial());
  cube.position.set(Math.random() * 8 - 4, Math.random() * 6 - 3, Math.random() * -4);
  scene.add(cube);
  cubes.push(cube);
}
renderer.setAnimationLoop((t) => {
  cubes.forEach((cube, i) => cube.rotation.set(t / 700 + i, t / 900, Date.now() % 1000 / 1000));
  renderer.render(scene, camera);
});
"""
MOVING_SHADER = """
void mainImage(out vec4 color, in vec2 coord) {
  vec2 uv = coord / iResolution.xy;
  color = vec4(0.5 + 0.5 * sin(iTime * 3.0 + uv.x * 9.0), uv.y, 0.5 + 0.5 * cos(iTime + uv.y * 7.0), 1.0);
}
"""


@pytest.mark.parametrize(
    ("render_model", "code"), [("canvas", RANDOM_ANIMATION), ("three", RANDOM_THREE), ("shader", MOVING_SHADER)]
)
def test_two_captures_of_an_animated_random_post_are_byte_identical(db, capture_browser, render_model, code):
    post = make_post(render_model, code, capture_time=1.3)

    first = capture_browser.capture(post)
    second = capture_browser.capture(post)

    assert first == second
    assert not decode(first).getextrema() == ((0, 0), (0, 0), (0, 0))


THREE_RENDERED_ONCE = """// A still scene: rendered once, on the first frame.
const renderer = new THREE.WebGLRenderer({ canvas });
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x00ff00);
const camera = new THREE.PerspectiveCamera(50, width / height, 0.1, 100);
requestAnimationFrame(() => renderer.render(scene, camera));
"""
THREE_PREVIEW_AT_FRAME_NINE = """const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x00ff00);
const camera = new THREE.PerspectiveCamera(50, width / height, 0.1, 100);
let frame = 0;
renderer.setAnimationLoop(() => {
  frame++;
  if (frame === 10) scene.background.set(0xff0000);
  renderer.render(scene, camera);
  if (frame === 9) capturePreview();
});
"""
WEBGL_READS_ITS_PIXELS = """// Each frame reads back the canvas and draws it a step brighter.
const gl = canvas.getContext("webgl");
const pixel = new Uint8Array(4);
requestAnimationFrame(function draw() {
  gl.clearColor(Math.min(1, pixel[1] / 255 + 0.02), Math.min(1, pixel[1] / 255 + 0.02), 0, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
  requestAnimationFrame(draw);
});
"""

# GPU particles: a transform-feedback pass (nothing painted) moves a point 0.01 a frame, a second pass draws it.
WEBGL2_TRANSFORM_FEEDBACK = """const gl = canvas.getContext("webgl2");
function program(vertex, fragment, varyings) {
  const p = gl.createProgram();
  for (const [type, source] of [[gl.VERTEX_SHADER, vertex], [gl.FRAGMENT_SHADER, fragment]]) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    gl.attachShader(p, shader);
  }
  if (varyings) gl.transformFeedbackVaryings(p, varyings, gl.SEPARATE_ATTRIBS);
  gl.linkProgram(p);
  return p;
}
const update = program(`#version 300 es
in float x; out float next;
void main() { next = x + 0.01; }`, `#version 300 es
precision mediump float; out vec4 c; void main() { c = vec4(0.0); }`, ["next"]);
const show = program(`#version 300 es
in float x;
void main() { gl_Position = vec4(x * 2.0 - 1.0, 0.0, 0.0, 1.0); gl_PointSize = 40.0; }`, `#version 300 es
precision mediump float; out vec4 c; void main() { c = vec4(1.0, 0.0, 0.0, 1.0); }`);
const buffers = [0, 1].map(() => {
  const buffer = gl.createBuffer();
  gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0]), gl.DYNAMIC_COPY);
  return buffer;
});
const feedback = gl.createTransformFeedback();
let current = 0;
requestAnimationFrame(function frame() {
  gl.useProgram(update);
  gl.bindBuffer(gl.ARRAY_BUFFER, buffers[current]);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 1, gl.FLOAT, false, 0, 0);
  gl.bindTransformFeedback(gl.TRANSFORM_FEEDBACK, feedback);
  gl.bindBufferBase(gl.TRANSFORM_FEEDBACK_BUFFER, 0, buffers[1 - current]);
  gl.enable(gl.RASTERIZER_DISCARD);
  gl.beginTransformFeedback(gl.POINTS);
  gl.drawArrays(gl.POINTS, 0, 1);
  gl.endTransformFeedback();
  gl.disable(gl.RASTERIZER_DISCARD);
  gl.bindBufferBase(gl.TRANSFORM_FEEDBACK_BUFFER, 0, null);
  current = 1 - current;
  gl.useProgram(show);
  gl.bindBuffer(gl.ARRAY_BUFFER, buffers[current]);
  gl.vertexAttribPointer(0, 1, gl.FLOAT, false, 0, 0);
  gl.clearColor(0, 0, 0, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.drawArrays(gl.POINTS, 0, 1);
  requestAnimationFrame(frame);
});
"""
# An OffscreenCanvas keeps its pixels: a stripe a frame builds up, shown on the page in the last frame.
OFFSCREEN_STRIPES = """const offscreen = new OffscreenCanvas(width, height);
const gl = offscreen.getContext("webgl");
gl.enable(gl.SCISSOR_TEST);
let frame = 0;
requestAnimationFrame(function draw(t) {
  gl.scissor(frame * 10, 0, 10, height);
  gl.clearColor(0, 0, 1, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  frame++;
  if (t >= 800) ctx.drawImage(offscreen, 0, 0);
  requestAnimationFrame(draw);
});
"""


@pytest.mark.parametrize(
    ("render_model", "code", "centre"),
    [
        ("three", THREE, RED),
        ("three", THREE_RENDERED_ONCE, GREEN),
        ("three", THREE_PREVIEW_AT_FRAME_NINE, GREEN),
        ("canvas", WEBGL_READS_ITS_PIXELS, (240, 240, 0)),
        ("canvas", WEBGL2_TRANSFORM_FEEDBACK, RED),  # 48 steps of 0.01 bring it to the middle
        ("canvas", OFFSCREEN_STRIPES, BLUE),  # 48 stripes of 10 px
    ],
    ids=["animated", "rendered-once", "preview", "reads-pixels", "transform-feedback", "offscreen"],
)
def test_webgl_frames_left_undrawn_never_change_the_capture(db, capture_browser, render_model, code, centre):
    post = make_post(render_model, code)

    png = capture_browser.capture(post)
    every_frame = capture_browser.capture(post, draw_every_frame=True)

    assert png == every_frame
    assert close_to(decode(png).getpixel((320, 240)), centre, tolerance=8)


def test_a_post_error_is_reported_with_its_message(db, capture_browser):
    post = make_post("canvas", 'requestAnimationFrame(() => { throw new Error("boom in frame two"); });')

    with pytest.raises(PostError, match="boom in frame two"):
        capture_browser.capture(post)


def test_an_infinite_loop_is_the_posts_own_error_named_by_its_line(db, capture_browser):
    post = make_post("canvas", "let x = 0;\nwhile (true) x += 1;")

    with pytest.raises(PostError, match="infinite loop at line 2"):
        capture_browser.capture(post)


def test_a_page_that_eats_memory_is_stopped_and_the_next_capture_works(db, capture_browser):
    hog = make_post("canvas", "const hoard = Array.from({ length: 4000 }, () => new Array(1e6).fill(Math.random()));")
    fine = make_post("canvas", CANVAS)

    with pytest.raises(BudgetExceeded, match="memory"):  # the post's fault: tried once more, later
        capture_browser.capture(hog)

    assert close_to(decode(capture_browser.capture(fine)).getpixel((320, 240)), GREEN)


def test_a_browser_that_died_between_captures_is_relaunched(db, capture_browser):
    post = make_post("canvas", CANVAS)
    before = set(chromium_processes())

    capture_browser.run(capture_browser.browser.chromium.close())  # as if Chromium had crashed
    png = capture_browser.capture(post)

    assert set(chromium_processes()).isdisjoint(before)
    assert close_to(decode(png).getpixel((320, 240)), GREEN)


def chromium_processes():
    """{pid: process group} of the live Chromium processes this test process started."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            if b"chrom" not in (proc / "cmdline").read_bytes():
                continue
            state, ppid, pgid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            pid, ancestors = int(proc.name), []
            while pid > 1:
                ancestors.append(pid)
                pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (ValueError, OSError):
            continue
        if state != "Z" and os.getpid() in ancestors:
            found[int(proc.name)] = int(pgid)
    return found


def test_a_browser_that_will_not_close_is_killed_and_replaced(db, capture_browser):
    post = make_post("canvas", CANVAS)
    (stuck,) = set(chromium_processes().values())  # Playwright starts Chromium in a process group of its own

    os.killpg(stuck, signal.SIGSTOP)  # no longer answers, not even to close
    browser = capture_browser.browser
    capture_browser.run(browser.relaunch(browser.chromium, "a test stopped it"))

    assert stuck not in chromium_processes().values()
    assert close_to(decode(capture_browser.capture(post)).getpixel((320, 240)), GREEN)


def test_two_captures_that_find_one_browser_broken_replace_it_once(db, capture_browser, caplog):
    browser = capture_browser.browser
    broken = browser.chromium

    async def both_relaunch():
        await asyncio.gather(*(browser.relaunch(broken, reason) for reason in ["first", "second"]))

    with caplog.at_level(logging.INFO, logger="capture.browser"):
        capture_browser.run(both_relaunch())

    assert caplog.text.count("relaunching Chromium") == 1
    assert caplog.text.count("launched Chromium") == 1
    assert close_to(decode(capture_browser.capture(make_post("canvas", CANVAS))).getpixel((320, 240)), GREEN)

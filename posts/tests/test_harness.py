"""The render harness: each render model's contract, capture mode's virtual time, errors, headers."""

import base64
import hashlib
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings

from posts.tests.render_helpers import embed, make_post, near, open_render, screenshot

# Posts written the way people publish them.

SVG_SUNRISE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#102040"/>
      <stop offset="1" stop-color="#204080"/>
    </linearGradient>
    <filter id="glow" x="-50%" y="-50%" width="200%" height="200%">
      <feGaussianBlur stdDeviation="3"/>
    </filter>
    <mask id="ring">
      <rect width="400" height="200" fill="white"/>
      <circle cx="200" cy="100" r="25" fill="black"/>
    </mask>
  </defs>
  <rect width="400" height="200" fill="url(#sky)"/>
  <circle cx="200" cy="100" r="70" fill="#f5a623" mask="url(#ring)"/>
  <circle cx="200" cy="100" r="74" fill="none" stroke="#ffe08a" stroke-width="4" filter="url(#glow)"/>
  <text x="16" y="186" font-family="sans-serif" font-size="18" fill="#ffffff">Sunrise</text>
</svg>
"""

# No xmlns, no viewBox: as people paste it from an HTML page.
SVG_BARE = '<svg width="100" height="50"><rect width="100" height="50" fill="#00aa00"/></svg>'

SVG_ANIMATED = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">
  <style>
    @keyframes fade { from { fill: #ff0000 } to { fill: #0000ff } }
    .css { animation: fade 2s linear infinite }
  </style>
  <rect width="100" height="100" fill="#ff0000">
    <animate attributeName="fill" values="#ff0000;#0000ff" dur="2s" repeatCount="indefinite"/>
  </rect>
  <rect class="css" x="100" width="100" height="100"/>
</svg>
"""

CANVAS_BALLS = """// Bouncing balls, MDN style.
const canvas = document.getElementById("canvas");
const ctx = canvas.getContext("2d");
canvas.width = window.innerWidth;
canvas.height = window.innerHeight;

const balls = [];
for (let i = 0; i < 25; i++) {
  balls.push({
    x: Math.random() * canvas.width,
    y: Math.random() * canvas.height,
    r: 8 + Math.random() * 24,
    dx: Math.random() * 6 - 3,
    dy: Math.random() * 6 - 3,
    hue: Math.floor(Math.random() * 360),
  });
}

function draw() {
  ctx.fillStyle = "#0b3d2e";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const ball of balls) {
    ball.x += ball.dx;
    ball.y += ball.dy;
    if (ball.x < ball.r || ball.x > canvas.width - ball.r) ball.dx = -ball.dx;
    if (ball.y < ball.r || ball.y > canvas.height - ball.r) ball.dy = -ball.dy;
    ctx.beginPath();
    ctx.arc(ball.x, ball.y, ball.r, 0, Math.PI * 2);
    ctx.fillStyle = `hsl(${ball.hue}, 80%, 60%)`;
    ctx.fill();
  }
  ctx.fillStyle = "#ffff00";
  ctx.fillRect(canvas.width / 2 - 40, canvas.height / 2 - 40, 80, 80);
  window.frames_drawn = (window.frames_drawn || 0) + 1;
  requestAnimationFrame(draw);
}

draw();
"""

# Records what every clock says, and paints a colour chosen by the frame time.
CANVAS_CLOCKS = """const start = Date.now();
window.seen = { timeouts: [], ticks: 0 };
setTimeout(() => seen.timeouts.push(performance.now()), 2500);
setInterval(() => seen.ticks++, 1000);
requestIdleCallback(() => { seen.idle = performance.now(); });
function frame(t) {
  seen.raf = t;
  seen.perf = performance.now();
  seen.date = Date.now() - start;
  seen.newDate = new Date() - start;
  ctx.fillStyle = t < 1000 ? "#ff0000" : t < 2000 ? "#00ff00" : t < 3000 ? "#0000ff" : "#ffff00";
  ctx.fillRect(0, 0, width, height);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
"""

CANVAS_PREVIEW = """let previewed = false;
setTimeout(() => { window.lateTimerRan = true; }, 1500);
function frame(t) {
  ctx.fillStyle = t < 1000 ? "#ff0000" : "#00ff00";
  ctx.fillRect(0, 0, width, height);
  if (t >= 1000 && !previewed) {
    previewed = true;
    capturePreview();
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
"""

THREE_SPHERE = """// A lit sphere, animated with requestAnimationFrame, on the canvas we are given.
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
renderer.setSize(width, height, false);
const scene = new THREE.Scene();
scene.background = new THREE.Color("#1e1e3f");
const camera = new THREE.PerspectiveCamera(50, width / height, 0.1, 100);
camera.position.set(0, 0, 4);
scene.add(new THREE.HemisphereLight(0xffffff, 0x333333, 1.5));
const sun = new THREE.DirectionalLight(0xffffff, 2.5);
sun.position.set(2, 3, 4);
scene.add(sun);
const ball = new THREE.Mesh(
  new THREE.SphereGeometry(1, 48, 24),
  new THREE.MeshStandardMaterial({ color: "#e8443a", roughness: 0.4 }),
);
scene.add(ball);
function animate(time) {
  ball.rotation.y = time / 1000;
  renderer.render(scene, camera);
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);
"""

# The three.js docs' style: the renderer makes its own canvas and the loop is setAnimationLoop.
THREE_OWN_CANVAS = """const renderer = new THREE.WebGLRenderer();
renderer.setSize(window.innerWidth, window.innerHeight);
document.body.appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x2060c0);
const camera = new THREE.PerspectiveCamera(60, window.innerWidth / window.innerHeight, 0.1, 100);
camera.position.z = 3;
const cube = new THREE.Mesh(new THREE.BoxGeometry(1, 1, 1), new THREE.MeshBasicMaterial({ color: 0xffcc00 }));
scene.add(cube);
renderer.setAnimationLoop((time) => {
  cube.rotation.x = time / 2000;
  cube.rotation.y = time / 1000;
  renderer.render(scene, camera);
});
"""

SHADERTOY = """// Sunset, Shadertoy style.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    vec3 sky = mix(vec3(1.0, 0.5, 0.2), vec3(0.1, 0.2, 0.6), uv.y);
    int band = iFrame % 4;  // integer modulo: GLSL ES 3.00 only
    vec2 sun = vec2(0.5, 0.3 + 0.05 * sin(iTime) + 0.0 * float(band));
    float d = length((uv - sun) * vec2(iResolution.x / iResolution.y, 1.0));
    fragColor = vec4(mix(vec3(1.0, 0.9, 0.3), sky, smoothstep(0.08, 0.1, d)), 1.0);
}
"""

BOOK_OF_SHADERS = """#ifdef GL_ES
precision mediump float;
#endif

uniform vec2 u_resolution;
uniform vec2 u_mouse;
uniform float u_time;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution.xy;
    gl_FragColor = vec4(st.x, st.y, 0.0 * abs(sin(u_time)), 1.0);
}
"""

GLSL_300_ES = """#version 300 es
precision highp float;

uniform vec2 u_resolution;
uniform float u_time;
out vec4 fragColor;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution;
    fragColor = vec4(0.0, st.y, 1.0, 1.0);
}
"""

# Red exactly when iTime is the capture time (0.8 s by default), blue otherwise.
SHADERTOY_CLOCK = """void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    bool atCapture = abs(iTime - 0.8) < 0.001 && iFrame == 48;
    fragColor = atCapture ? vec4(1.0, 0.0, 0.0, 1.0) : vec4(0.0, 0.0, 1.0, 1.0);
}
"""


def corners_and_centre(image):
    width, height = image.size
    return {
        "top_left": image.getpixel((5, 5)),
        "top_right": image.getpixel((width - 6, 5)),
        "bottom_left": image.getpixel((5, height - 6)),
        "bottom_right": image.getpixel((width - 6, height - 6)),
        "centre": image.getpixel((width // 2, height // 2)),
    }


def mulberry32(seed, count):
    """The harness's seeded Math.random, in Python."""
    values = []
    for _ in range(count):
        seed = (seed + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((seed ^ (seed >> 15)) * (seed | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        values.append(((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296)
    return values


# The response.


@pytest.fixture
def svg_post(db):
    return make_post("svg", SVG_SUNRISE)


def test_the_harness_page_is_sandboxed_and_trusts_only_our_scripts_by_their_hashes(client, svg_post):
    response = client.get(f"/posts/{svg_post.pk}/render")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    sandbox, scripts = policy.split(", ")
    directives = dict(d.split(" ", 1) for d in sandbox.split("; "))
    assert directives["sandbox"] == "allow-scripts"
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'"
    assert directives["worker-src"] == "'none'"
    assert directives["img-src"] == "data: blob:"
    assert directives["form-action"] == "'none'"
    assert directives["base-uri"] == "'none'"
    with open(finders.find("render/harness.js"), "rb") as bundle:
        digest = "sha384-" + base64.b64encode(hashlib.sha384(bundle.read()).digest()).decode()
    # No nonce the post could read and hand to a frame of its own: our one script, by its hash.
    assert directives["script-src"] == f"'strict-dynamic' '{digest}'"
    assert scripts == "script-src 'self' 'unsafe-inline'"
    html = response.content.decode()
    assert html.count(f'integrity="{digest}"') == 1
    assert "nonce" not in html
    assert response["Connection-Allowlist"] == "(response-origin)"


@override_settings(SITE_URL="https://imagesite.example")
def test_harness_may_be_framed_by_the_site_only(client, svg_post):
    response = client.get(f"/posts/{svg_post.pk}/render")
    sandbox = response["Content-Security-Policy"].split(", ")[0]
    assert "frame-ancestors 'self' https://imagesite.example" in sandbox.split("; ")
    assert "X-Frame-Options" not in response


def test_the_harness_page_sends_no_referrer_and_is_never_cached_by_shared_caches(client, svg_post):
    response = client.get(f"/posts/{svg_post.pk}/render")
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache"
    assert "Set-Cookie" not in response


def test_post_reaches_the_page_only_as_json_data(client, db):
    code = "</script><script>window.pwned = 1</script><!--"
    post = make_post("canvas", code, capture_time=1.5)
    response = client.get(f"/posts/{post.pk}/render?mode=capture")
    html = response.content.decode()
    assert "<script>window.pwned" not in html
    data = json.loads(re.search(r'<script id="post-data" type="application/json">(.*?)</script>', html)[1])
    assert set(data.pop("messages")) == {"svg_not_well_formed", "svg_position", "svg_root", "svg_not_shown"}
    assert data == {
        "id": str(post.pk),
        "render_model": "canvas",
        "code": code,
        "html": "",
        "capture_time": 1.5,
        "seed": int(post.pk.hex[:8], 16),
        "mode": "capture",
        "error": None,
    }


def test_capture_time_may_be_overridden_and_is_checked(client, svg_post):
    response = client.get(f"/posts/{svg_post.pk}/render?mode=capture&t=2.5")
    assert '"capture_time": 2.5' in response.content.decode()
    assert client.get(f"/posts/{svg_post.pk}/render?t=soon").status_code == 400
    assert client.get(f"/posts/{svg_post.pk}/render?t=31").status_code == 400
    assert client.get(f"/posts/{svg_post.pk}/render?t=nan").status_code == 400


def test_harness_of_a_missing_post_is_not_found_and_only_reads(client, svg_post):
    assert client.get("/posts/00000000-0000-4000-8000-000000000000/render").status_code == 404
    assert client.post(f"/posts/{svg_post.pk}/render").status_code == 405


# Each render model, in a real Chromium.


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["live", "capture"])
def test_svg_is_shown_as_an_image_scaled_to_fit(live_server, page, mode):
    post = make_post("svg", SVG_SUNRISE)
    assert open_render(page, live_server, post, mode=mode)["status"] == "ready"
    assert page.locator("img#svg").count() == 1
    image = screenshot(page)
    # 400x200 in 800x600: scaled to 800x400, centred; above and below, its top and bottom edges extended.
    assert near(image.getpixel((400, 50)), (0x10, 0x20, 0x40))
    assert near(image.getpixel((400, 550)), (0x20, 0x40, 0x80))
    assert near(image.getpixel((20, 110)), (0x10, 0x20, 0x40))  # the gradient's top
    assert near(image.getpixel((500, 300)), (0xF5, 0xA6, 0x23))  # the sun
    assert near(image.getpixel((400, 300)), (0x18, 0x30, 0x60))  # the mask's hole shows the sky
    assert page.errors == []


@pytest.mark.browser
def test_svg_without_xmlns_or_viewbox_still_fills_the_viewport(live_server, page):
    post = make_post("svg", SVG_BARE)
    assert open_render(page, live_server, post)["status"] == "ready"
    image = screenshot(page)
    assert near(image.getpixel((10, 110)), (0, 0xAA, 0))
    assert near(image.getpixel((790, 490)), (0, 0xAA, 0))
    assert near(image.getpixel((400, 50)), (0, 0xAA, 0))  # its one-colour edges extended


@pytest.mark.browser
def test_svg_animations_are_captured_at_the_capture_time(live_server, page):
    post = make_post("svg", SVG_ANIMATED, capture_time=1.0)
    open_render(page, live_server, post, mode="capture")
    page.evaluate("__render.advance(1000)")
    image = screenshot(page)
    # Half-way from red to blue, in SMIL (left) and CSS (right).
    assert near(image.getpixel((200, 300)), (128, 0, 128), tolerance=6)
    assert near(image.getpixel((600, 300)), (128, 0, 128), tolerance=6)


@pytest.mark.browser
def test_malformed_svg_is_an_svg_error(live_server, page):
    post = make_post("svg", '<svg xmlns="http://www.w3.org/2000/svg">\n<g>\n</svg>')
    state = open_render(page, live_server, post)
    assert state["status"] == "error"
    assert state["error"]["kind"] == "svg"
    assert "line 3" in state["error"]["message"]


@pytest.mark.browser
def test_canvas_sketch_draws_on_the_canvas_it_looks_up(live_server, page):
    post = make_post("canvas", CANVAS_BALLS)
    assert open_render(page, live_server, post)["status"] == "ready"
    page.wait_for_function("() => window.frames_drawn > 3")  # animating
    image = screenshot(page)
    assert near(image.getpixel((400, 300)), (255, 255, 0))
    background = max(image.getcolors(800 * 600))[1]
    assert near(background, (0x0B, 0x3D, 0x2E), tolerance=2)
    assert page.evaluate("[canvas.width, canvas.height, width, height]") == [800, 600, 800, 600]
    assert page.errors == []


@pytest.mark.browser
def test_three_scene_renders_on_the_given_canvas(live_server, page):
    post = make_post("three", THREE_SPHERE)
    assert open_render(page, live_server, post)["status"] == "ready"
    colours = corners_and_centre(screenshot(page))
    assert near(colours["top_left"], (0x1E, 0x1E, 0x3F), tolerance=8)
    red, green, blue = colours["centre"]
    assert red > 120 and red > green + 60 and red > blue + 60  # the lit red sphere
    assert page.errors == []


@pytest.mark.browser
def test_three_scene_with_its_own_canvas_and_animation_loop(live_server, page):
    post = make_post("three", THREE_OWN_CANVAS)
    assert open_render(page, live_server, post, mode="capture")["status"] == "ready"
    assert page.evaluate("__render.advance(800)")["status"] == "ready"
    colours = corners_and_centre(screenshot(page))
    assert near(colours["top_left"], (0x20, 0x60, 0xC0), tolerance=8)
    assert near(colours["centre"], (0xFF, 0xCC, 0x00), tolerance=8)
    assert page.evaluate("getComputedStyle(document.getElementById('canvas')).display") == "none"
    assert page.errors == []


@pytest.mark.browser
def test_shadertoy_shader_runs_with_its_uniforms_in_webgl2(live_server, page):
    post = make_post("shader", SHADERTOY)
    assert open_render(page, live_server, post)["status"] == "ready"
    colours = corners_and_centre(screenshot(page))
    assert near(colours["top_left"], (26, 51, 153), tolerance=12)  # uv.y = 1: the sky's top
    assert near(colours["bottom_left"], (255, 128, 51), tolerance=12)  # uv.y = 0: the horizon
    assert page.evaluate("document.getElementById('canvas').getContext('webgl2') !== null")
    assert page.errors == []


@pytest.mark.browser
def test_book_of_shaders_shader_runs_with_its_uniforms(live_server, page):
    post = make_post("shader", BOOK_OF_SHADERS)
    assert open_render(page, live_server, post)["status"] == "ready"
    colours = corners_and_centre(screenshot(page))
    assert near(colours["top_left"], (0, 255, 0), tolerance=6)
    assert near(colours["bottom_right"], (255, 0, 0), tolerance=6)
    assert near(colours["bottom_left"], (0, 0, 0), tolerance=6)


@pytest.mark.browser
def test_version_300_es_shader_runs(live_server, page):
    post = make_post("shader", GLSL_300_ES)
    assert open_render(page, live_server, post, mode="capture")["status"] == "ready"
    page.evaluate("__render.advance(800)")
    colours = corners_and_centre(screenshot(page))
    assert near(colours["top_left"], (0, 255, 255), tolerance=6)
    assert near(colours["bottom_left"], (0, 0, 255), tolerance=6)


NO_WEBGL2 = """
const getContext = HTMLCanvasElement.prototype.getContext;
HTMLCanvasElement.prototype.getContext = function (type, ...rest) {
  return type === "webgl2" ? null : getContext.call(this, type, ...rest);
};
"""


@pytest.mark.browser
def test_shadertoy_shader_falls_back_to_webgl1(live_server, page):
    page.add_init_script(NO_WEBGL2)
    post = make_post("shader", SHADERTOY.replace("int band = iFrame % 4;", "int band = 0;"))
    assert open_render(page, live_server, post)["status"] == "ready"
    colours = corners_and_centre(screenshot(page))
    assert near(colours["top_left"], (26, 51, 153), tolerance=12)
    assert near(colours["bottom_left"], (255, 128, 51), tolerance=12)


@pytest.mark.browser
def test_version_300_es_shader_without_webgl2_is_a_webgl_error(live_server, page):
    page.add_init_script(NO_WEBGL2)
    state = open_render(page, live_server, make_post("shader", GLSL_300_ES))
    assert state["status"] == "error"
    assert state["error"]["kind"] == "webgl"
    assert "WebGL2" in state["error"]["message"]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("source", "line"),
    [
        (SHADERTOY.replace("vec3 sky =", "vec3 sky = nope +"), 4),
        (BOOK_OF_SHADERS.replace("gl_FragColor = vec4(st.x", "gl_FragColor = vec4(st.z"), 11),
        (GLSL_300_ES.replace("fragColor = vec4(0.0", "fragColor = vec3(0.0"), 10),
    ],
    ids=["shadertoy", "book-of-shaders", "version-300-es"],
)
def test_shader_compile_error_reports_the_log_at_the_posts_line(live_server, page, source, line):
    state = open_render(page, live_server, make_post("shader", source), mode="capture")
    assert state["status"] == "error"
    assert state["error"]["kind"] == "compile"
    assert f"ERROR: line {line}:" in state["error"]["message"]
    assert page.evaluate("__render.advance(800)")["status"] == "error"


@pytest.mark.browser
def test_an_input_nothing_can_feed_and_a_missing_brace_are_reported(live_server, page):
    # A three.js ShaderMaterial fragment shader pasted on its own: its mesh's normals are not here.
    code = "\nvarying vec3 vNormal;\nvoid main() { gl_FragColor = vec4(vNormal, 1); }"
    state = open_render(page, live_server, make_post("shader", code))
    assert state["error"]["kind"] == "link"
    assert state["error"]["message"].startswith('Line 2: nothing gives the input "vec3 vNormal" a value here.')
    state = open_render(
        page, live_server, make_post("shader", "void mainImage(out vec4 c, in vec2 p) {\n  c = vec4(1.0);\n")
    )
    assert state["error"]["kind"] == "compile"
    assert "after your last line" in state["error"]["message"]


# Capture mode.


@pytest.mark.browser
def test_capturing_the_same_animated_random_sketch_twice_gives_identical_pngs(live_server, chromium):
    post = make_post("canvas", CANVAS_BALLS)
    shots = []
    for _ in range(2):
        context = chromium.new_context(viewport={"width": 640, "height": 480})
        page = context.new_page()
        open_render(page, live_server, post, mode="capture")
        assert page.evaluate("__render.advance(800)")["time"] == 800
        assert page.evaluate("window.frames_drawn") == 49  # the synchronous one and 48 frames
        shots.append(page.screenshot())
        context.close()
    assert shots[0] == shots[1]


@pytest.mark.browser
def test_math_random_is_seeded_from_the_post_in_live_mode_too(live_server, page):
    post = make_post("canvas", "window.drawn = [Math.random(), Math.random(), Math.random()];")
    open_render(page, live_server, post)
    assert page.evaluate("window.drawn") == pytest.approx(mulberry32(int(post.pk.hex[:8], 16), 3), abs=1e-12)


@pytest.mark.browser
def test_advance_moves_every_clock_to_the_capture_time(live_server, page):
    post = make_post("canvas", CANVAS_CLOCKS)
    open_render(page, live_server, post, mode="capture", t="2.5")
    capture_ms = page.evaluate("JSON.parse(document.getElementById('post-data').textContent).capture_time * 1000")
    state = page.evaluate(f"__render.advance({capture_ms})")
    assert state == {"status": "ready", "error": None, "preview": None, "time": 2500, "redraw": None, "moving": True}
    seen = page.evaluate("window.seen")
    assert seen == {"timeouts": [2500], "ticks": 2, "idle": 1, "raf": 2500, "perf": 2500, "date": 2500, "newDate": 2500}
    assert near(screenshot(page).getpixel((400, 300)), (0, 0, 255), tolerance=0)


@pytest.mark.browser
def test_capture_preview_stops_advance_and_later_timers_never_run(live_server, page):
    post = make_post("canvas", CANVAS_PREVIEW)
    open_render(page, live_server, post, mode="capture")
    state = page.evaluate("__render.advance(5000)")
    assert state["preview"]["time"] == pytest.approx(1000)
    assert state["time"] == pytest.approx(1000)
    assert page.evaluate("__render.advance(5000)")["time"] == pytest.approx(1000)
    assert page.evaluate("window.lateTimerRan") is None
    assert near(screenshot(page).getpixel((400, 300)), (0, 255, 0), tolerance=0)


COUNT_DRAWS = """
window.draws = 0;
const drawArrays = WebGL2RenderingContext.prototype.drawArrays;
WebGL2RenderingContext.prototype.drawArrays = function (...args) {
  window.draws++;
  return drawArrays.apply(this, args);
};
"""


@pytest.mark.browser
def test_shader_in_capture_mode_draws_one_frame_at_the_capture_time(live_server, page):
    page.add_init_script(COUNT_DRAWS)
    post = make_post("shader", SHADERTOY_CLOCK)
    open_render(page, live_server, post, mode="capture")
    assert page.evaluate("__render.advance(800)")["status"] == "ready"
    assert page.evaluate("window.draws") == 1
    assert near(screenshot(page).getpixel((400, 300)), (255, 0, 0), tolerance=0)


# WebGL in capture mode: frames before the captured one are not drawn unless they matter.

COUNT_CANVAS_DRAWS = """
window.canvasDraws = 0;
window.canvasClears = 0;
for (const proto of [WebGLRenderingContext.prototype, WebGL2RenderingContext.prototype]) {
  for (const name of ["drawArrays", "drawElements", "clear"]) {
    const draw = proto[name];
    proto[name] = function (...args) {
      if (this.getParameter(this.FRAMEBUFFER_BINDING) === null) {
        if (name === "clear") window.canvasClears++;
        else window.canvasDraws++;
      }
      return draw.apply(this, args);
    };
  }
}
"""
FRAME = 1000 / 60

# MDN style: raw WebGL on the given canvas, one clear colour per frame.
WEBGL_EVERY_FRAME = """const gl = canvas.getContext("webgl");
function frame(t) {
  gl.clearColor(t < 500 ? 1 : 0, 0, t < 500 ? 0 : 1, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
"""
WEBGL_ONCE = """const gl = canvas.getContext("webgl");
requestAnimationFrame(() => {
  gl.clearColor(0, 1, 0, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
});
"""
WEBGL_EVERY_TENTH_FRAME = """const gl = canvas.getContext("webgl2");
let frame = 0;
requestAnimationFrame(function draw() {
  if (frame % 10 === 0) {
    gl.clearColor(frame / 100, 0, 1 - frame / 100, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
  }
  frame++;
  requestAnimationFrame(draw);
});
"""
WEBGL_PREVIEW_AT_FRAME_NINE = """const gl = canvas.getContext("webgl");
let frame = 0;
requestAnimationFrame(function draw() {
  frame++;
  gl.clearColor(0, frame < 10 ? 1 : 0, frame < 10 ? 0 : 1, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  if (frame === 9) capturePreview();
  requestAnimationFrame(draw);
});
"""
# Reads back what it drew and brightens it by a step each frame.
WEBGL_READS_ITS_PIXELS = """const gl = canvas.getContext("webgl");
const pixel = new Uint8Array(4);
requestAnimationFrame(function draw() {
  gl.clearColor(Math.min(1, pixel[0] / 255 + 0.02), 0, 0, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
  requestAnimationFrame(draw);
});
"""
# preserveDrawingBuffer: every frame adds a stripe to what the earlier ones left.
WEBGL_PRESERVED_STRIPES = """const gl = canvas.getContext("webgl", { preserveDrawingBuffer: true });
gl.enable(gl.SCISSOR_TEST);
let frame = 0;
requestAnimationFrame(function draw() {
  gl.scissor(frame * 10, 0, 10, height);
  gl.clearColor(0, 0, 1, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  frame++;
  requestAnimationFrame(draw);
});
"""

COUNT_INSTANCED_DRAWS = """
window.instancedDraws = 0;
const getExtension = WebGLRenderingContext.prototype.getExtension;
WebGLRenderingContext.prototype.getExtension = function (name) {
  const extension = getExtension.call(this, name);
  if (extension && name === "ANGLE_instanced_arrays" && !extension.counted) {
    extension.counted = true;
    const draw = extension.drawArraysInstancedANGLE;
    extension.drawArraysInstancedANGLE = function (...args) {
      window.instancedDraws++;
      return draw.apply(this, args);
    };
  }
  return extension;
};
"""
# WebGL1 instancing through its extension: a row of squares slides right.
WEBGL_INSTANCED = """const gl = canvas.getContext("webgl");
const instancing = gl.getExtension("ANGLE_instanced_arrays");
const program = gl.createProgram();
for (const [type, source] of [
  [gl.VERTEX_SHADER, "attribute float slot; uniform float t; void main() {"
    + " gl_Position = vec4(slot * 0.4 - 0.8 + t, 0.0, 0.0, 1.0); gl_PointSize = 30.0; }"],
  [gl.FRAGMENT_SHADER, "void main() { gl_FragColor = vec4(1.0, 0.6, 0.0, 1.0); }"],
]) {
  const shader = gl.createShader(type);
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  gl.attachShader(program, shader);
}
gl.linkProgram(program);
gl.useProgram(program);
gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 1, 2, 3, 4]), gl.STATIC_DRAW);
gl.enableVertexAttribArray(0);
gl.vertexAttribPointer(0, 1, gl.FLOAT, false, 0, 0);
instancing.vertexAttribDivisorANGLE(0, 1);
requestAnimationFrame(function frame(t) {
  gl.uniform1f(gl.getUniformLocation(program, "t"), t / 4000);
  gl.clear(gl.COLOR_BUFFER_BIT);
  instancing.drawArraysInstancedANGLE(gl.POINTS, 0, 1, 5);
  requestAnimationFrame(frame);
});
"""


@pytest.mark.browser
def test_draws_through_the_instancing_extension_are_skipped_too(live_server, page):
    page.add_init_script(COUNT_INSTANCED_DRAWS)
    open_render(page, live_server, make_post("canvas", WEBGL_INSTANCED), mode="capture")

    assert page.evaluate("__render.advance(800)")["redraw"] is None
    assert page.evaluate("window.instancedDraws") == 1


@pytest.mark.browser
def test_a_canvas_being_streamed_is_drawn_in_every_frame(live_server, page):
    page.add_init_script(COUNT_CANVAS_DRAWS)
    code = "const stream = canvas.captureStream();\n" + WEBGL_EVERY_FRAME
    open_render(page, live_server, make_post("canvas", code), mode="capture")

    assert page.evaluate("__render.advance(800)")["redraw"] is None
    assert page.evaluate("window.canvasClears") == 48  # its only painting: one clear a frame


@pytest.mark.browser
def test_webgl_frames_before_the_captured_one_are_not_drawn(live_server, page):
    page.add_init_script(COUNT_CANVAS_DRAWS)
    open_render(page, live_server, make_post("three", THREE_SPHERE), mode="capture")

    state = page.evaluate("__render.advance(800)")

    assert state["redraw"] is None
    assert page.evaluate("window.canvasDraws") == 1  # the sphere, in the frame at 800 ms
    assert near(screenshot(page).getpixel((400, 300)), (0xE0, 0x40, 0x40), tolerance=60)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("code", "redraw"),
    [
        (WEBGL_EVERY_FRAME, None),
        (WEBGL_PRESERVED_STRIPES, None),
        (WEBGL_ONCE, FRAME),  # its only frame is the one the canvas shows
        (WEBGL_EVERY_TENTH_FRAME, 41 * FRAME),  # its last draw is in the 41st frame
        (WEBGL_PREVIEW_AT_FRAME_NINE, 9 * FRAME),
        (WEBGL_READS_ITS_PIXELS, FRAME),  # its first read sees a frame that was skipped
    ],
    ids=["every-frame", "preserved", "once", "every-tenth", "preview", "reads-pixels"],
)
def test_a_skipped_webgl_frame_that_matters_asks_for_a_redraw_from_its_time(live_server, page, code, redraw):
    open_render(page, live_server, make_post("canvas", code), mode="capture")

    state = page.evaluate("__render.advance(800)")

    assert state["status"] == "ready"
    assert state["redraw"] == (None if redraw is None else pytest.approx(redraw))


@pytest.mark.browser
def test_drawing_from_the_redraw_time_captures_what_every_frame_would(live_server, chromium):
    post = make_post("canvas", WEBGL_READS_ITS_PIXELS)
    shots = []
    for options in ["{ drawFrom: 0 }", f"{{ drawFrom: {FRAME} }}"]:
        context = chromium.new_context(viewport={"width": 640, "height": 480})
        page = context.new_page()
        open_render(page, live_server, post, mode="capture")
        assert page.evaluate(f"__render.advance(800, {options})")["redraw"] is None
        shots.append(screenshot(page))
        context.close()
    assert shots[0].tobytes() == shots[1].tobytes()
    assert near(shots[0].getpixel((320, 240)), (240, 0, 0), tolerance=8)  # 48 steps of 0.02


# Errors in the posted code.


@pytest.mark.browser
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("const x = 1;\nnull.x;", "TypeError: Cannot read properties of null (reading 'x') (line 2)"),
        ("function draw() {\n  ctx.fillRect(0, 0,\n}", "SyntaxError"),
        ("Promise.reject(new Error('no texture'));", "Unhandled rejection: Error: no texture"),
    ],
    ids=["exception", "syntax-error", "rejection"],
)
def test_error_in_the_code_is_reported_with_its_message(live_server, page, code, message):
    state = open_render(page, live_server, make_post("canvas", code), mode="capture")
    state = page.evaluate("__render.advance(800)")
    assert state["status"] == "error"
    assert state["error"]["kind"] == "exception"
    assert message in state["error"]["message"]


@pytest.mark.browser
def test_error_during_advance_stops_it_with_the_message(live_server, page):
    code = """function frame(t) {
  if (t > 500) throw new RangeError('too late');
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);"""
    assert open_render(page, live_server, make_post("canvas", code), mode="capture")["status"] == "ready"
    state = page.evaluate("__render.advance(2000)")
    assert state["status"] == "error"
    assert state["error"] == {"kind": "exception", "message": "RangeError: too late (line 2)"}
    assert 500 < state["time"] < 520


@pytest.mark.browser
@pytest.mark.parametrize(
    ("render_model", "code", "message"),
    [
        # Thrown by the browser under the harness's own code (capture mode wraps WebGL draws).
        ("canvas", "const gl = canvas.getContext('webgl');\ngl.drawArrays();", "only 0 present. (line 2)"),
        # Thrown inside three.js, called from the post's code.
        ("three", "const v = new THREE.Vector3();\nv.copy(null);", "of null (reading 'x') (line 2)"),
    ],
    ids=["in-the-harness", "in-three"],
)
def test_an_error_thrown_in_our_scripts_keeps_its_message(live_server, page, render_model, code, message):
    # A cross-origin script loaded without CORS would turn these into a bare "Script error.".
    state = open_render(page, live_server, make_post(render_model, code), mode="capture")
    assert state["status"] == "error"
    assert message in state["error"]["message"]


@pytest.mark.browser
def test_three_error_is_reported(live_server, page):
    state = open_render(page, live_server, make_post("three", "new THREE.NoSuchThing();"))
    assert state["status"] == "error"
    assert "THREE.NoSuchThing is not a constructor (line 1)" in state["error"]["message"]


# Live mode, framed by the site.


CONTROL = "(action) => window.frames[0].postMessage({type: 'imagesite:control', action}, '*')"


@pytest.mark.browser
def test_framed_harness_reports_to_its_parent_and_pauses_when_told(live_server, page):
    frame = embed(page, live_server, make_post("canvas", CANVAS_BALLS + "\ncapturePreview();"))
    messages = page.evaluate("window.renderMessages")
    assert all(set(m) == {"type", "status", "error", "preview"} and m["type"] == "imagesite:render" for m in messages)
    assert messages[0]["status"] == "loading" and messages[0]["preview"]["time"] >= 0  # capturePreview()
    assert messages[-1]["status"] == "ready"

    page.evaluate(CONTROL, "pause")
    frame.wait_for_function("() => window.frames_drawn > 0")
    paused_at = frame.evaluate("new Promise((r) => setTimeout(() => r(window.frames_drawn), 100))")
    assert frame.evaluate("new Promise((r) => setTimeout(() => r(window.frames_drawn), 300))") == paused_at

    page.evaluate(CONTROL, "play")
    frame.wait_for_function(f"() => window.frames_drawn > {paused_at + 3}")


@pytest.mark.browser
def test_framed_harness_reports_its_state_again_when_asked(live_server, page):
    embed(page, live_server, make_post("canvas", CANVAS_BALLS))
    before = page.evaluate("window.renderMessages.length")
    page.evaluate(CONTROL, "report")
    page.wait_for_function(f"() => window.renderMessages.length > {before}")
    assert page.evaluate("window.renderMessages.at(-1).status") == "ready"


@pytest.mark.browser
def test_control_messages_from_anyone_but_the_parent_are_ignored(live_server, page):
    frame = embed(page, live_server, make_post("canvas", CANVAS_BALLS))
    frame.evaluate("window.postMessage({type: 'imagesite:control', action: 'pause'}, '*')")
    drawn = frame.evaluate("window.frames_drawn")
    frame.wait_for_function(f"() => window.frames_drawn > {drawn + 3}")

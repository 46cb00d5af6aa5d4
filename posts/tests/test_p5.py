"""p5 posts: which p5.js runs them, and the harness running them in a real Chromium, live and in capture."""

import pytest

from posts.models import Post
from posts.render.p5 import p5_major, p5_versions
from posts.render.scripts import harness_version, model_scripts, scripts_for
from posts.tests.render_helpers import embed, make_post, near, open_render, screenshot

VERSION_2 = "// p5.js 2.x\n"  # the comment that picks p5.js 2.x (posts/render/p5.py)


@pytest.mark.parametrize(
    ("code", "major"),
    [
        ("function setup() { createCanvas(400, 400); }", "1"),  # most published sketches: 1.x
        ("let img;\nfunction preload() { img = loadImage('cat.png'); }", "1"),
        ("new p5((p) => { p.preload = () => {}; });", "1"),
        ("async function setup() { createCanvas(400, 400); }", "2"),
        ("function setup() { font = await loadFont('data:font/ttf;base64,AA'); }", "2"),
        ("p.setup = async () => {};", "2"),
        ("// made with p5.js v1.9.0\nasync function setup() {}", "1"),  # a comment naming it decides
        ("// p5@2\nfunction preload() {}", "2"),
        ("/* p5.js 2.0.1 */ function setup() {}", "2"),
        ("const v = p5.Vector; // v2.1", "1"),  # not a comment naming p5's version
    ],
)
def test_the_p5_version_is_chosen_from_the_code_by_the_documented_rule(code, major):
    assert p5_major(code) == major


def test_a_p5_post_loads_the_harness_then_its_p5_bundle_and_shows_the_version(client, db):
    one = make_post("p5", "function setup() {}")
    two = make_post("p5", VERSION_2 + "function setup() {}")

    assert scripts_for(one) == ["render/harness.js", "vendor/p5/p5-1.min.js"]
    assert scripts_for(two) == ["render/harness.js", "vendor/p5/p5-2.min.js"]
    assert one.p5_version.startswith("1.11.") and two.p5_version.startswith("2.")
    assert p5_versions() == {"1": one.p5_version, "2": two.p5_version}
    assert Post(render_model="canvas", code="").p5_version is None
    # An image's provenance names both bundles: a change to either marks p5 images stale.
    assert model_scripts("p5") == ["render/harness.js", "vendor/p5/p5-1.min.js", "vendor/p5/p5-2.min.js"]
    assert harness_version("p5") != harness_version("canvas")
    page = client.get(one.get_absolute_url()).content.decode()
    assert f"p5.js {one.p5_version}" in page
    harness = client.get(f"/posts/{two.pk}/render").content.decode()
    assert "vendor/p5/p5-2.min.js" in harness and "p5-1" not in harness


def test_the_api_takes_p5_and_filters_by_it(author_api):
    created = author_api.post(
        "/api/posts", {"title": "Dots", "render_model": "p5", "code": "function draw() {}"}, format="json"
    )
    assert created.status_code == 201
    author_api.post("/api/posts", {"title": "Other", "render_model": "canvas", "code": "ctx;"}, format="json")
    listed = author_api.get("/api/posts?render_model=p5").json()["results"]
    assert [post["title"] for post in listed] == ["Dots"]
    schema = author_api.get("/api/schema").content.decode()
    assert "- p5" in schema


def test_the_feed_has_a_p5_chip_that_filters(client, db):
    Post.objects.create(title="A sketch", render_model="p5", code="function draw() {}")
    Post.objects.create(title="A canvas", render_model="canvas", code="ctx;")
    feed = client.get("/").content.decode()
    assert 'href="/?render_model=p5"' in feed
    filtered = client.get("/?render_model=p5").content.decode()
    assert "A sketch" in filtered and "A canvas" not in filtered


# Left half red, right half blue, a yellow disc in the middle, on a canvas the size of the window.
HALVES_GLOBAL = """function setup() {
  createCanvas(windowWidth, windowHeight);
  noStroke();
}
function draw() {
  fill(255, 0, 0); rect(0, 0, width / 2, height);
  fill(0, 0, 255); rect(width / 2, 0, width / 2, height);
  fill(255, 255, 0); circle(width / 2, height / 2, min(width, height) * 0.4);
}
"""
HALVES_INSTANCE = """new p5((p) => {
  p.setup = () => { p.createCanvas(p.windowWidth, p.windowHeight); p.noStroke(); };
  p.draw = () => {
    p.fill(255, 0, 0); p.rect(0, 0, p.width / 2, p.height);
    p.fill(0, 0, 255); p.rect(p.width / 2, 0, p.width / 2, p.height);
    p.fill(255, 255, 0); p.circle(p.width / 2, p.height / 2, Math.min(p.width, p.height) * 0.4);
  };
});
"""
HALVES = [(0.1, 0.5, (255, 0, 0)), (0.9, 0.5, (0, 0, 255)), (0.5, 0.5, (255, 255, 0))]
SKETCHES = {
    "global-1": HALVES_GLOBAL,
    "instance-1": HALVES_INSTANCE,
    "global-2": VERSION_2 + HALVES_GLOBAL,
    "instance-2": VERSION_2 + HALVES_INSTANCE,
}


def pixels(image, checks):
    return [image.getpixel((round(x * (image.width - 1)), round(y * (image.height - 1)))) for x, y, _ in checks]


def shows(image, checks, tolerance=16):
    return all(
        near(seen, expected, tolerance) for seen, (_, _, expected) in zip(pixels(image, checks), checks, strict=True)
    )


@pytest.mark.browser
@pytest.mark.parametrize("sketch", SKETCHES)
def test_both_modes_on_both_versions_draw_their_pixels_in_a_capture(live_server, page, sketch):
    post = make_post("p5", SKETCHES[sketch])
    page.set_viewport_size({"width": 640, "height": 480})
    assert open_render(page, live_server, post, mode="capture")["status"] == "ready"
    state = page.evaluate("__render.advance(800)")
    assert state["status"] == "ready", state
    assert page.evaluate("p5.VERSION")[0] == sketch[-1]
    assert shows(screenshot(page), HALVES)
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("sketch", SKETCHES)
def test_both_modes_on_both_versions_run_live_in_a_frame(live_server, page, sketch):
    frame = embed(page, live_server, make_post("p5", SKETCHES[sketch]), size=(500, 300))
    assert frame.evaluate("() => __render.status") == "ready"
    for _ in range(20):  # a live frame paints when the machine lets it
        if shows(screenshot(page.locator("#render")), HALVES):
            break
        page.wait_for_timeout(100)
    assert shows(screenshot(page.locator("#render")), HALVES)
    if sketch.startswith("global"):
        assert frame.evaluate("() => [windowWidth, windowHeight, width, height]") == [500, 300, 500, 300]
    assert page.errors == []


CLOCK = """
function setup() {
  createCanvas(200, 100);
  window.seen = [];
}
function draw() {
  seen.push([frameCount, Math.round(millis()), Math.round(deltaTime), Math.round(frameRate())]);
  background(0);
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("version", ["", VERSION_2], ids=["1.x", "2.x"])
def test_millis_frame_count_and_delta_time_follow_the_virtual_clock(live_server, page, version):
    post = make_post("p5", version + CLOCK)
    open_render(page, live_server, post, mode="capture")
    page.evaluate("__render.advance(100)")
    seen = page.evaluate("seen")
    # draw() first runs in the first animation frame after setup(), then in every one: 60 a second.
    assert [frame[0] for frame in seen] == [1, 2, 3, 4, 5, 6]
    assert [frame[1] for frame in seen] == [17, 33, 50, 67, 83, 100]
    assert all(frame[2] == 17 and frame[3] == 60 for frame in seen[1:])


RANDOM = """
function setup() {
  createCanvas(100, 100);
  noLoop();
}
function draw() {
  window.drawn = [random(), noise(0.5, 0.25), randomGaussian(), shuffle([1, 2, 3, 4, 5, 6, 7, 8])];
}
"""
SEEDED = RANDOM.replace("noLoop();", "noLoop(); randomSeed(7); noiseSeed(7);")


@pytest.mark.browser
@pytest.mark.parametrize("version", ["", VERSION_2], ids=["1.x", "2.x"])
def test_random_and_noise_are_seeded_per_post_unless_the_sketch_seeds_them(live_server, page, version):
    def drawn(code, post_id):
        post = Post.objects.create(id=post_id, title="r", render_model="p5", code=version + code)
        open_render(page, live_server, post, mode="capture")
        values = page.evaluate("drawn")
        post.delete()
        return values

    first = drawn(RANDOM, "00000001-0000-4000-8000-000000000000")
    assert drawn(RANDOM, "00000001-0000-4000-8000-000000000000") == first  # the same post: the same numbers
    assert drawn(RANDOM, "00000002-0000-4000-8000-000000000000") != first  # another post: others
    seeded = drawn(SEEDED, "00000001-0000-4000-8000-000000000000")
    assert seeded == drawn(SEEDED, "00000002-0000-4000-8000-000000000000")  # the sketch's own seed wins
    assert seeded != first


@pytest.mark.browser
@pytest.mark.parametrize("version", ["", VERSION_2], ids=["1.x", "2.x"])
def test_a_no_loop_sketch_is_captured_at_its_single_frame(live_server, page, version):
    code = (
        version + "function setup() { createCanvas(100, 100); noLoop(); }\nfunction draw() { background(0, 255, 0); }"
    )
    open_render(page, live_server, make_post("p5", code, capture_time=10), mode="capture")
    state = page.evaluate("__render.advance(10000)")
    assert state["status"] == "ready" and state["preview"] == {"time": 0}
    assert page.evaluate("frameCount") == 1


@pytest.mark.browser
def test_capture_preview_and_capture_time_work_as_for_the_other_models(live_server, page):
    code = "function setup() { createCanvas(100, 100); }\nfunction draw() { if (frameCount === 30) capturePreview(); }"
    open_render(page, live_server, make_post("p5", code), mode="capture")
    assert page.evaluate("__render.advance(5000)")["preview"]["time"] == pytest.approx(500)
    assert page.evaluate("frameCount") == 30
    open_render(page, live_server, make_post("p5", "function draw() {}"), mode="capture", t="0.25")
    assert page.evaluate("__render.advance(250)")["time"] == 250
    assert page.evaluate("frameCount") == 15


FIXED = """function setup() {
  createCanvas(400, 400);
  pixelDensity(2);
}
function draw() {
  background(255, 0, 0);
  fill(0, 0, 255);
  noStroke();
  rect(150, 150, 100, 100);
}
"""


@pytest.mark.browser
def test_a_fixed_size_canvas_is_framed_whole_without_white_bars_at_one_pixel_per_pixel(live_server, page):
    page.set_viewport_size({"width": 640, "height": 480})
    open_render(page, live_server, make_post("p5", FIXED), mode="capture")
    page.evaluate("__render.advance(100)")
    image = screenshot(page)
    assert near(image.getpixel((320, 240)), (0, 0, 255))  # the middle of the canvas, in the middle
    assert near(image.getpixel((5, 240)), (255, 0, 0), 40)  # the bars continue the red edges
    assert near(image.getpixel((635, 240)), (255, 0, 0), 40)
    assert page.evaluate("[pixelDensity(), drawingContext.canvas.width]") == [1, 400]


@pytest.mark.browser
@pytest.mark.parametrize("version", ["", VERSION_2], ids=["1.x", "2.x"])
def test_saves_download_nothing_and_mouse_is_at_zero(live_server, page, version):
    code = version + (
        "function setup() { createCanvas(100, 100); background(0, 255, 0); saveCanvas('art', 'png'); "
        "save('art.png'); saveJSON({a: 1}, 'a.json'); saveStrings(['a'], 'a.txt'); "
        "window.mouse = [mouseX, mouseY, pmouseX, pmouseY]; }"
    )
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    assert open_render(page, live_server, make_post("p5", code), mode="capture")["status"] == "ready"
    assert page.evaluate("__render.advance(200)")["status"] == "ready"
    assert downloads == []
    assert page.evaluate("mouse") == [0, 0, 0, 0]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("version", "code", "message"),
    [
        (
            "",
            "function preload() { img = loadImage('https://example.com/cat.png'); }\nfunction setup() {}",
            'loadImage("https://example.com/cat.png") was refused',
        ),
        (
            "",
            "function preload() { font = loadFont('assets/Inter.ttf'); }\nfunction setup() {}",
            'loadFont("assets/Inter.ttf") was refused',
        ),
        ("", "function setup() { loadJSON('https://example.com/a.json', (data) => {}); }", "loadJSON"),
        (
            VERSION_2,
            "async function setup() { img = await loadImage('https://example.com/cat.png'); }",
            'loadImage("https://example.com/cat.png") was refused',
        ),
        (
            VERSION_2,
            "async function setup() { data = await loadJSON('/api/posts'); }",
            'loadJSON("/api/posts") was refused',
        ),
        ("", "function setup() { createCapture(VIDEO); }", "createCapture() was refused"),
    ],
    ids=["1.x-image", "1.x-font", "1.x-json", "2.x-image", "2.x-json", "capture"],
)
def test_loaders_refuse_what_the_post_does_not_carry_at_once(live_server, page, version, code, message):
    state = open_render(page, live_server, make_post("p5", version + code), mode="capture")
    assert state["status"] == "error"
    assert message in state["error"]["message"] and "(line " in state["error"]["message"]


PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
DATA_IMAGE = {
    "1.x": f"""let img;
function preload() {{ img = loadImage('{PIXEL}'); }}
function setup() {{ createCanvas(50, 50); image(img, 0, 0, 50, 50); }}""",
    "2.x": f"""{VERSION_2}let img;
async function setup() {{ img = await loadImage('{PIXEL}'); createCanvas(50, 50); image(img, 0, 0, 50, 50); }}""",
}


@pytest.mark.browser
@pytest.mark.parametrize("version", DATA_IMAGE)
def test_an_image_the_post_carries_as_a_data_url_still_loads(live_server, page, version):
    state = open_render(page, live_server, make_post("p5", DATA_IMAGE[version]), mode="capture")
    assert state["status"] == "ready", state
    assert page.evaluate("[img.width, img.height]") == [1, 1]


SOUND = """
let song, fft, osc;
function preload() { song = loadSound('https://example.com/song.mp3'); }
function setup() {
  createCanvas(200, 200);
  fft = new p5.FFT();
  osc = new p5.Oscillator('sine');
  osc.start();
  userStartAudio();
  song.loop();
}
function draw() {
  background(0, 0, 255);
  const spectrum = fft.analyze();
  for (let i = 0; i < spectrum.length; i++) rect(i, 0, 1, spectrum[i]);
  fill(255, 255, 0);
  circle(100, 100, 40 + song.getLevel() * 200);
}
"""
WEB_AUDIO = """
async function setup() {
  createCanvas(100, 100);
  const context = new AudioContext();
  await context.resume();
  const oscillator = context.createOscillator();
  oscillator.connect(context.destination);
  oscillator.start();
  window.audio = context.state;
  background(0, 255, 0);
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("code", [SOUND, VERSION_2 + WEB_AUDIO], ids=["p5.sound", "web-audio"])
def test_sound_is_silent_and_never_waits_for_a_gesture(live_server, page, code):
    page.set_viewport_size({"width": 200, "height": 200})
    state = open_render(page, live_server, make_post("p5", code), mode="capture")
    assert state["status"] == "ready", state
    assert page.evaluate("__render.advance(500)")["status"] == "ready"
    assert page.evaluate("window.audio || 'running'") == "running"
    assert screenshot(page).getpixel((100, 100)) in [(255, 255, 0), (0, 255, 0)]


WEBGL = """
const FRAG = `precision highp float;
void main() { gl_FragColor = vec4(0.0, 1.0, 0.0, 1.0); }`;
const VERT = `attribute vec3 aPosition;
uniform mat4 uModelViewMatrix;
uniform mat4 uProjectionMatrix;
void main() { gl_Position = uProjectionMatrix * uModelViewMatrix * vec4(aPosition, 1.0); }`;
let green;
function setup() {
  createCanvas(300, 300, WEBGL);
  green = createShader(VERT, FRAG);
}
function draw() {
  background(255, 0, 0);
  shader(green);
  noStroke();
  rotateZ(millis() / 1000);
  plane(100, 100);
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("version", ["", VERSION_2], ids=["1.x", "2.x"])
def test_webgl_mode_runs_its_shaders(live_server, page, version):
    page.set_viewport_size({"width": 300, "height": 300})
    open_render(page, live_server, make_post("p5", version + WEBGL), mode="capture")
    assert page.evaluate("__render.advance(800)")["status"] == "ready"
    image = screenshot(page)
    assert near(image.getpixel((150, 150)), (0, 255, 0))
    assert near(image.getpixel((10, 10)), (255, 0, 0))


@pytest.mark.browser
def test_code_that_makes_no_sketch_says_so(live_server, page):
    state = open_render(page, live_server, make_post("p5", "let x = 1;"), mode="capture")
    assert state["error"] == {
        "kind": "exception",
        "message": "No p5.js sketch: define setup() and draw(), or start one with new p5(sketch).",
    }

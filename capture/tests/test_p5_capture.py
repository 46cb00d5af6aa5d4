"""p5 posts through the worker's browser: repeatable bytes, nothing reaching out, one picture everywhere."""

import pytest
from django.contrib.auth import get_user_model

from capture.browser import PostError
from capture.tests.conftest import close_to, decode, make_post
from posts.demo import DEMOS
from posts.tests.render_helpers import embed, screenshot

pytestmark = pytest.mark.browser

P5_DEMOS = [demo for demo in DEMOS if demo.render_model == "p5"]


@pytest.mark.parametrize("demo", P5_DEMOS, ids=lambda demo: demo.file)
def test_capturing_a_p5_post_twice_gives_the_same_bytes(db, capture_browser, demo):
    post = make_post("p5", demo.code)
    # The worker's default timeout (20 s), not the tests' short one: 48 frames of a flow field, busy machine.
    first = capture_browser.capture(post, size=(640, 480), timeout=20)
    second = capture_browser.capture(post, size=(640, 480), timeout=20)
    assert first == second
    assert close_to(decode(first).getpixel((320, 240)), demo.centre, 40)


REMOTE = {
    "1.x": "let img;\nfunction preload() { img = loadImage('http://127.0.0.1:%(port)s/cat.png'); }\n"
    "function setup() { createCanvas(100, 100); image(img, 0, 0); }",
    "2.x": "// p5.js 2.x\nlet img;\nasync function setup() {\n  createCanvas(100, 100);\n"
    "  img = await loadImage('http://127.0.0.1:%(port)s/cat.png');\n  image(img, 0, 0);\n}",
}


@pytest.mark.parametrize("version", REMOTE)
def test_a_remote_load_image_is_refused_at_once_and_reaches_nothing(db, capture_browser, canary, version):
    post = make_post("p5", REMOTE[version] % {"port": canary.port})
    # The post's own error, named by its line, well within the capture's timeout: p5 1.x's preload()
    # would otherwise wait for the image until the worker stopped it.
    with pytest.raises(PostError) as error:
        capture_browser.capture(post, size=(320, 240))
    line = 2 if version == "1.x" else 5
    message = str(error.value)
    assert f'loadImage("http://127.0.0.1:{canary.port}/cat.png") was refused: a post cannot load' in message
    assert message.endswith(f"Draw it in the code, or give it as a data: URL. (line {line})")
    assert canary.hits == 0


# Left half red, right half blue, a yellow disc in the middle, on a canvas the size of the window.
HALVES = """function setup() {
  createCanvas(windowWidth, windowHeight);
  noStroke();
}
function draw() {
  fill(255, 0, 0); rect(0, 0, width / 2, height);
  fill(0, 0, 255); rect(width / 2, 0, width / 2, height);
  fill(255, 255, 0); circle(width / 2, height / 2, min(width, height) * 0.4);
}
"""
CHECKS = [(0.1, 0.5, (255, 0, 0)), (0.9, 0.5, (0, 0, 255)), (0.5, 0.5, (255, 255, 0)), (0.3, 0.2, (255, 0, 0))]


def seen(image):
    return [image.getpixel((round(x * (image.width - 1)), round(y * (image.height - 1)))) for x, y, _ in CHECKS]


def agrees(image):
    return all(close_to(colour, expected, 16) for colour, (_, _, expected) in zip(seen(image), CHECKS, strict=True))


@pytest.mark.parametrize("version", ["", "// p5.js 2.x\n"], ids=["1.x", "2.x"])
def test_the_live_view_the_upload_preview_and_the_worker_agree(
    transactional_db, live_server, page, capture_browser, version
):
    get_user_model().objects.create_user("ada", password="correct horse battery staple")
    post = make_post("p5", version + HALVES)

    captured = decode(capture_browser.capture(post, size=(640, 480)))
    assert agrees(captured), seen(captured)

    embed(page, live_server, post, size=(640, 480))
    for _ in range(20):  # a live frame paints when the machine lets it
        live = screenshot(page.locator("#render"))
        if agrees(live):
            break
        page.wait_for_timeout(100)
    assert agrees(live), seen(live)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/posts/new")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "correct horse battery staple")
    page.click("form.stack-form button[type=submit]")
    page.wait_for_url("**/posts/new")
    page.select_option("#id_render_model", "p5")
    page.evaluate(
        "(code) => { const form = document.getElementById('post-form'); form.elements.code.value = code;"
        " form.requestSubmit(document.getElementById('preview-button')); }",
        version + HALVES,
    )
    frame = page.locator("#preview-frame")
    for _ in range(50):
        preview = screenshot(frame)
        if agrees(preview):
            break
        page.wait_for_timeout(100)
    assert agrees(preview), seen(preview)

"""Posts in the styles people paste (posts/tests/fidelity), run live as a viewer's browser runs them."""

import json
import re

import pytest

from posts.tests.fidelity import EXAMPLES
from posts.tests.render_helpers import embed, make_post, near, open_render, screenshot


def test_a_byte_order_mark_is_kept_as_posted_but_never_run(author_api, client):
    code = "\ufeffvoid mainImage(out vec4 c, in vec2 p) { c = vec4(1.0); }"
    created = author_api.post("/api/posts", {"title": "BOM", "render_model": "shader", "code": code}, format="json")
    post_id = created.json()["id"]
    assert author_api.get(f"/api/posts/{post_id}").json()["code"] == code
    page = client.get(f"/posts/{post_id}/render").content.decode()
    data = json.loads(re.search(r'<script id="post-data" type="application/json">(.*?)</script>', page)[1])
    assert data["code"] == code.removeprefix("\ufeff")


@pytest.mark.browser
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.file)
def test_each_habit_runs_live_with_the_pixels_its_author_saw(live_server, chromium, example):
    width, height = example.size
    scale = example.device_scale_factor
    context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page = context.new_page()
    post = make_post(example.render_model, example.code, html=example.html)

    if scale == 1:
        # Framed the way the post page frames it.
        frame = embed(page, live_server, post, size=example.size)
        assert frame.evaluate("() => __render.status") == "ready"
    else:
        # Opened on its own: Playwright's emulated pixel ratio does not reach a sandboxed (out-of-process) frame.
        assert open_render(page, live_server, post)["status"] == "ready"
        assert page.evaluate("devicePixelRatio") == scale
    page.wait_for_timeout(max(example.live_after_ms, 200))
    checks = example.live_checks or example.checks
    for _ in range(15):  # on a busy machine the fill around the art may follow a little later: look again
        image = screenshot(page.locator("#render") if scale == 1 else page)
        seen = [image.getpixel((round(x * (image.width - 1)), round(y * (image.height - 1)))) for x, y, _ in checks]
        if all(near(colour, expected, 16) for colour, (_, _, expected) in zip(seen, checks, strict=True)):
            break
        page.wait_for_timeout(200)
    assert image.size == (width * scale, height * scale)
    assert all(near(colour, expected, 16) for colour, (_, _, expected) in zip(seen, checks, strict=True)), seen
    context.close()


LOAD_LISTENERS = """
window.onload = () => {
  ctx.fillStyle = "#00ff00";
  ctx.fillRect(0, 0, width / 2, height);
};
document.addEventListener("DOMContentLoaded", () => {
  ctx.fillStyle = "#0000ff";
  ctx.fillRect(width / 2, 0, width / 2, height);
});
window.addEventListener("load", { handleEvent(event) { window.loaded = event.type; } });
addEventListener("load", function () { window.bare = this === window; });
"""


@pytest.mark.browser
def test_load_listeners_run_when_the_code_starts_after_the_page_has_loaded(live_server, page):
    # A frame left at the iframe default of 300x150 waits two seconds for its size, then runs the
    # code: DOMContentLoaded and load have long passed by then.
    frame = embed(page, live_server, make_post("canvas", LOAD_LISTENERS), size=(300, 150))

    state = frame.evaluate("() => [__render.status, document.readyState, window.loaded, window.bare]")
    assert state == ["ready", "complete", "load", True]
    image = screenshot(page.locator("#render"))
    assert near(image.getpixel((75, 75)), (0, 255, 0))
    assert near(image.getpixel((225, 75)), (0, 0, 255))


@pytest.mark.browser
def test_a_framed_sketch_sees_the_frames_size_and_pixel_ratio(live_server, page):
    code = "window.seen = [innerWidth, innerHeight, devicePixelRatio, canvas.width, canvas.height];"
    frame = embed(page, live_server, make_post("canvas", code), size=(500, 280))

    assert frame.evaluate("() => window.seen") == [500, 280, 1, 500, 280]


@pytest.mark.browser
def test_a_live_svg_fills_its_frame_again_when_the_frame_is_resized(live_server, chromium):
    page = chromium.new_context(viewport={"width": 1200, "height": 630}).new_page()
    (gradient,) = [example for example in EXAMPLES if example.file == "gradient-640x480.svg"]
    embed(page, live_server, make_post("svg", gradient.code), size=(640, 480))  # its own shape: no bars
    page.evaluate("() => Object.assign(document.getElementById('render'), { width: 1200, height: 630 })")
    page.wait_for_timeout(300)

    image = screenshot(page.locator("#render"))
    assert image.size == (1200, 630)
    assert near(image.getpixel((36, 315)), (255, 0, 102), tolerance=16)  # each bar continues its own edge
    assert near(image.getpixel((1163, 315)), (51, 0, 255), tolerance=16)
    page.context.close()

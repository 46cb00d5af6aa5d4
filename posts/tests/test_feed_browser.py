"""The feed, post page and upload form in a real Chromium, looked at as a reader would."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from posts.images.storage import image_fields
from posts.models import Post, PostImage, PostImageJob
from posts.tests.conftest import png_bytes
from posts.tests.render_helpers import fill_code
from posts.views import LIVE_PREVIEW_CAP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED, GREEN = (230, 20, 20), (20, 200, 40)
GREEN_CANVAS = "ctx.fillStyle = 'rgb(20, 200, 40)'; ctx.fillRect(0, 0, width, height);"
SHADER = "void mainImage(out vec4 c, in vec2 p) { c = vec4(0.1, 0.3, 0.9, 1.0); }"
# Counts live frames from the first moment, so no peak between two samples is missed.
COUNT_FRAMES = """
window.__maxFrames = 0;
new MutationObserver(() => {
  window.__maxFrames = Math.max(window.__maxFrames, document.querySelectorAll('iframe').length);
}).observe(document, {childList: true, subtree: true});
"""
SHORT_LOAD_TIMEOUT = """
new MutationObserver((_, observer) => {
  const grid = document.querySelector('.grid');
  if (grid) { grid.dataset.loadTimeout = '1500'; observer.disconnect(); }
}).observe(document, {childList: true, subtree: true});
"""


def make_post(user, title, *, render_model="canvas", code=GREEN_CANVAS, minutes=0, thumb=None):
    post = Post.objects.create(
        author=user,
        title=title,
        render_model=render_model,
        code=code,
        created_at=timezone.now() - timedelta(hours=1) + timedelta(minutes=minutes),
    )
    if thumb:
        PostImage.objects.create(post=post, kind="thumb", **image_fields(png_bytes((640, 480), thumb)))
    return post


def pixel_at_centre(page, selector):
    box = page.locator(selector).bounding_box()
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    return shot.getpixel((int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2)))


def close_to(colour, expected, tolerance=30):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def shows_colour(page, selector, expected, attempts=50):
    """True once the centre of `selector` shows `expected`: frames fade in and paint when the machine lets them."""
    for _ in range(attempts):
        if close_to(pixel_at_centre(page, selector), expected):
            return True
        page.wait_for_timeout(200)
    return False


def card(post):
    return f'.card:has(a[href="{post.get_absolute_url()}"])'


def test_cards_with_thumbnails_show_their_images_and_no_live_frame(live_server, page, user):
    posts = [make_post(user, f"red {n}", minutes=n, thumb=RED) for n in range(3)]
    page.goto(live_server.url + "/")
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    page.wait_for_timeout(300)
    assert page.locator("iframe").count() == 0
    assert close_to(pixel_at_centre(page, f"{card(posts[-1])} img"), RED)
    img = page.locator(f"{card(posts[0])} img")
    assert img.get_attribute("loading") == "lazy"
    assert page.errors == []


def test_a_card_whose_image_fails_falls_back_to_the_live_render(live_server, page, user):
    post = make_post(user, "green", thumb=RED)
    page.route("**/api/posts/*/image*", lambda route: route.abort())
    page.goto(live_server.url + "/")
    frame = page.locator(f"{card(post)} iframe")
    frame.wait_for(state="attached")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    assert "allow-same-origin" not in (frame.get_attribute("sandbox") or "")
    page.locator(f"{card(post)}.is-live").wait_for()
    assert shows_colour(page, f"{card(post)} .card-media", GREEN)
    assert page.errors == []


def test_imageless_cards_go_live_only_in_view_and_never_more_than_the_cap(live_server, page, user):
    posts = [make_post(user, f"shader {n}", render_model="shader", code=SHADER, minutes=n) for n in range(30)]
    page.add_init_script(COUNT_FRAMES)
    page.goto(live_server.url + "/")
    page.locator(".card iframe").first.wait_for(state="attached")
    newest, last_on_page = posts[-1], posts[-24]
    assert page.locator(f"{card(newest)} iframe").count() == 1
    assert page.locator(f"{card(last_on_page)} iframe").count() == 0  # far below the fold

    for _ in range(25):
        page.mouse.wheel(0, 350)
        page.wait_for_timeout(150)
    page.locator(f"{card(last_on_page)} iframe").wait_for(state="attached")
    page.wait_for_timeout(2000)  # frames that left the view are unmounted after a grace period

    assert 0 < page.evaluate("window.__maxFrames") <= LIVE_PREVIEW_CAP
    assert page.locator("iframe").count() <= LIVE_PREVIEW_CAP
    assert page.locator(f"{card(newest)} iframe").count() == 0  # scrolled away, so unmounted
    assert page.errors == []


def test_pointing_at_a_card_plays_it_live_and_leaving_shows_the_image_again(live_server, page, user):
    post = make_post(user, "green behind red", thumb=RED)
    page.goto(live_server.url + "/")
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    page.hover(f"{card(post)} .card-link")
    page.locator(f"{card(post)}.is-live").wait_for()
    assert shows_colour(page, f"{card(post)} .card-media", GREEN)

    page.mouse.move(0, 0)
    assert shows_colour(page, f"{card(post)} .card-media", RED)
    page.locator(f"{card(post)} iframe").wait_for(state="detached")


def test_a_post_that_is_not_ready_in_time_is_stopped(live_server, page, user):
    # A first frame of a second (real time, within the loop budget), against a load timeout of 0.3 s.
    slow = "const until = performance.now() + 1000;\nwhile (performance.now() < until) {}\n" + GREEN_CANVAS
    post = make_post(user, "slow", code=slow)
    page.add_init_script(SHORT_LOAD_TIMEOUT.replace("'1500'", "'300'"))
    page.goto(live_server.url + "/")
    page.locator(f"{card(post)} iframe").wait_for(state="attached")
    status = page.locator(f"{card(post)} .card-status")
    status.wait_for(state="visible", timeout=10000)
    assert "took too long" in status.text_content()
    assert page.locator(f"{card(post)} iframe").count() == 0
    assert page.evaluate("1 + 1") == 2


def test_errors_from_the_code_are_shown_as_text(live_server, page, user):
    post = make_post(user, "thrower", code="throw new Error('<img src=x onerror=\"parent.x=1\">boom');")
    page.goto(live_server.url + "/")
    status = page.locator(f"{card(post)} .card-status")
    status.wait_for(state="visible")
    assert "<img src=x" in status.text_content() and "boom" in status.text_content()
    assert page.locator(f"{card(post)} .card-status *").count() == 0
    assert page.locator(f"{card(post)} iframe").count() == 0


def test_messages_not_from_the_cards_frame_or_not_in_the_documented_shape_are_ignored(live_server, page, user):
    # The posted code itself sends a message with an extra field, then draws as usual.
    spoof = (
        "parent.postMessage({type: 'imagesite:render', status: 'error', error: {kind: 'x', message: 'spoof'},"
        " preview: null, extra: 1}, '*');" + GREEN_CANVAS
    )
    post = make_post(user, "spoofer", code=spoof)
    page.goto(live_server.url + "/")
    page.locator(f"{card(post)}.is-live").wait_for()
    # A message in the right shape, but from the feed's own window rather than the card's frame.
    page.evaluate(
        "window.postMessage({type: 'imagesite:render', status: 'error',"
        " error: {kind: 'x', message: 'forged'}, preview: null}, '*')"
    )
    page.wait_for_timeout(300)
    assert page.locator(f"{card(post)} .card-status").is_hidden()
    assert page.locator(f"{card(post)} iframe").count() == 1


def test_feed_without_javascript_still_shows_titles_images_and_links(live_server, chromium, user):
    with_image = make_post(user, "with image", thumb=RED, minutes=1)
    without = make_post(user, "without image", render_model="svg", code="<svg xmlns='http://www.w3.org/2000/svg'/>")
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 800, "height": 600})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        assert page.locator(".card-title").all_text_contents() == ["with image", "without image"]
        assert close_to(pixel_at_centre(page, f"{card(with_image)} img"), RED)
        assert page.locator(f"{card(without)} noscript").count() == 1
        placeholder = page.locator(f"{card(without)} .card-placeholder")
        assert "The live preview needs JavaScript." in placeholder.inner_text()
        assert page.locator("iframe").count() == 0
        page.click("a.filter[href='/?render_model=svg']")
        assert page.locator(".card-title").all_text_contents() == ["without image"]
        page.click(f"a[href='{without.get_absolute_url()}']")
        assert page.locator("h1").text_content() == "without image"
    finally:
        context.close()


def test_post_page_runs_the_code_large_and_copies_it(live_server, page, user):
    post = make_post(user, "green")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + post.get_absolute_url())
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
    assert page.locator("iframe#post-render").get_attribute("sandbox") == "allow-scripts"
    assert shows_colour(page, "iframe#post-render", GREEN)
    page.click("#copy-code")
    assert page.evaluate("navigator.clipboard.readText()") == GREEN_CANVAS
    assert page.errors == []


def test_post_page_shows_the_compile_log_as_text(live_server, page, user):
    post = make_post(user, "broken", render_model="shader", code="void mainImage(out vec4 c, in vec2 p) { c = <b>; }")
    page.goto(live_server.url + post.get_absolute_url())
    error = page.locator("#render-error")
    error.wait_for(state="visible")
    assert "compile" in error.text_content()
    assert page.locator("#render-error *").count() == 0
    assert "error" in page.locator("#render-status").text_content()


def test_upload_form_previews_the_draft_and_publishes_it(live_server, page, user):
    # Wide enough for the preview to sit beside the form: an off-screen frame gets no animation frames.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/posts/new")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "correct horse battery staple")
    page.click("form.stack-form button[type=submit]")
    page.wait_for_url("**/posts/new")
    page.fill("#id_title", "Green field")
    page.select_option("#id_render_model", "canvas")
    fill_code(page, GREEN_CANVAS)
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
    assert shows_colour(page, "#preview-frame", GREEN)
    page.click("button.button-primary")
    page.wait_for_url("**/posts/*-*")
    assert page.locator("h1").text_content() == "Green field"
    assert Post.objects.get().title == "Green field"
    assert page.errors == []


def test_a_canvas_post_fills_its_frame_even_when_the_stylesheet_arrives_late(live_server, page, user):
    post = make_post(user, "green, late style")

    def slow_stylesheet(route):
        page.wait_for_timeout(1500)  # the frame starts before the page's stylesheet sizes it
        route.continue_()

    page.route("**/site/site.css", slow_stylesheet)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + post.get_absolute_url())
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
    box = page.locator("iframe#post-render").bounding_box()
    assert box["width"] > 600
    assert shows_colour(page, "iframe#post-render", GREEN)
    frame = page.frame_locator("iframe#post-render")
    assert frame.locator("canvas").evaluate("c => c.width") == int(box["width"])


def test_a_post_whose_capture_failed_runs_only_from_its_play_button(live_server, page, user):
    failed = make_post(user, "failed capture", minutes=1)
    PostImageJob.objects.create(post=failed, kind="thumb", status="failed", attempts=3, last_error="exception: boom")
    waiting = make_post(user, "waiting for its capture")
    PostImageJob.objects.create(post=waiting, kind="thumb")
    page.goto(live_server.url + "/")
    page.locator(f"{card(waiting)}.is-live").wait_for()  # no image yet: it runs live as before
    page.wait_for_timeout(500)
    assert page.locator(f"{card(failed)} iframe").count() == 0
    assert "Its capture failed." in page.locator(f"{card(failed)} .card-placeholder").text_content()
    page.hover(f"{card(failed)} .card-link")  # pointing at it is not asking for it
    page.wait_for_timeout(500)
    assert page.locator(f"{card(failed)} iframe").count() == 0

    page.click(f"{card(failed)} .card-play")
    page.locator(f"{card(failed)}.is-live").wait_for()
    assert shows_colour(page, f"{card(failed)} .card-media", GREEN)
    assert page.locator(f"{card(failed)} .card-play").is_hidden()

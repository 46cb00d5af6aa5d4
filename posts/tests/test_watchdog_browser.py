"""A hanging post harms nobody else: the feed, the post page and the upload preview each recover by themselves.

Two kinds of hang: a loop (the harness's loop guard stops it within seconds) and a flood of promise
callbacks, which has no loop to guard and freezes its renderer, and with it every frame that shares
it, until the page's watchdog removes the frames.
"""

import pytest
from django.conf import settings

from posts.models import Post, PostImageJob
from posts.tests.render_helpers import fill_code
from posts.tests.test_feed_browser import GREEN, GREEN_CANVAS, card, shows_colour

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOOP = "ctx.fillRect(0, 0, 1, 1);\nwhile (true) {}"
FLOOD = "(function spin() { Promise.resolve().then(spin); })();"  # no loop: the guard cannot see it


def shorter_hang_timeout(selector, ms):
    """An init script that gives the watchdog of `selector`'s page a shorter patience (its data-hang-timeout)."""
    return f"""new MutationObserver((_, observer) => {{
  const element = document.querySelector({selector!r});
  if (element) {{ element.dataset.hangTimeout = '{ms}'; observer.disconnect(); }}
}}).observe(document, {{childList: true, subtree: true}});"""


def make_post(title, code, minutes=0):
    from datetime import timedelta

    from django.utils import timezone

    return Post.objects.create(
        title=title, render_model="canvas", code=code, created_at=timezone.now() + timedelta(minutes=minutes)
    )


def status_says(page, text, timeout=30000):
    page.wait_for_function(
        f"() => document.getElementById('render-status').textContent.includes({text!r})", timeout=timeout
    )


@pytest.fixture
def signed_in(page, live_server, client, django_user_model):
    user = django_user_model.objects.create(username="author")
    client.force_login(user)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    page.context.add_cookies([{**cookie, "url": live_server.url}])
    page.set_viewport_size({"width": 1280, "height": 900})  # the preview beside the form, on screen
    return user


def test_a_looping_post_in_the_feed_leaves_its_neighbours_running(live_server, page):
    looping = make_post("loops", LOOP, minutes=1)
    healthy = [make_post(f"green {n}", GREEN_CANVAS, minutes=-n) for n in range(2)]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/")
    status = page.locator(f"{card(looping)} .card-status")
    status.wait_for(state="visible")
    assert "infinite loop at line 2" in status.text_content()
    for post in healthy:
        page.locator(f"{card(post)}.is-live").wait_for()
        assert shows_colour(page, f"{card(post)} .card-media", GREEN)
        assert page.locator(f"{card(post)} .card-status").is_hidden()


def test_a_post_that_freezes_its_renderer_in_the_feed_is_found_and_its_neighbours_run(live_server, page):
    flooding = make_post("floods", FLOOD, minutes=1)
    healthy = [make_post(f"green {n}", GREEN_CANVAS, minutes=-n) for n in range(2)]
    page.add_init_script(shorter_hang_timeout(".grid", 4000))
    page.goto(live_server.url + "/")
    # All three share the frozen renderer; each runs again alone, and the one that freezes it alone is stopped.
    status = page.locator(f"{card(flooding)} .card-status")
    status.wait_for(state="visible", timeout=60000)
    assert "stopped responding" in status.text_content()
    for post in healthy:
        page.locator(f"{card(post)}.is-live").wait_for(timeout=30000)
        assert page.locator(f"{card(post)} .card-status").is_hidden()
    assert page.locator(f"{card(flooding)} iframe").count() == 0


def test_a_looping_post_page_finishes_loading_and_says_why(live_server, page):
    post = make_post("loops", LOOP)
    page.goto(live_server.url + post.get_absolute_url(), wait_until="load")
    status_says(page, "error")
    assert page.locator("#render-error").text_content().startswith("exception: infinite loop at line 2: ")


def test_a_post_page_whose_code_freezes_its_renderer_stops_it_and_says_why(live_server, page):
    post = make_post("floods", FLOOD)
    page.add_init_script(shorter_hang_timeout("#render-status", 3000))
    page.goto(live_server.url + post.get_absolute_url(), wait_until="load")
    status_says(page, "stopped responding")
    assert page.locator("iframe").count() == 0
    assert page.evaluate("document.readyState") == "complete"


def test_a_post_page_whose_capture_failed_runs_its_code_only_when_asked(live_server, page):
    post = make_post("hung the worker", GREEN_CANVAS)
    PostImageJob.objects.create(post=post, kind="thumb", status="failed", attempts=2, last_error="timed out")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + post.get_absolute_url(), wait_until="load")
    page.locator("#post-run").wait_for()
    stage = page.locator(".stage-failed").text_content()
    assert stage.startswith("Its capture failed.So its code does not run by itself")
    assert not [url for url in requested if f"/posts/{post.pk}/render" in url]  # the post's code never loaded

    page.click("#post-run")
    status_says(page, "Running live.")
    assert page.locator(".stage-failed").count() == 0
    assert page.locator("#post-run").count() == 0


@pytest.mark.parametrize(("draft", "says"), [(LOOP, "infinite loop at line 2"), (FLOOD, "stopped responding")])
def test_the_upload_preview_recovers_by_itself_once_the_code_is_fixed(live_server, page, signed_in, draft, says):
    page.add_init_script(shorter_hang_timeout("#render-status", 3000))
    page.goto(live_server.url + "/posts/new")
    page.select_option("#id_render_model", "canvas")
    fill_code(page, draft)
    page.wait_for_function(
        f"() => (document.getElementById('render-status').textContent"
        f" + document.getElementById('render-error').textContent).includes({says!r})"
    )
    fill_code(page, GREEN_CANVAS)
    status_says(page, "Running live")
    assert shows_colour(page, "#preview-frame", GREEN)

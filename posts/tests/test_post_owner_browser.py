"""The author's post page in a real Chromium: the captured thumbnail appears without a reload."""

import pytest
from django.test import Client

from posts import jobs, services
from posts.images.storage import save_image
from posts.models import Post
from posts.tests.conftest import CIRCLE_SVG, png_bytes
from posts.tests.render_helpers import fill_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_the_author_sees_the_thumbnail_appear_when_it_is_captured_without_a_reload(live_server, page, user):
    post = services.post_create(author=user, title="Red circle", render_model="svg", code=CIRCLE_SVG)
    log_in(page, live_server, user)
    page.goto(live_server.url + post.get_absolute_url())
    page.evaluate("window.__sameDocument = true")
    assert page.locator("#capture-thumb").is_hidden()
    assert page.locator('tr[data-kind="thumb"] .status').text_content() == "pending"

    for job in jobs.claim_due_jobs(worker_id="w", limit=2):  # the worker's part
        jobs.mark_success(job, worker_id="w")
        save_image(post=post, kind=job.kind, data=png_bytes((640, 480), (20, 200, 40)))

    page.wait_for_function("() => document.getElementById('capture-thumb').naturalWidth === 640", timeout=20000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("#capture-thumb").get_attribute("src") == post.images.get(kind="thumb").url
    assert page.locator('tr[data-kind="thumb"] .status').text_content() == "success"
    assert page.locator('tr[data-kind="og"] [data-cell="stored"] a').text_content().startswith("640×480 PNG")
    assert page.locator("#capture-waiting").is_hidden()
    assert page.errors == []


def test_the_public_post_page_has_no_job_table(live_server, page, user):
    post = services.post_create(author=user, title="Red circle", render_model="svg", code=CIRCLE_SVG)

    page.goto(live_server.url + post.get_absolute_url())

    assert page.locator("h1").text_content() == "Red circle"
    assert page.locator("#post-capture, .capture-table, #edit-post").count() == 0
    assert page.errors == []


def test_the_edit_form_previews_the_changed_code_and_saves_it(live_server, page, user):
    post = services.post_create(author=user, title="Red circle", render_model="svg", code=CIRCLE_SVG)
    log_in(page, live_server, user)
    page.set_viewport_size({"width": 1280, "height": 900})  # the preview beside the form, on screen
    page.goto(live_server.url + f"/posts/{post.pk}/edit")
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")

    fill_code(page, CIRCLE_SVG.replace("#e33", "#3a3"))
    page.fill("#id_title", "Green circle")
    page.click("button.button-primary")

    page.wait_for_url(f"**/posts/{post.pk}")
    assert page.locator("h1").text_content() == "Green circle"
    assert "#3a3" in Post.objects.get().code
    assert page.errors == []

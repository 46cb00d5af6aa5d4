"""What the pages look like at a laptop's and a phone's width, in English and Korean, measured in a
real Chromium: element boxes, not pixels, so the assertions say what a person would see."""

import pytest
from django.conf import settings

from posts import services
from posts.models import Post, PostImageJob
from posts.tests.test_feed_browser import GREEN, SHADER, make_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAILS = "const ctx2 = canvas.getContext('2d');\nundefinedFunction(ctx2);\n"
LAPTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def korean(chromium):
    context = chromium.new_context(locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def boxes(page, selector):
    return page.locator(selector).evaluate_all(
        "elements => elements.map(e => e.getBoundingClientRect()).map(r => ({x: r.x, y: r.y, w: r.width, h: r.height}))"
    )


def test_cards_in_a_row_are_as_tall_and_their_meta_is_one_line(live_server, page, django_user_model):
    author = django_user_model.objects.create(username="a-rather-long-username-for-a-card")
    make_post(author, "Shader", render_model="shader", code=SHADER, thumb=GREEN, minutes=3)
    make_post(author, "Canvas", thumb=GREEN, minutes=2)
    make_post(author, "Another shader", render_model="shader", code=SHADER, thumb=GREEN, minutes=1)
    make_post(None, "No author", thumb=GREEN)
    # "GLSL shader" and "1 hour, 4 minutes ago" beside a short name: the name stays whole.
    mallory = django_user_model.objects.create(username="mallory")
    make_post(mallory, "Old shader", render_model="shader", code=SHADER, thumb=GREEN, minutes=-4)
    failed = services.post_create(
        author=author, title="Capture failed", render_model="canvas", code=FAILS, capture_time=1, html=""
    )
    PostImageJob.objects.filter(post=failed).update(status="failed", last_error="exception: no")
    for viewport in (LAPTOP, {"width": 1000, "height": 800}, PHONE):
        page.set_viewport_size(viewport)
        page.goto(live_server.url + "/")
        cards = boxes(page, ".card")
        rows = {}
        for card in cards:
            rows.setdefault(round(card["y"]), []).append(card["h"])
        assert all(max(heights) - min(heights) < 1 for heights in rows.values()), (viewport, rows)
        # The play button of the card whose capture failed sits on its picture: no body is taller.
        assert page.locator(".card-play:not([hidden])").count() == 1
        assert len({round(body["h"]) for body in boxes(page, ".card-body")}) == 1
        metas = boxes(page, ".card-meta")
        assert max(meta["h"] for meta in metas) < 30, metas  # one line (a badge's height), never two
        # A shader's long badge and an old post's long age leave the author's name whole (the age gives way).
        name = page.locator(".card-author", has_text="mallory")
        assert name.evaluate("(el) => el.scrollWidth <= el.clientWidth"), viewport
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_filter_chips_stay_in_one_row_on_a_phone(live_server, page, korean, language, db):
    page = korean if language == "ko" else page
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    chips = boxes(page, ".filter")
    assert len({round(chip["y"]) for chip in chips}) == 1  # none alone on a second line
    assert (
        page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    )  # the row scrolls, not the page
    labels = page.locator(".filter").all_inner_texts()
    if language == "ko":
        assert labels == ["전체", "SVG", "캔버스 2D", "three.js", "GLSL 셰이더", "p5.js"]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_no_separator_dangles_under_the_post_title_on_a_phone(live_server, page, korean, language, django_user_model):
    page = korean if language == "ko" else page
    post = make_post(django_user_model.objects.create(username="someone-with-a-long-name"), "Dots", thumb=GREEN)
    for viewport in (PHONE, LAPTOP):
        page.set_viewport_size(viewport)
        page.goto(live_server.url + post.get_absolute_url())
        # Every "·" is drawn before an item, on the item's line: none ends a line.
        separators = page.locator(".post-meta .meta-item").evaluate_all(
            "items => items.map(item => getComputedStyle(item, '::before').content)"
        )
        text = page.inner_text(".post-meta")
        assert "·" not in text.replace("\n", " ").split()[-1]
        assert not any(line.rstrip().endswith("·") for line in text.splitlines())
        if viewport is PHONE:
            assert separators == ["none", "none"]
        else:
            assert separators == ['"·"', '"·"']


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE])
def test_the_published_banner_is_as_wide_as_the_post(live_server, page, client, django_user_model, viewport):
    user = django_user_model.objects.create(username="author")
    client.force_login(user)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    page.context.add_cookies([{**cookie, "url": live_server.url}])
    page.set_viewport_size(viewport)
    page.goto(live_server.url + "/posts/new")
    page.fill("#id_title", "Banner")
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
    page.click("button.button-primary[type=submit]")
    page.wait_for_selector(".message-success")
    (banner,) = boxes(page, ".messages")
    (column,) = boxes(page, ".post")
    assert banner["x"] >= column["x"] - 0.5 and banner["x"] + banner["w"] <= column["x"] + column["w"] + 0.5


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE])
def test_a_failing_post_shows_a_placeholder_with_its_error_not_a_blank_frame(
    live_server, page, korean, language, viewport, db
):
    page = korean if language == "ko" else page
    page.set_viewport_size(viewport)
    post = Post.objects.create(title="Fails", render_model="canvas", code=FAILS)
    page.goto(live_server.url + post.get_absolute_url())
    page.wait_for_selector(".post-stage.is-failed .stage-failed", timeout=20000)
    placeholder = page.locator(".stage-failed")
    assert "undefinedFunction is not defined" in placeholder.inner_text()
    heading = {"en": "The code stopped, so there is nothing to show.", "ko": "코드가 멈춰서 보여 줄 것이 없습니다."}
    assert heading[language] in placeholder.inner_text()
    assert page.eval_on_selector("#post-render", "frame => getComputedStyle(frame).visibility") == "hidden"
    stage, shown = boxes(page, ".post-stage")[0], boxes(page, ".stage-failed")[0]
    assert abs(stage["w"] - shown["w"]) < 3 and abs(stage["h"] - shown["h"]) < 3  # covers the whole stage
    colour = page.eval_on_selector(".stage-failed", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(31, 35, 44)"  # the site's --surface-2, not a white page


def test_a_feed_card_whose_code_fails_keeps_its_height_and_shows_the_error_on_its_picture(
    live_server, page, django_user_model
):
    author = django_user_model.objects.create(username="author")
    make_post(author, "Runs", thumb=GREEN, minutes=1)
    failing = make_post(author, "Fails")
    failing.code = FAILS
    failing.save()
    page.set_viewport_size(LAPTOP)
    page.goto(live_server.url + "/")
    card = page.locator(".card", has_text="Fails")
    card.locator(".card-status:not([hidden])").wait_for(timeout=20000)
    assert "undefinedFunction" in card.locator(".card-status").inner_text()
    media, status = card.locator(".card-media").bounding_box(), card.locator(".card-status").bounding_box()
    assert status["y"] >= media["y"] and status["y"] + status["height"] <= media["y"] + media["height"] + 0.5
    heights = {round(box["h"]) for box in boxes(page, ".card")}
    assert len(heights) == 1


def test_the_admin_job_list_fits_a_laptop_window(live_server, page, admin_user, client):
    for number in range(3):
        post = services.post_create(
            author=admin_user, title=f"Job {number}", render_model="canvas", code=FAILS, capture_time=1, html=""
        )
        PostImageJob.objects.filter(post=post).update(
            status="failed",
            attempts=3,
            last_error="exception: ReferenceError: " + "undefinedFunction is not defined " * 12,
        )
    client.force_login(admin_user)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    page.context.add_cookies([{**cookie, "url": live_server.url}])
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/admin/posts/postimagejob/")
    assert page.locator("#result_list tbody tr").count() == 6
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    # The admin scrolls a wide table inside its box: the table itself must fit, with no sideways scroll.
    table = page.locator("#result_list").bounding_box()
    assert table["x"] + table["width"] <= 1280
    assert page.evaluate(
        "() => { const box = document.querySelector('.results'); return box.scrollWidth <= box.clientWidth; }"
    )
    assert "django administration" not in page.content().lower()

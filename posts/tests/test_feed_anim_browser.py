"""The feed plays a card's animation on hover or focus, never the post's code; reduced motion keeps the still."""

import io

import pytest
from PIL import Image

from posts.images.storage import save_image
from posts.tests.test_feed_browser import COUNT_FRAMES, card, make_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def webp_bytes(size=(640, 480)):
    frames = [Image.new("RGB", size, (20 * i, 80, 200)) for i in range(5)]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@pytest.fixture
def animated(user):
    post = make_post(user, "moving", thumb=(230, 20, 20))
    save_image(post=post, kind="anim", data=webp_bytes())
    return post


def anim_shown(page, post):
    return page.locator(f"{card(post)} img.card-anim").count() == 1


def test_hover_and_focus_play_the_animation_and_leaving_shows_the_still_without_any_iframe(live_server, page, animated):
    page.add_init_script(COUNT_FRAMES)
    page.goto(live_server.url + "/")
    assert not anim_shown(page, animated)

    page.hover(card(animated))
    page.wait_for_selector(f"{card(animated)} img.card-anim")
    src = page.locator(f"{card(animated)} img.card-anim").get_attribute("src")
    assert "kind=anim" in src
    page.wait_for_function("() => document.querySelector('img.card-anim').naturalWidth > 0")
    page.mouse.move(0, 0)
    page.wait_for_function("() => !document.querySelector('img.card-anim')")

    page.focus(f"{card(animated)} a.card-link")
    page.wait_for_selector(f"{card(animated)} img.card-anim")
    page.evaluate("() => document.activeElement.blur()")
    page.wait_for_function("() => !document.querySelector('img.card-anim')")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__maxFrames") == 0  # no post code ran in the feed


def test_reduced_motion_keeps_the_still(live_server, page, animated):
    page.emulate_media(reduced_motion="reduce")
    page.goto(live_server.url + "/")
    page.hover(card(animated))
    page.focus(f"{card(animated)} a.card-link")
    page.wait_for_timeout(300)
    assert not anim_shown(page, animated)
    assert page.locator("iframe").count() == 0


def test_a_card_without_an_animation_still_runs_live_on_hover(live_server, page, user):
    still = make_post(user, "still", thumb=(230, 20, 20))
    page.goto(live_server.url + "/")
    page.hover(card(still))
    page.wait_for_selector(f"{card(still)} iframe")


def test_on_a_touch_screen_the_play_button_plays_and_stops_it(live_server, chromium, animated):
    context = chromium.new_context(has_touch=True, is_mobile=True, viewport={"width": 400, "height": 800})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        play = page.locator(f"{card(animated)} .card-anim-play")
        assert play.is_visible()
        play.tap()
        page.wait_for_selector(f"{card(animated)} img.card-anim")
        assert play.get_attribute("aria-pressed") == "true"
        play.tap()
        assert play.get_attribute("aria-pressed") == "false"
        assert page.locator("iframe").count() == 0
    finally:
        context.close()


def test_the_post_page_shows_the_animation_until_the_live_render_is_ready(live_server, page, client, animated):
    anim = animated.images.get(kind="anim")
    html = client.get(animated.get_absolute_url()).content.decode()
    assert f'<img src="{anim.url.replace("&", "&amp;")}"' in html
    assert 'media="(prefers-reduced-motion: reduce)"' in html  # the still, for reduced motion

    page.goto(live_server.url + animated.get_absolute_url())
    page.wait_for_function("() => !document.querySelector('.post-anim')")  # the live render took over
    assert page.locator(".post-render").count() == 1

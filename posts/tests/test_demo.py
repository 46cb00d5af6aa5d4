import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from posts.demo import DEMO_USERNAME, DEMOS, SOURCES, seed_demo_posts, validated
from posts.models import Post, RenderModel
from posts.tests.render_helpers import near, open_render, screenshot


def test_seed_demo_adds_demo_posts_of_every_render_model_with_their_jobs(db, capsys):
    call_command("seed_demo")
    assert f"Added {len(DEMOS)} demo post(s)" in capsys.readouterr().out
    posts = Post.objects.filter(author__username=DEMO_USERNAME)
    assert sorted(p.title for p in posts) == sorted(d.title for d in DEMOS)
    assert {p.render_model for p in posts} == set(RenderModel.values)
    for post in posts:
        assert sorted(post.jobs.values_list("kind", "status")) == [("og", "pending"), ("thumb", "pending")]
    # The feed shows them in the order they are listed.
    assert [p.title for p in Post.objects.all()] == [d.title for d in DEMOS]


def test_seed_demo_twice_adds_nothing(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert f"Added 0 demo post(s); {len(DEMOS)} were already there." in capsys.readouterr().out
    assert Post.objects.count() == len(DEMOS)


def test_seed_demo_adds_only_the_missing_ones(db):
    seed_demo_posts()
    Post.objects.filter(title=DEMOS[0].title).delete()
    assert [p.title for p in seed_demo_posts()] == [DEMOS[0].title]


def test_the_demo_user_cannot_log_in(db):
    seed_demo_posts()
    assert not get_user_model().objects.get(username=DEMO_USERNAME).has_usable_password()


def test_an_existing_demo_user_keeps_its_password(db):
    user = get_user_model().objects.create_user(DEMO_USERNAME, password="kept password 123")
    seed_demo_posts()
    user.refresh_from_db()
    assert user.check_password("kept password 123")


@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.file)
def test_each_demo_passes_the_apis_validation(demo, author_api):
    validated(demo)
    body = {"title": demo.title, "render_model": demo.render_model, "code": demo.code}
    assert author_api.post("/api/posts", body, format="json").status_code == 201


def test_every_demo_source_file_is_used():
    assert sorted(p.name for p in SOURCES.iterdir() if p.suffix != ".py" and p.is_file()) == sorted(
        d.file for d in DEMOS
    )


@pytest.mark.browser
@pytest.mark.parametrize("size", [(640, 480), (1200, 630)], ids=["thumb", "og"])
@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.file)
def test_each_demo_shows_its_documented_colour_in_the_centre(demo, size, live_server, transactional_db, page):
    post = Post.objects.create(title=demo.title, render_model=demo.render_model, code=demo.code)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    state = open_render(page, live_server, post, mode="capture")
    assert state["status"] == "ready", state
    state = page.evaluate(f"__render.advance({post.capture_time * 1000})")
    assert state["status"] == "ready", state
    centre = screenshot(page).getpixel((size[0] // 2, size[1] // 2))
    assert near(centre, demo.centre, tolerance=40), (demo.file, centre)
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.file)
def test_each_demo_runs_live_on_its_post_page_with_its_documented_colour(demo, live_server, transactional_db, page):
    post = Post.objects.create(title=demo.title, render_model=demo.render_model, code=demo.code)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + post.get_absolute_url())
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
    box = page.locator("iframe#post-render").bounding_box()
    centre = (int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2))
    for _ in range(50):  # a live frame paints when the machine lets it; look again, boundedly
        colour = screenshot(page).getpixel(centre)
        if near(colour, demo.centre, tolerance=60):
            break
        page.wait_for_timeout(200)
    assert near(colour, demo.centre, tolerance=60), (demo.file, colour)
    assert page.errors == []

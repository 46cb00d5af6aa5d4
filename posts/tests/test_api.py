import base64
import http.client
import json
import re
from datetime import timedelta

import jsonschema
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from posts import jobs
from posts.api.serializers import AUTHOR_AND_STAFF_ONLY
from posts.images.storage import image_fields, save_image
from posts.models import Post, PostImage
from posts.tests.conftest import CIRCLE_SVG, png_bytes, selects_image_data
from posts.validators import MAX_CODE_BYTES

LIST_FIELDS = {"id", "title", "render_model", "created_at", "author", "url", "thumb_url"}
DETAIL_FIELDS = LIST_FIELDS | {"description", "code", "html", "capture_time", "og_image_url", "images", "jobs"}
DETAIL_FIELDS |= {"anim_start", "anim_duration", "moves"}
VERSIONED_THUMB = re.compile(r"^/api/posts/[0-9a-f-]{36}/image\?kind=thumb&v=[0-9a-f]{12}$")

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>"""

SVG_WITH_PROLOG = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="teal"/></svg>"""


def valid(**overrides):
    body = {"title": "Orbits", "render_model": "canvas", "code": "ctx.fillRect(0, 0, width, height);"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def make_posts(count, *, user=None, minutes_apart=1, **fields):
    now = timezone.now()
    return [
        Post.objects.create(
            author=user,
            title=f"post {i}",
            render_model=fields.get("render_model", "svg"),
            code=CIRCLE_SVG,
            created_at=now - timedelta(minutes=i * minutes_apart),
        )
        for i in range(count)
    ]


# --- POST /api/posts: authentication -------------------------------------------------------------


def test_token_author_creates_a_post_with_both_jobs_queued(author_api, user):
    response = author_api.post("/api/posts", valid(description="Two moons", capture_time=1.5), format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    assert response["Location"] == f"/api/posts/{body['id']}"
    post = Post.objects.get(pk=body["id"])
    assert (post.author, post.title, post.description, post.capture_time) == (user, "Orbits", "Two moons", 1.5)
    assert sorted((j.kind, j.status, j.attempts) for j in post.jobs.all()) == [
        ("og", "pending", 0),
        ("thumb", "pending", 0),
    ]
    assert sorted((j["kind"], j["status"]) for j in body["jobs"]) == [("og", "pending"), ("thumb", "pending")]
    assert body["images"] == [] and body["thumb_url"] is None and body["og_image_url"] is None
    assert body["author"] == "ada" and body["capture_time"] == 1.5


def test_capture_time_defaults_to_0_8_seconds(author_api):
    response = author_api.post("/api/posts", valid(), format="json")
    assert response.json()["capture_time"] == 0.8


def test_session_author_creates_a_post_with_a_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post("/api/posts", valid(), format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    response = client.post("/api/posts", valid(), format="json", HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 201
    assert Post.objects.get(pk=response.json()["id"]).author == user


def test_anonymous_upload_is_refused_with_401_and_a_challenge(client_api, db):
    response = client_api.post("/api/posts", valid(), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response["Cache-Control"] == "no-store"
    assert not Post.objects.exists()


def test_a_wrong_token_is_refused_with_401(client_api, db):
    client_api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client_api.post("/api/posts", valid(), format="json").status_code == 401


# --- POST /api/posts: validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (valid(title=...), "title"),
        (valid(title=""), "title"),
        (valid(title="   \t\n "), "title"),
        (valid(title="x" * 201), "title"),
        (valid(title="  " + "x" * 201 + "  "), "title"),
        (valid(title=None), "title"),
        (valid(description="d" * 2001), "description"),
        (valid(render_model=...), "render_model"),
        (valid(render_model="webgl"), "render_model"),
        (valid(render_model="SVG"), "render_model"),
        (valid(code=...), "code"),
        (valid(code=""), "code"),
        (valid(code=" \n\t "), "code"),
        (valid(code="x" * (MAX_CODE_BYTES + 1)), "code"),
        # 87382 three-byte characters: under the limit in characters, over it in UTF-8 bytes.
        (valid(code="가" * (MAX_CODE_BYTES // 3 + 1)), "code"),
        (valid(capture_time=-1), "capture_time"),
        (valid(capture_time=31), "capture_time"),
        (valid(capture_time="abc"), "capture_time"),
        (valid(capture_time="NaN"), "capture_time"),
        (valid(capture_time="Infinity"), "capture_time"),
        (valid(capture_time=True), "capture_time"),  # not 1.0
        (valid(anim_start=False), "anim_start"),
        (valid(render_model="svg", code="<svg xmlns='http://www.w3.org/2000/svg'><g></svg>"), "code"),
        (valid(render_model="svg", code="not xml at all"), "code"),
        (valid(render_model="svg", code="<html><body/></html>"), "code"),
        (valid(render_model="svg", code="<svg:html xmlns:svg='http://www.w3.org/2000/svg'/>"), "code"),
        (valid(html="<canvas></canvas>" * 4000), "html"),
        (valid(html="<div id='info'></div>\n<script>go()</script>"), "html"),
        (valid(render_model="shader", code="void main() {}", html="<div id='info'></div>"), "html"),
    ],
)
def test_bad_input_is_refused_with_400_naming_the_field(author_api, body, field):
    response = author_api.post("/api/posts", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert all(isinstance(message, str) and message for message in errors[field])
    assert response["Cache-Control"] == "no-store"
    assert not Post.objects.exists()


def test_code_over_the_limit_says_how_big_it_is(author_api):
    response = author_api.post("/api/posts", valid(code="가" * (MAX_CODE_BYTES // 3 + 1)), format="json")
    assert "262146 bytes" in response.json()["code"][0]


def test_html_for_a_sketchs_page_is_kept_as_sent(author_api):
    html = '<div id="info">drag to turn</div>\n  <div id="container"></div>\n'
    response = author_api.post("/api/posts", valid(render_model="three", html=html), format="json")
    assert response.status_code == 201
    assert response.json()["html"] == html
    assert Post.objects.get().html == html


@pytest.mark.parametrize(
    ("html", "messages"),
    [
        (
            '<p>hi</p>\n<script src="x.js"></script>',
            ["Line 2: <script> does not run in the HTML: put the code in the code field."],
        ),
        (
            '<canvas id="c"\n  onclick="go()"></canvas>\n<a href="javascript:go()">go</a>',
            [
                "Line 1: the onclick= attribute does not run here: add the listener in the code.",
                "Line 3: javascript: URLs do not run here: add a listener in the code.",
            ],
        ),
        (
            '<link rel="stylesheet" href="https://cdn.example/x.css">',
            ["Line 1: <link> cannot be used here: nothing is loaded from elsewhere (use <style> for CSS)."],
        ),
        (
            "<!doctype html>\n<html><body><canvas></canvas></body></html>",
            [
                "Line 2: <html> belongs to a whole page: paste only what goes inside <body>.",
                "Line 2: <body> belongs to a whole page: paste only what goes inside <body>.",
            ],
        ),
        (
            "<iframe src=x></iframe>",
            ["Line 1: <iframe> cannot be used here: a post cannot embed other pages or plugins."],
        ),
    ],
)
def test_html_that_would_run_load_or_embed_is_refused_naming_the_line_and_the_fix(author_api, html, messages):
    response = author_api.post("/api/posts", valid(html=html), format="json")
    assert response.status_code == 400
    assert response.json() == {"html": messages}


def test_html_is_only_for_canvas_and_three_posts(author_api):
    body = valid(render_model="shader", code="void main() {}", html="<div></div>")
    response = author_api.post("/api/posts", body, format="json")
    assert response.json() == {
        "html": ["Only canvas and three.js posts have HTML: GLSL shader posts draw the whole frame themselves."]
    }


def test_code_of_exactly_256_kib_is_accepted(author_api):
    response = author_api.post("/api/posts", valid(code="x" * MAX_CODE_BYTES), format="json")
    assert response.status_code == 201


def test_title_is_trimmed_before_its_length_is_checked(author_api):
    response = author_api.post("/api/posts", valid(title="  " + "t" * 200 + "\n "), format="json")
    assert response.status_code == 201
    assert response.json()["title"] == "t" * 200


def test_limits_are_inclusive(author_api):
    response = author_api.post("/api/posts", valid(description="d" * 2000, capture_time=30), format="json")
    assert response.status_code == 201
    response = author_api.post("/api/posts", valid(capture_time=0), format="json")
    assert response.json()["capture_time"] == 0


def test_billion_laughs_svg_is_refused_for_its_entities(author_api):
    response = author_api.post("/api/posts", valid(render_model="svg", code=BILLION_LAUGHS), format="json")
    assert response.status_code == 400
    assert "entities" in response.json()["code"][0]


def test_svg_with_an_xml_prolog_and_doctype_is_accepted(author_api):
    response = author_api.post("/api/posts", valid(render_model="svg", code=SVG_WITH_PROLOG), format="json")
    assert response.status_code == 201
    assert response.json()["code"] == SVG_WITH_PROLOG


def test_an_svg_error_names_the_wrong_root(author_api):
    response = author_api.post("/api/posts", valid(render_model="svg", code="<html/>"), format="json")
    assert "<html>" in response.json()["code"][0]


def test_svg_rules_do_not_apply_to_other_render_models(author_api):
    assert author_api.post("/api/posts", valid(code="<not-svg>"), format="json").status_code == 201


@pytest.mark.parametrize("raw", [b"not json", b'{"title": ', b"{'title': 'x'}", b'{"capture_time": NaN}'])
def test_a_body_that_is_not_json_is_refused_with_400(author_api, raw):
    response = author_api.post("/api/posts", raw, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_json_array_body_is_refused_with_400(author_api):
    response = author_api.post("/api/posts", [valid()], format="json")
    assert response.status_code == 400
    assert "Expected a dictionary" in response.json()["non_field_errors"][0]


def test_a_form_body_is_refused_with_415(author_api):
    response = author_api.post("/api/posts", valid(), format="multipart")
    assert response.status_code == 415


def test_a_body_over_the_limit_is_refused_with_413_before_parsing(author_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    # Not JSON at all: a parser would say 400, so 413 shows the body was never parsed.
    response = author_api.post("/api/posts", b"x" * 5000, content_type="application/json")
    assert response.status_code == 413
    assert "4096 bytes" in response.json()["detail"]
    assert response["Cache-Control"] == "no-store"
    response = author_api.post("/api/posts", valid(code="x" * 5000), format="json")
    assert response.status_code == 413
    assert not Post.objects.exists()


def test_a_chunked_body_is_refused_with_411(author_api):
    response = author_api.post("/api/posts", b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]


def test_a_chunked_body_over_a_real_connection_is_refused_unread(live_server, transactional_db, user):
    token = Token.objects.create(user=user)
    connection = http.client.HTTPConnection(live_server.thread.host, live_server.thread.port, timeout=10)
    body = json.dumps(valid()).encode()
    headers = {"Authorization": f"Token {token.key}", "Content-Type": "application/json"}
    connection.request("POST", "/api/posts", body=iter([body[:10], body[10:]]), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 411
    assert not Post.objects.exists()
    connection.close()


def test_uploads_over_the_rate_are_refused_with_429_and_retry_after(author_api, settings, client_api, user):
    settings.UPLOAD_THROTTLE_RATE = "2/minute"
    assert author_api.post("/api/posts", valid(), format="json").status_code == 201
    assert author_api.post("/api/posts", valid(), format="json").status_code == 201
    response = author_api.post("/api/posts", valid(), format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert Post.objects.count() == 2

    # The limit is per user: someone else may still post.
    other = get_user_model().objects.create_user("grace")
    client_api.force_authenticate(other)
    assert client_api.post("/api/posts", valid(), format="json").status_code == 201
    # Reading is never throttled.
    assert author_api.get("/api/posts").status_code == 200


def test_the_upload_limit_counts_only_recent_posts(author_api, settings, user):
    settings.UPLOAD_THROTTLE_RATE = "1/hour"
    make_posts(1, user=user, minutes_apart=0)
    Post.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert author_api.post("/api/posts", valid(), format="json").status_code == 201
    assert author_api.post("/api/posts", valid(), format="json").status_code == 429


def test_a_post_survives_when_queueing_its_images_fails(author_api, monkeypatch, caplog):
    def broken_enqueue(post, kind, **options):
        raise DatabaseError("queue table is locked")

    monkeypatch.setattr(jobs, "enqueue", broken_enqueue)
    response = author_api.post("/api/posts", valid(), format="json")
    assert response.status_code == 201
    post = Post.objects.get(pk=response.json()["id"])
    assert response.json()["jobs"] == []
    assert "could not queue images" in caplog.text

    # The worker's sweep queues it later.
    monkeypatch.undo()
    assert jobs.enqueue_missing() == 1
    assert post.jobs.count() == 2


# --- GET /api/posts ------------------------------------------------------------------------------


def test_listing_is_newest_first_with_exactly_the_item_fields(client_api, user):
    oldest, newest = make_posts(2, user=user)[::-1]
    body = client_api.get("/api/posts").json()
    assert set(body) == {"results", "next", "previous"}
    assert [item["id"] for item in body["results"]] == [str(newest.pk), str(oldest.pk)]
    item = body["results"][0]
    assert set(item) == LIST_FIELDS
    assert item["title"] == newest.title and item["render_model"] == "svg" and item["author"] == "ada"
    assert item["url"] == f"/posts/{newest.pk}"
    assert item["thumb_url"] is None
    assert body["next"] is None and body["previous"] is None


def test_listing_shows_a_versioned_thumb_url_once_a_thumb_exists(client_api, post, thumb, og):
    item = client_api.get("/api/posts").json()["results"][0]
    assert VERSIONED_THUMB.match(item["thumb_url"])
    assert item["thumb_url"] == f"/api/posts/{post.pk}/image?kind=thumb&v={thumb.sha256[:12]}"


def test_listing_a_post_without_an_author(client_api, db):
    make_posts(1)
    assert client_api.get("/api/posts").json()["results"][0]["author"] is None


def test_listing_pages_follow_cursors_without_gaps_or_repeats(client_api, user):
    posts = make_posts(5, user=user)
    # Two posts created in the same instant still each appear once.
    Post.objects.filter(pk=posts[2].pk).update(created_at=posts[1].created_at)
    seen, url = [], "/api/posts?page_size=2"
    while url:
        body = client_api.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(str(p.pk) for p in posts)
    assert len(seen) == 5
    second = client_api.get(client_api.get("/api/posts?page_size=2").json()["next"]).json()
    assert second["previous"] is not None


def test_listing_pages_hold_24_posts_by_default(client_api, db):
    make_posts(25)
    body = client_api.get("/api/posts").json()
    assert len(body["results"]) == 24
    assert body["next"] is not None


def test_listing_page_size_may_be_up_to_100(client_api, db):
    make_posts(101, minutes_apart=0)
    assert len(client_api.get("/api/posts?page_size=100").json()["results"]) == 100
    assert len(client_api.get("/api/posts?page_size=1").json()["results"]) == 1


@pytest.mark.parametrize("page_size", ["0", "101", "abc", "-1", "", "2.5", "²", "1e2"])
def test_a_bad_page_size_is_refused_with_400(client_api, db, page_size):
    response = client_api.get(f"/api/posts?page_size={page_size}")
    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize("query", ["render_model=webgl", "render_model=", "render_model=svg&render_model=canvas"])
def test_a_bad_render_model_filter_is_refused_with_400(client_api, db, query):
    response = client_api.get(f"/api/posts?{query}")
    assert response.status_code == 400
    assert list(response.json()) == ["render_model"]


def test_listing_filters_by_render_model(client_api, user):
    make_posts(2, user=user)
    shader = Post.objects.create(author=user, title="Plasma", render_model="shader", code="void main(){}")
    body = client_api.get("/api/posts?render_model=shader").json()
    assert [item["id"] for item in body["results"]] == [str(shader.pk)]
    assert client_api.get("/api/posts?render_model=three").json()["results"] == []


@pytest.mark.parametrize(
    "cursor",
    ["garbage", base64.b64encode(b"p=not-a-date").decode(), base64.b64encode(b"o=-5").decode(), "%00"],
)
def test_a_bad_cursor_is_refused_with_400(client_api, post, cursor):
    response = client_api.get("/api/posts", {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_rendering_a_page_of_30_posts_with_thumbs_and_authors_is_one_query_for_the_page(
    client_api, db, django_assert_num_queries
):
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"u{i}") for i in range(30))
    posts = [make_posts(1, user=u)[0] for u in users]
    data = png_bytes()
    for post in posts:
        PostImage.objects.create(post=post, kind="thumb", **image_fields(data))
        PostImage.objects.create(post=post, kind="og", **image_fields(data))
    with django_assert_num_queries(2) as captured:  # the page, and the listing version that keys its cache
        body = client_api.get("/api/posts?page_size=30").json()
    assert captured.captured_queries[0]["sql"].startswith("SELECT value FROM post_listing_version")
    assert len(body["results"]) == 30
    assert all(VERSIONED_THUMB.match(item["thumb_url"]) for item in body["results"])
    assert {item["author"] for item in body["results"]} == {u.username for u in users}
    assert not selects_image_data(captured.captured_queries)


def test_an_unchanged_listing_page_is_served_from_the_cache_with_one_query(client_api, post, django_assert_num_queries):
    first = client_api.get("/api/posts")
    with django_assert_num_queries(1):
        again = client_api.get("/api/posts")
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Vary"].startswith("Accept") and first["Vary"].startswith("Accept")


def test_a_login_does_not_throw_the_cached_listing_away(client_api, post, user, django_assert_num_queries):
    client_api.get("/api/posts")
    # Through the login page, as a person logs in (it updates last_login).
    client_api.post(
        "/accounts/login/", {"username": "ada", "password": "correct horse battery staple"}, format="multipart"
    )
    client_api.logout()
    with django_assert_num_queries(1):
        client_api.get("/api/posts")


def listing_titles(client):
    return [item["title"] for item in client.get("/api/posts").json()["results"]]


def test_the_listing_shows_every_change_at_once(client_api, post, user):
    assert listing_titles(client_api) == ["Red circle"]

    newer = Post.objects.create(author=user, title="Newer", render_model="svg", code=post.code)
    assert listing_titles(client_api) == ["Newer", "Red circle"]

    save_image(post=newer, kind="thumb", data=png_bytes())
    assert client_api.get("/api/posts").json()["results"][0]["thumb_url"] is not None

    user.username = "ada-lovelace"
    user.save()
    assert {item["author"] for item in client_api.get("/api/posts").json()["results"]} == {"ada-lovelace"}

    newer.images.all().delete()
    assert client_api.get("/api/posts").json()["results"][0]["thumb_url"] is None

    newer.delete()
    assert listing_titles(client_api) == ["Red circle"]


def test_each_query_string_is_its_own_cached_page(client_api, post):
    assert len(client_api.get("/api/posts").json()["results"]) == 1
    assert client_api.get("/api/posts?render_model=shader").json()["results"] == []
    assert client_api.get("/api/posts?page_size=0").status_code == 400


# --- GET /api/posts/<id> -------------------------------------------------------------------------

PROVENANCE = ["chromium_version", "webgl_renderer", "harness_version", "capture_size", "capture_time", "capture_ms"]


def test_detail_has_images_without_their_data_and_jobs(client_api, post, thumb, og, django_assert_max_num_queries):
    jobs.enqueue_for_post(post)
    with django_assert_max_num_queries(3) as captured:
        body = client_api.get(f"/api/posts/{post.pk}").json()
    assert not selects_image_data(captured.captured_queries)
    assert set(body) == DETAIL_FIELDS
    assert (body["id"], body["code"], body["description"], body["capture_time"]) == (str(post.pk), CIRCLE_SVG, "", 0.8)
    assert body["og_image_url"] == f"/api/posts/{post.pk}/image?kind=og&v={og.sha256[:12]}"
    assert body["thumb_url"] == thumb.url
    stored = ["kind", "mime", "width", "height", "bytes", "url"]
    assert [{name: image[name] for name in stored} for image in body["images"]] == [
        {"kind": "og", "mime": "image/png", "width": 120, "height": 63, "bytes": og.bytes, "url": og.url},
        {"kind": "thumb", "mime": "image/png", "width": 64, "height": 48, "bytes": thumb.bytes, "url": thumb.url},
    ]
    assert set(body["images"][0]) == {*stored, "captured_at", *PROVENANCE, "frames", "duration_ms"}
    # Everyone sees whether the images are coming; attempts and errors are for the author and staff.
    assert sorted(body["jobs"], key=str) == [
        {"kind": "og", "status": "pending"},
        {"kind": "thumb", "status": "pending"},
    ]


def test_only_the_author_and_staff_see_the_jobs_attempts_and_errors(client_api, author_api, post):
    jobs.enqueue_for_post(post)
    post.jobs.filter(kind="og").update(status="failed", attempts=3, last_error="shader compile error: line 4")
    stranger = get_user_model().objects.create_user("eve")
    staff = get_user_model().objects.create_user("op", is_staff=True)

    def seen(client):
        return {job["kind"]: job for job in client.get(f"/api/posts/{post.pk}").json()["jobs"]}

    assert seen(client_api)["og"] == {"kind": "og", "status": "failed"}
    client_api.force_authenticate(stranger)
    assert seen(client_api)["og"] == {"kind": "og", "status": "failed"}
    for client in (author_api, APIClient()):
        if client is not author_api:
            client.force_authenticate(staff)
        job = seen(client)["og"]
        assert (job["status"], job["attempts"], job["last_error"]) == ("failed", 3, "shader compile error: line 4")
        assert set(job) == {"kind", "status", "attempts", "last_error", "updated_at"}


@pytest.mark.parametrize("post_id", ["00000000-0000-0000-0000-000000000000", "nope", "123", "%20"])
def test_an_unknown_or_malformed_post_id_is_404_json(client_api, db, post_id):
    response = client_api.get(f"/api/posts/{post_id}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert response["Cache-Control"] == "no-store"


# --- The OpenAPI schema matches the API ----------------------------------------------------------


@pytest.fixture
def schema(client_api, db):
    response = client_api.get("/api/schema?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def response_schema(schema, path, method, status):
    """The JSON Schema of a documented response, strict: no others allowed, and every property required
    but those documented as shown only to a post's author and staff."""
    components = schema["components"]["schemas"]

    def strict(node):
        if isinstance(node, list):
            return [strict(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return strict(components[node["$ref"].rsplit("/", 1)[1]])
        out = {k: (strict(v) if k != "properties" else {p: strict(s) for p, s in v.items()}) for k, v in node.items()}
        out.pop("nullable", None)
        if "properties" in out:
            out.setdefault("additionalProperties", False)
            out["required"] = [
                name for name, prop in node["properties"].items() if prop.get("description") != AUTHOR_AND_STAFF_ONLY
            ]
        return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out

    documented = schema["paths"][path][method]["responses"][str(status)]
    return strict(documented["content"]["application/json"]["schema"])


def test_schema_is_openapi_3_with_every_path_and_method(schema):
    assert schema["openapi"].startswith("3.")
    paths = {path: set(operations) - {"parameters"} for path, operations in schema["paths"].items()}
    assert paths == {
        "/api/posts": {"get", "post"},
        "/api/posts/{post_id}": {"get", "patch", "delete"},
        "/api/posts/{post_id}/image": {"get", "head"},
        "/api/posts/{post_id}/recapture": {"post"},
        "/api/internal/recapture": {"post"},
    }


def test_the_schema_says_reading_is_public_and_writing_needs_credentials(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "head"):
                assert operation["security"] == [], (path, method)
            elif method in ("post", "patch", "delete"):
                assert {"tokenAuth": []} in operation["security"] and {} not in operation["security"], (path, method)


def test_real_responses_match_the_schema(schema, author_api, client_api, user):
    created = author_api.post("/api/posts", valid(), format="json")
    post = Post.objects.get(pk=created.json()["id"])
    PostImage.objects.create(post=post, kind="thumb", **image_fields(png_bytes()))
    jobs.mark_failed(jobs.claim_due_jobs(worker_id="w", limit=1)[0], worker_id="w", error="boom", transient=False)
    make_posts(3, user=user)
    checks = [
        ("/api/posts", "post", created),
        ("/api/posts", "post", author_api.post("/api/posts", valid(title=""), format="json")),
        ("/api/posts", "post", client_api.post("/api/posts", valid(), format="json")),
        ("/api/posts", "post", author_api.post("/api/posts", b"[", content_type="application/json")),
        ("/api/posts", "post", author_api.post("/api/posts", valid(), format="multipart")),
        (
            "/api/posts",
            "post",
            author_api.post("/api/posts", b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"),
        ),
        ("/api/posts", "get", client_api.get("/api/posts?page_size=2")),
        ("/api/posts", "get", client_api.get("/api/posts?page_size=0")),
        ("/api/posts/{post_id}", "get", client_api.get(f"/api/posts/{post.pk}")),
        ("/api/posts/{post_id}", "get", client_api.get("/api/posts/nope")),
        ("/api/posts/{post_id}/image", "get", client_api.get(f"/api/posts/{post.pk}/image?kind=og")),
        ("/api/posts/{post_id}/image", "get", client_api.get(f"/api/posts/{post.pk}/image?kind=x")),
        ("/api/posts/{post_id}", "patch", author_api.patch(f"/api/posts/{post.pk}", {"title": "t"}, format="json")),
        ("/api/posts/{post_id}", "patch", author_api.patch(f"/api/posts/{post.pk}", {"title": ""}, format="json")),
        ("/api/posts/{post_id}", "patch", client_api.patch(f"/api/posts/{post.pk}", {"title": "t"}, format="json")),
        ("/api/posts/{post_id}/recapture", "post", author_api.post(f"/api/posts/{post.pk}/recapture")),
        ("/api/internal/recapture", "post", author_api.post(f"/api/internal/recapture?postId={post.pk}")),
    ]
    for path, method, response in checks:
        jsonschema.validate(response.json(), response_schema(schema, path, method, response.status_code))
    # The image itself is documented as PNG bytes with its caching headers.
    image = schema["paths"]["/api/posts/{post_id}/image"]["get"]
    assert "image/png" in image["responses"]["200"]["content"]
    assert {"ETag", "Cache-Control"} <= set(image["responses"]["200"]["headers"])
    assert "304" in image["responses"]
    assert {p["name"] for p in image["parameters"]} >= {"post_id", "kind", "v"}


def test_schema_documents_every_query_parameter_the_listing_reads(schema):
    names = {p["name"] for p in schema["paths"]["/api/posts"]["get"]["parameters"]}
    assert names == {"cursor", "page_size", "render_model"}


def test_create_request_schema_lists_the_fields_and_limits(schema):
    request = schema["components"]["schemas"]["PostCreateRequest"]
    assert set(request["properties"]) == {
        *("title", "description", "render_model", "code", "html", "capture_time", "anim_start", "anim_duration")
    }
    assert set(request["required"]) == {"title", "render_model", "code"}
    assert request["properties"]["title"]["maxLength"] == 200
    assert request["properties"]["capture_time"]["maximum"] == 30
    assert (request["properties"]["anim_duration"]["minimum"], request["properties"]["anim_duration"]["maximum"]) == (
        0.5,
        10,
    )


def test_api_docs_render_without_any_cdn(client_api, db):
    response = client_api.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html.lower()
    script = client_api.get("/api/docs?script=").content.decode()  # Swagger UI's start-up, as a file
    assert "/api/schema" in script
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "docs must load nothing from other hosts"
    assert "cdn" not in html.lower()

import json
from html.parser import HTMLParser

import pytest
from django.test import Client

from posts.models import Post, PostImageJob
from posts.tests.conftest import CIRCLE_SVG
from posts.validators import MAX_CODE_BYTES

VALID = {
    "title": "Red circle",
    "description": "A circle.",
    "render_model": "svg",
    "code": CIRCLE_SVG,
    "capture_time": "1.5",
}

# Each draft is sent as-is to both the API (JSON) and the form; both must refuse the same fields.
# True: the rule is ours (a model validator or Post.clean), so the message is the same word for word;
# False: the framework's own check (required, length, choice, number), worded by Django or by DRF.
INVALID_DRAFTS = {
    "blank title": ({"title": ""}, False),
    "long title": ({"title": "x" * 201}, False),
    "unknown render model": ({"render_model": "flash"}, False),
    "blank code": ({"code": "   \n "}, True),
    "code over 256 KiB": ({"render_model": "canvas", "code": "x" * (MAX_CODE_BYTES + 1)}, True),
    "svg that is not xml": ({"code": "<svg><g></svg>"}, True),
    "svg with another root": ({"code": "<html xmlns='http://www.w3.org/1999/xhtml'/>"}, True),
    "svg with entities": (
        {"code": '<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'},
        True,
    ),
    "capture time too long": ({"capture_time": "31"}, True),
    "capture time negative": ({"capture_time": "-1"}, True),
    "capture time not a number": ({"capture_time": "soon"}, False),
    "long description": ({"description": "d" * 2001}, False),
    "several at once": ({"title": "", "code": "", "capture_time": "99"}, False),
    "html with a script": ({"render_model": "canvas", "code": "x", "html": "<p>\n<script>go()</script>"}, True),
    "html on an svg post": ({"html": "<div id='info'></div>"}, True),
}


class ErrorLists(HTMLParser):
    """The messages of each <ul class="errorlist" id="id_<field>_error">, by field."""

    def __init__(self, html):
        super().__init__()
        self.errors, self._field = {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and "errorlist" in attrs.get("class", "") and attrs.get("id", "").endswith("_error"):
            self._field = attrs["id"].removeprefix("id_").removesuffix("_error")
        elif tag == "li" and self._field:
            self.errors.setdefault(self._field, []).append("")

    def handle_endtag(self, tag):
        if tag == "ul":
            self._field = None

    def handle_data(self, data):
        if self._field and self.errors.get(self._field):
            self.errors[self._field][-1] += data


@pytest.fixture
def author_client(client, user):
    client.force_login(user)
    return client


def api_errors(author_api, draft, **headers):
    response = author_api.post("/api/posts", json.dumps(draft), content_type="application/json", **headers)
    assert response.status_code == 400
    return response.json()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get("/posts/new")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/posts/new"
    assert client.post("/posts/new", VALID).status_code == 302
    assert not Post.objects.exists()


def test_form_shows_labelled_fields(author_client):
    html = author_client.get("/posts/new").content.decode()
    for field in ["title", "description", "render_model", "code", "html", "capture_time"]:
        assert f'<label for="id_{field}">' in html
        assert f'id="id_{field}"' in html
    assert 'sandbox="allow-scripts"' in html and "allow-same-origin" not in html


@pytest.mark.parametrize("case", INVALID_DRAFTS)
def test_form_refuses_the_same_fields_as_the_api_next_to_each_field(author_client, author_api, case):
    changes, same_words = INVALID_DRAFTS[case]
    draft = {**VALID, **changes}
    expected = api_errors(author_api, draft)
    response = author_client.post("/posts/new", draft)
    assert response.status_code == 200
    shown = ErrorLists(response.content.decode()).errors
    assert set(response.context["form"].errors) == set(shown) == set(expected)
    if same_words:
        assert shown == expected
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    "draft, korean",
    [
        ({"title": "", "capture_time": "31"}, "이 필드는"),
        ({"code": "<svg><g></svg>"}, "SVG가 올바른 XML이 아닙니다"),
        ({"render_model": "canvas", "code": "x", "html": "<script>go()</script>"}, "1번째 줄: HTML 안의 <script>는"),
    ],
)
def test_form_and_api_messages_are_korean_too(author_client, author_api, draft, korean):
    expected = api_errors(author_api, {**VALID, **draft}, HTTP_ACCEPT_LANGUAGE="ko")
    response = author_client.post("/posts/new", {**VALID, **draft}, HTTP_ACCEPT_LANGUAGE="ko")
    shown = ErrorLists(response.content.decode()).errors
    assert set(shown) == set(expected)
    for messages in (expected, shown):
        assert korean in "".join(sum(messages.values(), []))


def test_valid_post_is_created_with_its_two_jobs_and_opens_its_page(author_client, user):
    response = author_client.post("/posts/new", {**VALID, "code": CIRCLE_SVG.replace("><", ">\r\n<")})
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url()
    assert (post.author, post.title, post.render_model, post.capture_time) == (user, "Red circle", "svg", 1.5)
    assert "\r" not in post.code and post.code == CIRCLE_SVG.replace("><", ">\n<")
    assert sorted(PostImageJob.objects.filter(post=post).values_list("kind", "status")) == [
        ("og", "pending"),
        ("thumb", "pending"),
    ]
    assert "Published." in author_client.get(response["Location"]).content.decode()


def test_a_sketch_is_posted_with_its_html_as_typed(author_client):
    html = '<div id="hud">\r\n  score</div>\r\n'
    author_client.post("/posts/new", {**VALID, "render_model": "canvas", "code": "x", "html": html})
    assert Post.objects.get().html == '<div id="hud">\n  score</div>\n'


def test_blank_capture_time_means_the_default(author_client):
    author_client.post("/posts/new", {**VALID, "capture_time": ""})
    assert Post.objects.get().capture_time == 0.8


def test_preview_runs_the_draft_in_the_harness(author_client):
    response = author_client.post("/posts/preview", {"render_model": "canvas", "code": "</script><b>hi</b>"})
    assert response.status_code == 200
    assert "sandbox allow-scripts" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    html = response.content.decode()
    assert "<b>hi</b>" not in html  # data, not markup
    assert '"render_model": "canvas"' in html


def test_preview_runs_the_drafts_html_as_data_too(author_client):
    draft = {"render_model": "canvas", "code": "x", "html": '<div id="hud"></div>'}
    html = author_client.post("/posts/preview", draft).content.decode()
    assert '"html": "\\u003Cdiv id=\\"hud\\"\\u003E\\u003C/div\\u003E"' in html
    refused = author_client.post("/posts/preview", {**draft, "html": "<script>go()</script>"})
    assert refused.status_code == 400
    assert refused.content.decode() == "Line 1: <script> does not run in the HTML: put the code in the code field."


def test_preview_of_the_same_user_keeps_its_random_seed(author_client):
    first = author_client.post("/posts/preview", {"render_model": "canvas", "code": "a"}).content.decode()
    second = author_client.post("/posts/preview", {"render_model": "canvas", "code": "b"}).content.decode()
    seed = first[first.index('"seed"') :].split(",")[0]
    assert seed in second


def test_preview_refuses_what_cannot_run(author_client):
    assert author_client.post("/posts/preview", {"render_model": "flash", "code": "x"}).status_code == 400
    big = {"render_model": "canvas", "code": "x" * (MAX_CODE_BYTES + 1)}
    assert author_client.post("/posts/preview", big).status_code == 400


def test_preview_needs_a_signed_in_post(author_client):
    assert Client().post("/posts/preview", {"render_model": "canvas", "code": "x"}).status_code == 302
    assert author_client.get("/posts/preview").status_code == 405


def test_header_offers_log_in_or_a_post_form_to_log_out(author_client):
    anonymous = Client().get("/").content.decode()
    assert 'href="/accounts/login/?next=/"' in anonymous and "/posts/new" not in anonymous
    signed_in = author_client.get("/").content.decode()
    assert '<form class="inline-form" method="post" action="/accounts/logout/">' in signed_in
    assert 'href="/posts/new"' in signed_in


def test_log_in_and_out_through_django_auth_views(client, user):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "correct horse battery staple", "next": "/posts/new"}
    )
    assert response["Location"] == "/posts/new"
    assert client.get("/posts/new").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/posts/new").status_code == 302


def test_login_page_speaks_korean(client, db):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "로그인" in html


def test_form_keeps_the_apis_upload_limit(author_client, author_api, settings):
    settings.UPLOAD_THROTTLE_RATE = "1/minute"
    assert author_client.post("/posts/new", VALID).status_code == 302
    response = author_client.post("/posts/new", {**VALID, "title": "Second"})
    assert response.status_code == 429
    (message,) = response.context["form"].non_field_errors()
    assert message.startswith("Request was throttled.")
    assert message in response.content.decode()
    assert author_api.post("/api/posts", VALID, format="json").json()["detail"].startswith("Request was throttled.")
    assert Post.objects.count() == 1

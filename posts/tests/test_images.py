import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from posts.images.storage import save_image
from posts.tests.conftest import png_bytes, selects_image_data


def image_url(post, kind="thumb", **query):
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"/api/posts/{post.pk}/image?kind={kind}{extra}"


def test_get_returns_the_stored_bytes_with_their_headers(client, post, thumb):
    response = client.get(image_url(post))
    assert response.status_code == 200
    assert response.content == bytes(thumb.data)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(thumb.bytes)
    assert response["ETag"] == f'"{thumb.sha256}"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("if_none_match", [None, "*"])
def test_images_do_not_vary_by_language(client, post, thumb, if_none_match):
    headers = {"HTTP_IF_NONE_MATCH": if_none_match} if if_none_match else {}
    response = client.get(image_url(post), HTTP_ACCEPT_LANGUAGE="ko", **headers)
    assert "accept-language" not in response.get("Vary", "").lower()
    assert "Content-Language" not in response
    # Other responses still vary by language.
    assert "Accept-Language" in client.get("/api/posts/nope", HTTP_ACCEPT_LANGUAGE="ko")["Vary"]


def test_head_returns_the_headers_without_the_body(client, post, thumb):
    response = client.head(image_url(post))
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(thumb.bytes)
    assert response["ETag"] == f'"{thumb.sha256}"'


def test_a_plain_get_reads_the_image_data_in_one_query(client, post, thumb):
    # Also proves selects_image_data sees a data read, so the tests that assert none are not vacuous.
    with CaptureQueriesContext(connection) as captured:
        client.get(image_url(post))
    assert selects_image_data(captured.captured_queries)
    assert len(captured.captured_queries) == 1


def test_head_does_not_read_the_image_data(client, post, thumb):
    with CaptureQueriesContext(connection) as captured:
        client.head(image_url(post))
    assert not selects_image_data(captured.captured_queries)


def test_each_kind_is_its_own_image(client, post, thumb, og):
    assert client.get(image_url(post, "og")).content == bytes(og.data)
    assert client.get(image_url(post, "thumb")).content == bytes(thumb.data)


def test_the_current_version_is_cached_for_good(client, post, thumb):
    response = client.get(image_url(post, v=thumb.sha256[:12]))
    assert response["Cache-Control"] == "public, max-age=86400, immutable"
    assert client.head(image_url(post, v=thumb.sha256[:12]))["Cache-Control"] == "public, max-age=86400, immutable"


@pytest.mark.parametrize("version", [None, "000000000000", "", "0" * 64])
def test_without_the_current_version_caches_must_revalidate(client, post, thumb, version):
    url = image_url(post) if version is None else image_url(post, v=version)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == bytes(thumb.data)
    assert response["Cache-Control"] == "public, no-cache"


def test_a_recapture_changes_the_version_and_retires_the_old_url(client, post, thumb):
    old_version = thumb.sha256[:12]
    new = save_image(post=post, kind="thumb", data=png_bytes(color=(0, 128, 0)))
    assert new.sha256[:12] != old_version
    stale = client.get(image_url(post, v=old_version))
    assert stale.content == png_bytes(color=(0, 128, 0))
    assert stale["Cache-Control"] == "public, no-cache"
    assert client.get(image_url(post, v=new.sha256[:12]))["Cache-Control"] == "public, max-age=86400, immutable"


@pytest.mark.parametrize(
    "if_none_match",
    ['"{sha}"', 'W/"{sha}"', '"other", W/"{sha}"', '"other",W/"{sha}" , "more"', "*"],
)
@pytest.mark.parametrize("method", ["get", "head"])
def test_a_matching_if_none_match_is_304_without_reading_the_data(client, post, thumb, if_none_match, method):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(
            image_url(post, v=thumb.sha256[:12]), HTTP_IF_NONE_MATCH=if_none_match.format(sha=thumb.sha256)
        )
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{thumb.sha256}"'
    assert response["Cache-Control"] == "public, max-age=86400, immutable"
    assert not selects_image_data(captured.captured_queries)
    assert len(captured.captured_queries) == 1


@pytest.mark.parametrize("if_none_match", ['"0000"', 'W/"0000"', "{sha}", '"{sha}x"', ""])
def test_a_different_or_malformed_if_none_match_gets_the_image(client, post, thumb, if_none_match):
    response = client.get(image_url(post), HTTP_IF_NONE_MATCH=if_none_match.format(sha=thumb.sha256))
    assert response.status_code == 200
    assert response.content == bytes(thumb.data)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?kind=",
        "?kind=THUMB",
        "?kind=../og",
        "?kind=thumb&kind=og",
        "?kind=thumb&kind=thumb",
        "?v=abc",
        "?kind=thumb&v=1&v=2",
        "?kind=thumb%00",
    ],
)
def test_a_bad_kind_is_400_json_never_cached(client, post, thumb, query):
    response = client.get(f"/api/posts/{post.pk}/image{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert response["Cache-Control"] == "no-store"


def test_an_unknown_post_is_404_json_never_cached(client, db):
    response = client.get("/api/posts/00000000-0000-0000-0000-000000000000/image?kind=thumb")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such post."}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("post_id", ["nope", "123", "00000000-0000-0000-0000-00000000000g"])
def test_a_malformed_post_id_is_404_json_never_cached(client, db, post_id):
    response = client.get(f"/api/posts/{post_id}/image?kind=thumb")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such post."}
    assert response["Cache-Control"] == "no-store"


def test_a_post_without_that_image_yet_is_404_json_never_cached(client, post, thumb):
    response = client.get(image_url(post, "og"))
    assert response.status_code == 404
    assert response.json() == {"detail": "This post has no image of that kind yet."}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_other_methods_are_405_json_never_cached(client, post, thumb, method):
    response = getattr(client, method)(image_url(post))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Cache-Control"] == "no-store"
    assert response.json()["detail"]


def test_the_image_endpoint_ignores_sessions_and_cookies(client, post, thumb, django_assert_num_queries, user):
    client.force_login(user)
    with django_assert_num_queries(1):
        assert client.get(image_url(post)).status_code == 200


def test_the_image_endpoint_still_refuses_hosts_not_allowed(client, post, thumb):
    assert client.get(image_url(post), HTTP_HOST="evil.example").status_code == 400


def test_the_image_endpoint_keeps_the_security_headers(client, post, thumb):
    response = client.get(image_url(post))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def real_request(url, method="GET", headers=None):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_over_real_http_head_and_304_carry_no_body(live_server, transactional_db, post, thumb):
    url = live_server.url + image_url(post, v=thumb.sha256[:12])
    status, headers, body = real_request(url, "HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(thumb.bytes)
    assert headers["Content-Type"] == "image/png"
    assert headers["ETag"] == f'"{thumb.sha256}"'
    assert headers["Cache-Control"] == "public, max-age=86400, immutable"

    status, headers, body = real_request(url)
    assert (status, body) == (200, bytes(thumb.data))

    status, headers, body = real_request(url, headers={"If-None-Match": f'W/"{thumb.sha256}"'})
    assert (status, body) == (304, b"")
    assert headers["ETag"] == f'"{thumb.sha256}"'

    status, headers, body = real_request(live_server.url + image_url(post, "og"))
    assert status == 404
    assert headers["Cache-Control"] == "no-store"

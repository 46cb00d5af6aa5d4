"""The 404 and 500 pages a visitor meets in production: in the site's style, in their language."""

import pytest
from django.test import Client

from posts.models import PostQuerySet


@pytest.fixture
def production(settings):
    settings.DEBUG = False


@pytest.mark.parametrize("path", ["/no-such-page", "/posts/00000000-0000-4000-8000-000000000000"])
def test_a_missing_page_is_a_styled_404(client, db, production, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'class="site-header"' in html and "/static/site/site.css" in html


def test_the_404_page_speaks_korean(client, db, production):
    html = client.get("/no-such-page", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "페이지를 찾을 수 없습니다" in html


def test_a_server_error_is_a_styled_500_that_gives_nothing_away(db, production, monkeypatch):
    def broken(self):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(PostQuerySet, "for_listing", broken)
    response = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="ko").get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "문제가 생겼습니다" in html and 'class="site-header"' in html
    assert "secret internals" not in html and "Traceback" not in html

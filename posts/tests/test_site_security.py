"""What the site does against attacks on itself (not on the sandbox): login guessing, Host-header
poisoning, parser bombs, unconfigured mail, and the headers that keep our own pages in line."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from posts.models import Post
from posts.tests.conftest import CIRCLE_SVG
from posts.tests.render_helpers import fill_code

PASSWORD = "correct horse battery staple"
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def log_in(client, username, password, **extra):
    return client.post(LOGIN_PAGES[0], {"username": username, "password": password}, **extra)


def logged_in(client):
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_forty_wrong_passwords_then_the_right_one_is_still_refused(page, db):
    get_user_model().objects.create_user("ada", password=PASSWORD, is_staff=True)
    client = Client()
    answers = [client.post(page, {"username": "ada", "password": f"guess {n}"}).status_code for n in range(40)]
    response = client.post(page, {"username": "ada", "password": PASSWORD})
    assert not logged_in(client)
    assert response.status_code == 429 and 429 in answers[:6]
    assert "Too many failed logins" in response.content.decode()


def test_an_account_under_attack_is_locked_from_every_address(db):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    for n in range(5):
        log_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "ada", "wrong")
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"), "ada", PASSWORD).status_code == 429


def test_an_address_guessing_many_accounts_is_locked_for_all_of_them(db):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        log_in(attacker, f"user{n}", "wrong")
    assert log_in(attacker, "ada", PASSWORD).status_code == 429
    someone_else = Client(REMOTE_ADDR="198.51.100.7")
    assert log_in(someone_else, "ada", PASSWORD).status_code == 302


def test_a_forwarded_for_header_does_not_give_a_fresh_address_without_a_proxy(db):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        log_in(attacker, f"user{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert log_in(attacker, "ada", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_the_proxy_the_address_it_appended_is_the_client(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    get_user_model().objects.create_user("ada", password=PASSWORD)
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for n in range(5):  # the attacker's own X-Forwarded-For comes first; the proxy appends the real one
        log_in(proxy, f"user{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.9")
    assert log_in(proxy, "ada", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert log_in(proxy, "ada", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(db):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    client = Client()
    for _ in range(4):
        log_in(client, "ada", "wrong")
    assert log_in(client, "ada", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, "ada", "wrong")
    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(db, settings):
    from axes.models import AccessAttempt

    get_user_model().objects.create_user("ada", password=PASSWORD)
    client = Client()
    for _ in range(5):
        log_in(client, "ada", "wrong")
    assert log_in(client, "ada", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - settings.AXES_COOLOFF_TIME)
    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_the_lockout_page_speaks_korean(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    for _ in range(6):
        response = log_in(client, "ada", "wrong")
    assert response.status_code == 429
    assert "로그인" in response.content.decode()


def test_listing_links_come_from_site_url_whatever_host_was_asked(db, settings):
    user = get_user_model().objects.create_user("ada")
    for n in range(3):
        Post.objects.create(author=user, title=f"p{n}", render_model="svg", code=CIRCLE_SVG)
    settings.ALLOWED_HOSTS = ["127.0.0.1", "evil.example"]
    poisoned = APIClient().get("/api/posts?page_size=1", HTTP_HOST="evil.example").json()
    served = APIClient().get("/api/posts?page_size=1", HTTP_HOST="127.0.0.1").json()
    assert poisoned["next"].startswith(settings.SITE_URL + "/api/posts?")
    assert served["next"] == poisoned["next"]


def test_deeply_nested_json_is_a_bad_request_not_a_server_error(db):
    user = get_user_model().objects.create_user("ada")
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/posts", "[" * 200_000, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    nested_but_fine = json.dumps({"title": "x", "description": "", "render_model": "svg", "code": CIRCLE_SVG})
    assert client.post("/api/posts", nested_but_fine, content_type="application/json").status_code == 201


def test_password_reset_is_not_offered_without_mail(client, db):
    assert client.get("/accounts/password_reset/").status_code == 404
    assert client.post("/accounts/password_reset/", {"email": "ada@example.com"}).status_code == 404


def test_a_signed_in_user_may_change_their_password(client, db):
    user = get_user_model().objects.create_user("ada", password=PASSWORD)
    client.force_login(user)
    assert client.get("/accounts/password_change/").status_code == 200
    new = "a different horse battery staple"
    response = client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response["Location"] == "/accounts/password_change/done/"
    user.refresh_from_db()
    assert user.check_password(new)


def app_pages(client):
    user = get_user_model().objects.create_superuser("ada", password=PASSWORD)
    post = Post.objects.create(author=user, title="circle", render_model="svg", code=CIRCLE_SVG)
    client.force_login(user)
    return [
        "/",
        post.get_absolute_url(),
        "/posts/new",
        "/admin/",
        "/admin/posts/post/",
        "/api/docs",
        "/accounts/login/",
    ]


def test_every_app_page_has_a_content_security_policy_and_a_permissions_policy(client, db):
    for url in app_pages(client):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = set(response["Content-Security-Policy"].split("; "))  # in no fixed order
        assert {"default-src 'self'", "script-src 'self'"} <= directives, url
        assert {"frame-ancestors 'none'", "object-src 'none'"} <= directives, url
        assert "camera=()" in response["Permissions-Policy"] and "microphone=()" in response["Permissions-Policy"]


def test_the_render_harness_keeps_its_own_sandbox_policy(client, db):
    user = get_user_model().objects.create_user("ada")
    post = Post.objects.create(author=user, title="circle", render_model="svg", code=CIRCLE_SVG)
    policy = client.get(f"/posts/{post.pk}/render")["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts") and "default-src 'self'" not in policy


@pytest.mark.browser
def test_app_pages_work_under_their_policies_without_a_violation(live_server, chromium, db):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    violations = []
    context.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page = context.new_page()
    page.on("pageerror", lambda error: violations.append(str(error)))
    client = Client()
    urls = app_pages(client)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    try:
        page.goto(live_server.url + urls[1])  # the post page: its live render is framed
        page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
        page.goto(live_server.url + "/posts/new")
        fill_code(page, CIRCLE_SVG)
        page.select_option("#id_render_model", "svg")
        page.click("#preview-button")
        page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
        page.goto(live_server.url + "/admin/posts/post/")
        assert page.locator("#result_list").is_visible()
        page.goto(live_server.url + "/api/docs")
        page.wait_for_selector(".swagger-ui .info .title")
        page.goto(live_server.url + "/")
        assert page.locator(".card").count() == 1
    finally:
        context.close()
    assert violations == []

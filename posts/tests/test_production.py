"""The production setup of docs/production.md, run for real: Debian's nginx with TLS in front of gunicorn on loopback.

deploy/local.py starts both (DJANGO_DEBUG=0, collectstatic, the nginx site file rendered from the
same settings); these tests talk to them over real sockets. `make production-check` runs this file.
"""

import configparser
import gzip
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection

from deploy.local import NGINX, LocalProduction

BASE_DIR = Path(__file__).resolve().parents[2]
UPLOAD_LIMIT = 300_000


@contextmanager
def production_database():
    """On a MySQL/MariaDB test run, a scratch database beside the test database (as in production); else SQLite."""
    db = connection.settings_dict
    if connection.vendor != "mysql":
        yield None
        return
    import MySQLdb

    name = f"{db['NAME']}_production"
    server = {"host": db["HOST"] or "127.0.0.1", "port": int(db["PORT"] or 3306), "user": db["USER"]}
    admin = MySQLdb.connect(**server, password=db["PASSWORD"] or "")
    try:
        admin.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        yield f"mysql://{db['USER']}{password}@{server['host']}:{server['port']}/{name}"
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.skip("needs nginx (make setup installs Debian's as root: apt-get install nginx)")
    # A limit of our own, to show that nginx's follows the setting.
    env = {"DATA_UPLOAD_MAX_MEMORY_SIZE": str(UPLOAD_LIMIT), "LOGIN_FAILURE_LIMIT": "2"}
    with production_database() as database_url:
        with LocalProduction(tmp_path_factory.mktemp("production"), database_url=database_url, env=env) as site:
            yield site


def request(site, method, path, *, via="https", headers=None, body=None, timeout=20):
    """One request, without following redirects; returns (status, headers, body)."""
    if via == "https":
        context = ssl.create_default_context(cafile=site.certificate)
        connection = http.client.HTTPSConnection("127.0.0.1", site.https_port, timeout=timeout, context=context)
    else:
        port = site.http_port if via == "http" else site.gunicorn_port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def gunicorn_saw(site, path):
    return f'"GET {path} ' in site.gunicorn_log.read_text()


def test_the_feed_is_served_over_tls_and_django_knows_it(site):
    status, headers, body = request(site, "GET", "/")
    assert status == 200
    assert b"<html" in body
    # SecurityMiddleware sends HSTS only on a request it sees as secure: nginx's X-Forwarded-Proto.
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # gunicorn asked directly, without the header, sees plain HTTP and redirects to https (SITE_URL's scheme).
    status, headers, _ = request(site, "GET", "/", via="gunicorn")
    assert status == 301
    assert headers["Location"].startswith("https://")


def test_a_client_cannot_claim_https_over_plain_http(site):
    status, headers, _ = request(site, "GET", "/", via="http", headers={"X-Forwarded-Proto": "https"})
    assert status == 301
    assert headers["Location"] == f"{site.https_url}/"


def test_certbot_challenges_are_answered_over_plain_http(site):
    challenge = site.acme_webroot / ".well-known" / "acme-challenge" / "token-123"
    challenge.parent.mkdir(parents=True, exist_ok=True)
    challenge.write_text("token-123.key")
    status, _, body = request(site, "GET", "/.well-known/acme-challenge/token-123", via="http")
    assert (status, body) == (200, b"token-123.key")


def test_static_files_come_from_nginx_with_cors_and_far_future_caching(site):
    manifest = json.loads((site.static_root / "staticfiles.json").read_text())["paths"]
    path = "/static/" + manifest["render/harness.js"]
    status, headers, body = request(site, "GET", path)
    assert status == 200
    assert body == (site.static_root / manifest["render/harness.js"]).read_bytes()
    # The harness's origin is opaque ("null") and it loads this script with crossorigin.
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert "javascript" in headers["Content-Type"]
    # collectstatic's compressed copy, for a client that takes it.
    status, headers, body = request(site, "GET", path, headers={"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert gzip.decompress(body) == (site.static_root / manifest["render/harness.js"]).read_bytes()
    # The unhashed name exists too, but may change: a short lifetime.
    status, headers, _ = request(site, "GET", "/static/render/harness.js")
    assert status == 200
    assert headers.get_all("Cache-Control") == ["max-age=60"]
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert not gunicorn_saw(site, path)


def test_image_files_come_from_nginx_as_immutable(site):
    data = b"\x89PNG\r\n\x1a\n" + b"not really a png, but nginx does not look"
    name = f"images/{hashlib.sha256(data).hexdigest()}.png"
    (site.image_files_dir / name).parent.mkdir(parents=True, exist_ok=True)
    (site.image_files_dir / name).write_bytes(data)
    status, headers, body = request(site, "GET", f"/images/{name}")
    assert status == 200
    assert body == data
    assert headers["Content-Type"] == "image/png"
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert not gunicorn_saw(site, f"/images/{name}")
    # A missing object is nginx's plain 404, never cached as immutable.
    status, headers, _ = request(site, "GET", "/images/images/" + "0" * 64 + ".png")
    assert status == 404
    assert "Cache-Control" not in headers


def test_a_body_over_the_upload_limit_is_refused_by_nginx(site):
    headers = {"Content-Type": "application/json"}
    status, _, body = request(site, "POST", "/api/posts", headers=headers, body=b"x" * (UPLOAD_LIMIT + 1))
    assert status == 413
    assert b"nginx" in body  # nginx's page: gunicorn never read it
    # At the limit it reaches Django, which asks who is posting.
    status, _, body = request(site, "POST", "/api/posts", headers=headers, body=b"x" * UPLOAD_LIMIT)
    assert status in (401, 403)
    assert b"credentials" in body


class Trickler:
    """Connections that send a request's headers one line a second and never finish them."""

    def __init__(self, port, count, *, wrap=None):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            self.sockets.append(wrap(sock) if wrap else sock)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)

    def trickle(self):
        for sock in self.sockets:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        line = 0
        while not self.stopped.wait(1):
            line += 1
            for sock in self.sockets:
                try:
                    sock.sendall(b"X-Slow-%d: still coming\r\n" % line)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        time.sleep(1.5)  # let the servers accept and start reading them
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def test_slow_clients_do_not_reach_gunicorn_through_nginx(site):
    # Three slow clients against gunicorn's two sync workers, through nginx: the site still answers.
    context = ssl.create_default_context(cafile=site.certificate)
    with Trickler(site.https_port, 3, wrap=lambda s: context.wrap_socket(s, server_hostname="127.0.0.1")):
        status, _, _ = request(site, "GET", "/")
        assert status == 200
    # The same three against gunicorn itself take both workers: the next visitor gets nothing.
    with Trickler(site.gunicorn_port, 3):
        with pytest.raises(TimeoutError):
            request(site, "GET", "/", via="gunicorn", timeout=5)
    # Once they go, gunicorn recovers.
    status, _, _ = request(site, "GET", "/", via="gunicorn", timeout=30)
    assert status == 301


def test_a_client_cannot_pick_its_own_address_through_nginx(site):
    # nginx appends the address it sees to X-Forwarded-For and Django (DJANGO_BEHIND_PROXY=1) reads
    # only that one: a guesser who sends a new address with every try is still one address to
    # the login limits (LOGIN_FAILURE_LIMIT=2 here): the failure that reaches the limit is answered 429.
    statuses = []
    for attempt in range(3):
        status, headers, body = request(site, "GET", "/accounts/login/")
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1].decode()
        form = urlencode({"csrfmiddlewaretoken": token, "username": f"guess-{attempt}", "password": "wrong"})
        headers = {
            "Cookie": cookie,
            "Origin": site.https_url,
            "Referer": f"{site.https_url}/accounts/login/",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": f"198.51.100.{attempt + 1}",
        }
        statuses.append(request(site, "POST", "/accounts/login/", headers=headers, body=form)[0])
    assert statuses == [200, 429, 429]


def test_systemd_gives_a_stopping_worker_time_to_finish_its_capture():
    # What the worker needs on SIGTERM (docs/worker.md); capture/tests/test_processes.py shows why mixed.
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(BASE_DIR / "deploy" / "systemd" / "imagesite-worker@.service")
    service = unit["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert service["KillMode"] == "mixed"
    assert int(service["TimeoutStopSec"]) > settings.CAPTURE_TIMEOUT_SECONDS + 5


def test_the_nginx_config_refuses_an_image_url_on_another_host(tmp_path):
    env = {**os.environ, "IMAGE_FILES_URL": "https://cdn.example/i/"}
    rendered = subprocess.run(
        [sys.executable, "deploy/nginx_conf.py", "--certificate", "c.pem", "--certificate-key", "k.pem"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert rendered.returncode != 0
    assert rendered.stderr.strip() == (
        "nginx_conf: IMAGE_FILES_URL is on another host (https://cdn.example/i/): nothing for this nginx to serve."
    )
    assert rendered.stdout == ""

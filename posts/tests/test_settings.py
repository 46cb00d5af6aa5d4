"""Start-up configuration, driven the way an operator drives it: environment variables and real processes."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CONFIG_VARS = {
    "DATABASE_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_STATIC_ROOT",
    "SITE_URL",
    "NEXT_PUBLIC_SITE_URL",
    "UPLOAD_THROTTLE_RATE",
    "RECAPTURE_THROTTLE_RATE",
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "RENDER_ORIGIN",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "DJANGO_BEHIND_PROXY",
    "LOG_LEVEL",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_MINUTES",
    "DB_HOST",
    "DB_PORT",
    "DB_USERNAME",
    "DB_PASSWORD",
    "DB_DATABASE",
    "IMAGE_STORAGE",
    "IMAGE_FILES_DIR",
    "IMAGE_FILES_URL",
    "IMAGE_CDN_URL",
    "IMAGE_RETIRED_GRACE_HOURS",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the test plugin; a deploy check rightly refuses it
}
PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in %r}, default=str))
"""


def environment(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and not k.startswith("CAPTURE_")}
    env.update(overrides)
    return env


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_of(*names, **env):
    """The named settings as a fresh process started with this environment sees them."""
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS % (names,)],
        cwd=BASE_DIR,
        env=environment(DJANGO_SETTINGS_MODULE="imagesite.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "foo://host/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root:secret@db:port/imagesite"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@127.0.0.1:3306/"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"UPLOAD_THROTTLE_RATE": "lots"}, "UPLOAD_THROTTLE_RATE"),
        ({"UPLOAD_THROTTLE_RATE": "0/minute"}, "UPLOAD_THROTTLE_RATE"),
        ({"RECAPTURE_THROTTLE_RATE": "often"}, "RECAPTURE_THROTTLE_RATE"),
        ({"SITE_URL": "example.com"}, "SITE_URL"),
        ({"SITE_URL": "ftp://example.com"}, "SITE_URL"),
        ({"SITE_URL": "https://example.com/gallery"}, "SITE_URL"),
        ({"NEXT_PUBLIC_SITE_URL": "localhost:3000"}, "NEXT_PUBLIC_SITE_URL"),
        ({"CAPTURE_THUMB_SIZE": "640"}, "CAPTURE_THUMB_SIZE"),
        ({"CAPTURE_OG_SIZE": "0x630"}, "CAPTURE_OG_SIZE"),
        ({"CAPTURE_OG_SIZE": "9000x630"}, "CAPTURE_OG_SIZE"),
        ({"CAPTURE_MAX_ATTEMPTS": "0"}, "CAPTURE_MAX_ATTEMPTS"),
        ({"CAPTURE_TIMEOUT_SECONDS": "soon"}, "CAPTURE_TIMEOUT_SECONDS"),
        ({"RENDER_ORIGIN": "render.example.com"}, "RENDER_ORIGIN"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"DATA_UPLOAD_MAX_MEMORY_SIZE": "1MB"}, "DATA_UPLOAD_MAX_MEMORY_SIZE"),
        ({"SECURE_HSTS_SECONDS": "-1"}, "SECURE_HSTS_SECONDS"),
        ({"DJANGO_BEHIND_PROXY": "sometimes"}, "DJANGO_BEHIND_PROXY"),
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT"),
        ({"LOGIN_LOCKOUT_MINUTES": "forever"}, "LOGIN_LOCKOUT_MINUTES"),
        ({"CAPTURE_ALERT_WEBHOOK": "hooks.slack.com/services/x"}, "CAPTURE_ALERT_WEBHOOK"),
        ({"CAPTURE_ALERT_FAILURE_PERCENT": "0"}, "CAPTURE_ALERT_FAILURE_PERCENT"),
        ({"CAPTURE_ALERT_MIN_CAPTURES": "many"}, "CAPTURE_ALERT_MIN_CAPTURES"),
        ({"CAPTURE_ALERT_PENDING_SECONDS": "0"}, "CAPTURE_ALERT_PENDING_SECONDS"),
        ({"CAPTURE_ALERT_WINDOW_SECONDS": "10"}, "CAPTURE_ALERT_WINDOW_SECONDS"),
        ({"IMAGE_STORAGE": "cloud"}, "IMAGE_STORAGE"),
        ({"IMAGE_STORAGE": "s3"}, "AWS_STORAGE_BUCKET_NAME"),
        ({"IMAGE_FILES_URL": "/images"}, "IMAGE_FILES_URL"),
        ({"IMAGE_FILES_URL": "images/"}, "IMAGE_FILES_URL"),
        ({"IMAGE_CDN_URL": "cdn.example.com/"}, "IMAGE_CDN_URL"),
        ({"IMAGE_CDN_URL": "https://cdn.example.com"}, "IMAGE_CDN_URL"),
        ({"IMAGE_RETIRED_GRACE_HOURS": "-1"}, "IMAGE_RETIRED_GRACE_HOURS"),
        ({"CAPTURE_THUMB_SCALE": "3"}, "CAPTURE_THUMB_SCALE"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_sentence(env, names):
    result = manage("check", **env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0]
    assert lines[0].endswith(".")


def test_a_database_url_error_does_not_echo_the_password():
    result = manage("check", DATABASE_URL="mysql://root:hunter2@db:port/imagesite")
    assert "hunter2" not in result.stderr


def test_gunicorn_stops_instead_of_respawning_workers_on_a_bad_setting():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--no-control-socket", "-b", "127.0.0.1:0", "imagesite.wsgi"],
        cwd=BASE_DIR,
        env=environment(DJANGO_DEBUG="0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0." in result.stderr
    assert "Traceback" not in result.stderr


def test_the_seeds_database_variables_are_used_without_database_url():
    seed = {"DB_HOST": "db.in", "DB_PORT": "3307", "DB_USERNAME": "app", "DB_PASSWORD": "pw", "DB_DATABASE": "gal"}
    database = settings_of("DATABASES", **seed)["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.mysql"
    found = (database["HOST"], str(database["PORT"]), database["USER"], database["PASSWORD"], database["NAME"])
    assert found == ("db.in", "3307", "app", "pw", "gal")
    assert database["OPTIONS"]["charset"] == "utf8mb4"


def test_database_url_wins_over_the_seeds_variables():
    database = settings_of("DATABASES", DATABASE_URL="sqlite:////tmp/x.sqlite3", DB_HOST="db.internal")["DATABASES"]
    assert database["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_a_mysql_url_gets_utf8mb4():
    database = settings_of("DATABASES", DATABASE_URL="mysql://u:p@db:3306/imagesite")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.mysql"
    assert database["OPTIONS"]["charset"] == "utf8mb4"
    assert database["TEST"]["CHARSET"] == "utf8mb4"


def test_the_default_database_is_sqlite_under_var():
    database = settings_of("DATABASES")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(BASE_DIR / "var" / "db.sqlite3")


def test_the_seeds_site_url_is_used_without_site_url():
    assert settings_of("SITE_URL", NEXT_PUBLIC_SITE_URL="https://gallery.example/")["SITE_URL"] == (
        "https://gallery.example"
    )
    both = settings_of("SITE_URL", SITE_URL="https://new.example", NEXT_PUBLIC_SITE_URL="https://old.example")
    assert both["SITE_URL"] == "https://new.example"


def test_allowed_hosts_default_to_the_site_and_loopback():
    found = settings_of("ALLOWED_HOSTS", SITE_URL="https://gallery.example")["ALLOWED_HOSTS"]
    assert found == ["gallery.example", "localhost", "127.0.0.1", "[::1]"]
    listed = settings_of("ALLOWED_HOSTS", DJANGO_ALLOWED_HOSTS=" a.example, b.example ,")["ALLOWED_HOSTS"]
    assert listed == ["a.example", "b.example"]


def test_deploy_check_is_clean_for_production_over_https():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SITE_URL="https://gallery.example", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_deploy_check_over_plain_http_warns_only_about_https_settings():
    result = manage("check", "--deploy", SITE_URL="http://127.0.0.1:8000", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    warned = {line.split()[1] for line in result.stderr.splitlines() if line.startswith("?: (security.")}
    # HSTS, SSL redirect and the two secure cookies: all follow SITE_URL's scheme on purpose.
    assert warned <= {"(security.W004)", "(security.W008)", "(security.W012)", "(security.W016)"}


def test_https_settings_follow_the_site_url_scheme():
    names = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
    https = settings_of(*names, SITE_URL="https://gallery.example", **PRODUCTION)
    assert https == dict.fromkeys(names[:3], True) | {"SECURE_HSTS_SECONDS": 31536000}
    http = settings_of(*names, SITE_URL="http://127.0.0.1:8000", **PRODUCTION)
    assert http == dict.fromkeys(names[:3], False) | {"SECURE_HSTS_SECONDS": 0}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # a busy machine can be slow
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_gunicorn_serves_collected_static_files_in_production(tmp_path):
    env = {**PRODUCTION, "DJANGO_STATIC_ROOT": str(tmp_path / "static")}
    collected = manage("collectstatic", "--noinput", "-v0", **env)
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--no-control-socket", "-b", f"127.0.0.1:{port}", "imagesite.wsgi"],
        cwd=BASE_DIR,
        env=environment(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(0.05)

        status, headers, body = fetch(f"{base}/static/{manifest['vendor/three/three.min.js']}")
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        assert headers["Content-Type"].startswith("text/javascript")
        assert b"Three.js Authors" in body

        status, headers, _ = fetch(f"{base}/static/admin/css/base.css")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")

        # A page's {% static %} links resolve through the manifest and are served.
        status, _, body = fetch(f"{base}/api/docs")
        assert status == 200
        hashed = f"/static/{manifest['drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js']}"
        assert hashed.encode() in body
        assert fetch(base + hashed)[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_production_server_error_is_logged_with_its_traceback(tmp_path):
    # A database nobody migrated: every listing is a server error, as a broken deploy would give.
    env = {
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    assert manage("collectstatic", "--noinput", "-v0", **env).returncode == 0
    port = free_port()
    log = tmp_path / "gunicorn.log"  # a file, not a pipe: a full pipe would block the logging worker
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--no-control-socket", "-b", f"127.0.0.1:{port}", "imagesite.wsgi"],
        cwd=BASE_DIR,
        env=environment(**env),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.05)
        status, _, body = fetch(f"http://127.0.0.1:{port}/api/posts")
        assert status == 500
        assert b"no such table" not in body  # the visitor learns nothing but that something went wrong
        assert b"Something went wrong" in body
    finally:
        server.terminate()
        server.wait(timeout=30)
    stderr = log.read_text()
    assert "ERROR django.request: Internal Server Error: /api/posts" in stderr
    assert "Traceback" in stderr and "no such table" in stderr


def test_s3_settings_configure_the_images_storage_and_let_pages_show_its_images():
    found = settings_of(
        "STORAGES",
        "CONTENT_SECURITY_POLICY",
        IMAGE_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="pictures",
        AWS_S3_ENDPOINT_URL="https://acct.r2.example.com",
        IMAGE_CDN_URL="https://cdn.example.com/images/",
    )
    options = found["STORAGES"]["images"]["OPTIONS"]
    assert found["STORAGES"]["images"] == found["STORAGES"]["images-s3"]
    assert (options["bucket_name"], options["endpoint_url"], options["location"]) == (
        "pictures",
        "https://acct.r2.example.com",
        "images",
    )
    img_src = found["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert {"https://cdn.example.com", "https://acct.r2.example.com"} <= set(img_src)


def test_the_database_is_the_default_image_storage():
    found = settings_of("IMAGE_STORAGE", "STORAGES")
    assert found["IMAGE_STORAGE"] == "db"
    assert "images" not in found["STORAGES"]

import os
import uuid

import pytest
from django.core.management import CommandError, call_command

from capture.serve import RENDER_ORIGIN, StaticFiles, harness_document, harness_url
from capture.tests.conftest import make_post


def test_the_harness_is_rendered_in_process_with_the_sites_own_headers(db, client):
    post = make_post("canvas", "ctx.fillRect(0, 0, 9, 9);")

    document = harness_document(post.pk)
    served = client.get(f"/posts/{post.pk}/render?mode=capture")

    assert harness_url(post.pk) == f"{RENDER_ORIGIN}/posts/{post.pk}/render?mode=capture"
    assert document.status == 200
    assert document.headers["Content-Security-Policy"] == served["Content-Security-Policy"]
    assert document.headers["Content-Security-Policy"].startswith("sandbox allow-scripts")
    assert '"mode": "capture"' in document.body.decode()


def test_a_deleted_post_renders_as_not_found(db):
    assert harness_document(uuid.uuid4()).status == 404


def test_static_files_are_served_from_memory_with_cors():
    static = StaticFiles()

    script = static.get("/static/render/harness.js")
    three = static.get("/static/vendor/three/three.min.js")

    assert script.status == 200
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Access-Control-Allow-Origin"] == "*"
    assert b"__render" in script.body
    assert b"Three.js Authors" in three.body
    assert static.get("/static/render/harness.js") is script  # read once


@pytest.mark.parametrize(
    "path",
    [
        "/static/../manage.py",
        "/static/%2e%2e/manage.py",
        "/static/",
        "/static/render/missing.js",
        "/static//etc/passwd",
    ],
)
def test_nothing_outside_the_static_files_is_served(path):
    assert StaticFiles().get(path) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="only root is refused the sandbox")
def test_the_chromium_sandbox_is_refused_to_root_with_a_clear_sentence(db, settings):
    settings.CAPTURE_CHROMIUM_SANDBOX = True

    with pytest.raises(CommandError, match="CAPTURE_CHROMIUM_SANDBOX=1 needs a non-root user"):
        call_command("capture_queue")

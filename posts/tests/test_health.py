"""The pipeline's health as capture_status, the admin page and /metrics show it; who may read /metrics."""

import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from posts import health, jobs
from posts.images.storage import save_image
from posts.models import CaptureWorker, JobStatus, Post, PostImageJob
from posts.tests.conftest import CIRCLE_SVG, png_bytes


@pytest.fixture
def traffic(db):
    """Six posts: four captured (one shader), one failed twice the same way, one waiting."""
    posts = [
        Post.objects.create(title=f"p{i}", render_model="shader" if i == 0 else "svg", code=CIRCLE_SVG)
        for i in range(6)
    ]
    for post in posts:
        jobs.enqueue(post, "thumb")
    for i, job in enumerate(jobs.claim_due_jobs(worker_id="w", limit=5)):
        if i < 4:
            jobs.mark_success(job, worker_id="w")
            save_image(post=job.post, kind="thumb", data=png_bytes(), capture_ms=100 * (i + 1), harness_version="h")
        else:
            jobs.mark_failed(job, worker_id="w", error="compile: ERROR: 'x' undeclared", transient=False)
    PostImageJob.objects.filter(status=JobStatus.PENDING).update(run_after=timezone.now() - timedelta(seconds=90))
    # Its heartbeat said 0 in flight; it has claimed one since: what it holds counts, not what it last said.
    health.worker_beat(worker_id="host:1:abc", chromium_version="156.0.1.2", webgl_renderer="SwiftShader", running=0)
    og = jobs.enqueue(posts[0], "og")
    PostImageJob.objects.filter(pk=og.pk).update(status=JobStatus.RUNNING, locked_by="host:1:abc")
    CaptureWorker.objects.create(worker_id="gone", heartbeat_at=timezone.now() - timedelta(hours=1))
    return posts


def test_capture_status_prints_every_number_an_operator_asks_for(traffic):
    out = io.StringIO()
    call_command("capture_status", stdout=out)
    text = out.getvalue()

    assert "  thumb          1        0        4        1" in text
    assert "last hour: 5 ended, 1 failed (20.0% failure rate), 0.1 captures/min" in text
    assert "oldest due pending job: waiting 9" in text  # 90 s and a little
    assert "live workers: 1\n  host:1:abc  Chromium 156.0.1.2  1 in flight" in text and "gone" not in text
    assert "  svg        300 ms    400 ms       3" in text and "  shader     100 ms    100 ms       1" in text
    assert "      1x compile: ERROR: 'x' undeclared" in text


def test_capture_status_json_has_the_same_numbers(traffic):
    out = io.StringIO()
    call_command("capture_status", "--json", stdout=out)
    state = json.loads(out.getvalue())

    assert state["jobs"]["thumb"] == {"pending": 1, "running": 0, "success": 4, "failed": 1}
    assert state["last_hour"]["failure_rate"] == 0.2
    assert [worker["id"] for worker in state["workers"]] == ["host:1:abc"]
    assert state["capture_ms"]["svg"] == {"p50": 300, "p95": 400, "count": 3}
    assert state["errors"] == [{"error": "compile: ERROR: 'x' undeclared", "count": 1}]


def test_the_admin_health_page_is_for_staff_and_linked_from_the_index(traffic, client):
    staff = get_user_model().objects.create_user("op", password="pw", is_staff=True)
    client.force_login(staff)

    index = client.get("/admin/").content.decode()
    page = client.get("/admin/posts/captureworker/")

    assert "/admin/posts/captureworker/" in index
    assert page.status_code == 200
    text = page.content.decode()
    assert "host:1:abc" in text and "compile: ERROR: &#x27;x&#x27; undeclared" in text
    assert "failure rate 0.200" in text
    client.force_login(get_user_model().objects.create_user("ada"))
    assert client.get("/admin/posts/captureworker/").status_code == 302  # to the admin's login


def scrape(client, **headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def samples(family, name=None):
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for sample in family.samples
        if name in (None, sample.name)
    }


def test_metrics_count_the_queue_outcomes_workers_and_durations_from_the_database(traffic, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    families = scrape(Client(), HTTP_AUTHORIZATION="Bearer s3cret-token")

    assert samples(families["imagesite_capture_queue_depth"]) == {
        ("imagesite_capture_queue_depth", (("kind", "thumb"), ("priority", "0"))): 1
    }
    assert 89 < families["imagesite_capture_oldest_pending_seconds"].samples[0].value < 200
    outcomes = samples(families["imagesite_capture_outcomes_last_hour"])
    assert outcomes == {
        ("imagesite_capture_outcomes_last_hour", (("render_model", "shader"), ("status", "success"))): 1,
        ("imagesite_capture_outcomes_last_hour", (("render_model", "svg"), ("status", "success"))): 3,
        ("imagesite_capture_outcomes_last_hour", (("render_model", "svg"), ("status", "failed"))): 1,
    }
    assert families["imagesite_capture_workers_live"].samples[0].value == 1
    histogram = samples(families["imagesite_capture_duration_seconds"])
    svg = (("render_model", "svg"),)
    assert (
        samples(families["imagesite_capture_duration_seconds_gcount"])[
            ("imagesite_capture_duration_seconds_gcount", svg)
        ]
        == 3
    )
    assert samples(families["imagesite_capture_duration_seconds_gsum"])[
        ("imagesite_capture_duration_seconds_gsum", svg)
    ] == pytest.approx(0.9)
    assert histogram[("imagesite_capture_duration_seconds_bucket", (("le", "0.25"), ("render_model", "svg")))] == 1
    assert histogram[("imagesite_capture_duration_seconds_bucket", (("le", "0.5"), ("render_model", "svg")))] == 3


@pytest.mark.parametrize(
    ("token", "header", "status"),
    [
        ("s3cret-token", None, 401),
        ("s3cret-token", "Bearer wrong", 403),
        ("s3cret-token", "Bearer ", 403),
        ("s3cret-token", "Token s3cret-token", 401),
        (None, "Bearer ", 403),
        (None, "Bearer None", 403),
        ("s3cret-token", "Bearer s3cret-token", 200),
    ],
)
def test_metrics_need_the_token(db, settings, token, header, status):
    settings.METRICS_TOKEN = token
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == status
    assert response["Cache-Control"].startswith("max-age=0")
    if status == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_metrics_answer_a_staff_session_and_refuse_other_users(db, settings, client):
    settings.METRICS_TOKEN = None
    client.force_login(get_user_model().objects.create_user("ada"))
    assert client.get("/metrics").status_code == 403
    client.force_login(get_user_model().objects.create_user("op", is_staff=True))
    assert "imagesite_capture_workers_live" in client.get("/metrics").content.decode()

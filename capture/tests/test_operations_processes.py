"""Operating the pipeline with real worker processes on MariaDB: a backfill beside them, and their alerts."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from capture.tests.conftest import make_post
from capture.tests.test_alerts import Receiver
from capture.tests.test_processes import database_url, wait_for
from posts.images.storage import image_fields
from posts.models import JobPriority, JobStatus, Post, PostImage, PostImageJob
from posts.tests.conftest import png_bytes

pytestmark = [pytest.mark.mysql, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
TINY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="%d" height="3" fill="#36c"/></svg>'
THROWS = 'throw new Error("the sketch is broken");'


def manage(*args, env=None, **popen):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url(), "CAPTURE_TIMEOUT_SECONDS": "15", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def stop(workers):
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * len(workers), outputs
    return outputs


def test_a_backfill_of_2000_posts_beside_two_workers_captures_each_missing_image_once_after_new_uploads():
    posts = Post.objects.bulk_create(
        Post(title=f"tiny {n}", render_model="svg", code=TINY_SVG % (n % 3 + 1)) for n in range(2000)
    )
    stored = image_fields(png_bytes((4, 3)))
    # 60 posts lack their thumbnail and 60 their OG image; the other 1,880 have both.
    lacking = {"thumb": set(posts[:60]), "og": set(posts[60:120])}
    PostImage.objects.bulk_create(
        PostImage(post=post, kind=kind, harness_version="old", **stored)
        for post in posts
        for kind in ("thumb", "og")
        if post not in lacking[kind]
    )
    workers = [manage("capture_queue", "--watch", "--interval", "1") for _ in range(2)]
    try:
        backfill = manage("capture_backfill", "--batch-size", "150")
        backfill_output = backfill.communicate(timeout=300)[0]
        assert backfill.returncode == 0, backfill_output
        assert "capture_backfill: 2000 post(s) scanned; thumb: 60 missing, 60 queued, 0 already; og: 60 missing" in (
            backfill_output
        )
        waiting = set(PostImageJob.objects.filter(status=JobStatus.PENDING).values_list("id", flat=True))
        uploads = [make_post("svg", TINY_SVG % 2, title=f"new {n}") for n in range(4)]
        new_jobs = set(PostImageJob.objects.filter(post__in=uploads).values_list("id", flat=True))
        wait_for(lambda: PostImageJob.objects.filter(status=JobStatus.SUCCESS).count() == 128, timeout=600)
    finally:
        outputs = stop(workers)

    backfilled = PostImageJob.objects.filter(priority=JobPriority.BACKFILL)
    assert backfilled.count() == 120
    assert set(backfilled.values_list("status", "attempts").distinct()) == {(JobStatus.SUCCESS, 1)}
    assert sum(output.count("outcome=success") for output in outputs) == 128  # each image captured once
    assert PostImage.objects.count() == 4008
    assert PostImage.objects.filter(harness_version="old").count() == 3880  # what existed was left alone
    # The uploads' jobs were claimed before every backfill job still waiting when they came in;
    # one claim of the other worker may race the last of them (SKIP LOCKED passes a locked row).
    order = list(
        PostImageJob.objects.filter(id__in=waiting | new_jobs).order_by("started_at", "id").values_list("id", flat=True)
    )
    assert len(waiting) > 20  # the uploads came in while most of the backfill was still queued
    assert max(order.index(job) for job in new_jobs) <= len(new_jobs)

    again = manage("capture_backfill")
    assert "thumb: 0 missing, 0 queued, 0 already; og: 0 missing, 0 queued, 0 already." in again.communicate()[0]


def test_two_workers_send_one_alert_per_incident_and_one_recovery_and_metrics_see_it():
    receiver = Receiver()
    env = {
        "CAPTURE_ALERT_WEBHOOK": receiver.url,
        "CAPTURE_ALERT_MIN_CAPTURES": "4",
        "CAPTURE_ALERT_FAILURE_PERCENT": "50",
        "CAPTURE_LEASE_SECONDS": "5",  # a heartbeat (and alert check) every 1.25 s
    }
    workers = [manage("capture_queue", "--watch", "--interval", "1", env=env) for _ in range(2)]
    try:
        for n in range(3):
            make_post("canvas", THROWS, title=f"broken {n}")
        wait_for(lambda: len(receiver.messages) >= 1, timeout=180)
        time.sleep(4)  # several more checks by each worker
        assert len(receiver.messages) == 1
        assert receiver.texts()[0].startswith("imagesite: ALERT: capture failure rate over the last 15 min: 100%")

        for n in range(5):
            make_post("svg", TINY_SVG % 3, title=f"fine {n}")
        wait_for(lambda: len(receiver.messages) >= 2, timeout=180)
        time.sleep(4)
        assert len(receiver.messages) == 2
        recovered = receiver.texts()[1]
        assert recovered.startswith("imagesite: RECOVERED: capture failure rate over the last 15 min: ")
        assert int(recovered.split("min: ")[1].split("%")[0]) < 50  # as soon as it dipped under the threshold
        wait_for(lambda: PostImageJob.objects.filter(status=JobStatus.SUCCESS).count() == 10)

        client = Client()
        client.force_login(get_user_model().objects.create_user("op", is_staff=True))
        metrics = client.get("/metrics").content.decode()
    finally:
        stop(workers)
        receiver.close()

    families = {family.name: family for family in text_string_to_metric_families(metrics)}
    outcomes = {
        (sample.labels["render_model"], sample.labels["status"]): sample.value
        for sample in families["imagesite_capture_outcomes_last_hour"].samples
    }
    assert outcomes == {("canvas", "failed"): 6, ("svg", "success"): 10}
    assert families["imagesite_capture_workers_live"].samples[0].value == 2
    count = families["imagesite_capture_duration_seconds_gcount"].samples
    assert [(s.labels["render_model"], s.value) for s in count] == [("svg", 10)]

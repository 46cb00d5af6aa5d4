import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from capture import worker
from capture.tests.conftest import make_post
from capture.worker import Worker, database
from posts import jobs
from posts.models import ImageKind, JobPriority, JobStatus, Post, PostImage, PostImageJob

BASE_DIR = Path(__file__).resolve().parents[2]
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="4" height="3" fill="#c33"/></svg>'
HALF_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="2" height="3" fill="#c33"/></svg>'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "5"], "--interval only applies with --watch."),
        (["--watch", "--interval", "0"], "--interval must be a positive number of seconds."),
        (["--concurrency", "0"], "--concurrency must be at least 1."),
    ],
)
def test_bad_flags_are_refused_in_one_sentence(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("capture_queue", *args)


def test_a_missing_browser_stops_the_worker_with_how_to_install_one(db, settings):
    settings.CAPTURE_BROWSER_PATH = "/nonexistent/chromium"

    with pytest.raises(CommandError, match="CAPTURE_BROWSER_PATH=/nonexistent/chromium is not an executable"):
        call_command("capture_queue")


def test_a_missing_database_exits_non_zero_and_says_so():
    env = {**os.environ, "DATABASE_URL": "mysql://nobody@127.0.0.1:1/nothing"}
    result = subprocess.run(
        [sys.executable, "manage.py", "capture_queue", "--skip-checks"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "capture_queue cannot run: cannot use the database" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_lock_conflicts_and_lost_connections_are_retried(caplog):
    errors = [OperationalError(1213, "Deadlock found"), OperationalError(2006, "MySQL server has gone away")]

    @database
    def flaky():
        if errors:
            raise errors.pop(0)
        return "done"

    assert asyncio.run(flaky()) == "done"
    assert "database lock conflict in flaky" in caplog.text
    assert "database error in flaky" in caplog.text and "reconnecting" in caplog.text


def test_an_error_that_outlasts_the_retry_window_is_raised():
    @database(give_up_after=0)
    def down():
        raise OperationalError(2003, "Can't connect")

    with pytest.raises(OperationalError):
        asyncio.run(down())


@pytest.mark.browser
def test_post_errors_fail_at_once_with_their_message(run_queue):
    broken_shader = make_post("shader", "void mainImage(out vec4 c, in vec2 p) { c = vec4(undefinedThing, 1.0); }")
    throwing = make_post("canvas", 'const size = width;\nthrow new Error("no sketch today");')
    bad_svg = make_post("svg", "<svg xmlns='http://www.w3.org/2000/svg'><rect width='10' height='10'")

    summary = run_queue()

    assert "6 failed" in summary
    for post, message in [(broken_shader, "undefinedThing"), (throwing, "no sketch today (line 2)"), (bad_svg, "svg")]:
        for job in PostImageJob.objects.filter(post=post):
            assert job.status == JobStatus.FAILED
            assert job.attempts == 1
            assert message in job.last_error
    assert not PostImage.objects.exists()


@pytest.mark.browser
def test_a_hang_times_out_and_the_next_post_still_succeeds(run_queue, settings, monkeypatch):
    settings.CAPTURE_TIMEOUT_SECONDS = 2
    monkeypatch.setattr(jobs, "BACKOFF_BASE_SECONDS", 3600)  # so the retry is not due within this run
    # No loop for the loop guard to see: catastrophic backtracking.
    looping = make_post("canvas", '/^(a+)+$/.test("a".repeat(60) + "!");')
    PostImageJob.objects.filter(post=looping, kind=ImageKind.OG).delete()
    fine = make_post("svg", SVG)

    run_queue()

    timed_out = PostImageJob.objects.get(post=looping)
    assert timed_out.status == JobStatus.PENDING  # the post's fault, but tried once more, later, behind others
    assert (timed_out.attempts, timed_out.priority) == (1, JobPriority.BACKFILL)
    assert "longer than 2 s" in timed_out.last_error
    assert timed_out.run_after > timed_out.updated_at
    assert {job.status for job in PostImageJob.objects.filter(post=fine)} == {JobStatus.SUCCESS}


@pytest.mark.browser
def test_a_transient_failure_on_the_last_attempt_fails_the_job(run_queue, settings):
    settings.CAPTURE_TIMEOUT_SECONDS = 1
    settings.CAPTURE_MAX_ATTEMPTS = 1
    looping = make_post("canvas", '/^(a+)+$/.test("a".repeat(60) + "!");')
    PostImageJob.objects.filter(post=looping, kind=ImageKind.OG).delete()

    run_queue()

    job = PostImageJob.objects.get(post=looping)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert "longer than 1 s" in job.last_error


@pytest.mark.browser
def test_a_flat_capture_is_stored_and_flagged(run_queue, caplog):
    flat = make_post("svg", SVG)
    varied = make_post("svg", HALF_SVG)

    run_queue()

    assert PostImage.objects.get(post=flat, kind=ImageKind.THUMB).is_flat
    assert not PostImage.objects.get(post=varied, kind=ImageKind.THUMB).is_flat
    assert {job.status for job in PostImageJob.objects.all()} == {JobStatus.SUCCESS}
    assert f"post={flat.pk} kind=thumb captured as one flat colour" in caplog.text


@pytest.mark.browser
def test_recapturing_the_same_post_stores_the_same_bytes(run_queue):
    post = make_post("svg", HALF_SVG)
    run_queue()
    first = PostImage.objects.get(post=post, kind=ImageKind.THUMB).sha256

    jobs.enqueue_for_post(post)
    run_queue()

    assert PostImage.objects.get(post=post, kind=ImageKind.THUMB).sha256 == first
    assert PostImage.objects.filter(post=post).count() == 2


@pytest.mark.browser
def test_a_database_hiccup_while_claiming_is_survived(run_queue, monkeypatch, caplog):
    monkeypatch.setattr(worker.time, "sleep", lambda seconds: None)
    make_post("svg", HALF_SVG)
    real_claim = jobs.claim_due_jobs
    failures = [OperationalError(2013, "Lost connection to MySQL server during query")]

    def claim(**kwargs):
        if failures:
            raise failures.pop()
        return real_claim(**kwargs)

    monkeypatch.setattr(jobs, "claim_due_jobs", claim)

    summary = run_queue()

    assert "2 stored" in summary
    assert "database error in claim" in caplog.text


@pytest.mark.browser
def test_watch_mode_queues_posts_without_images_or_jobs_and_stops_cleanly(transactional_db, capture_settings):
    orphan = Post.objects.create(title="no job", render_model="svg", code=HALF_SVG)  # no jobs queued
    watching = Worker(watch=True, interval=0.2)
    thread = threading.Thread(target=watching.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while PostImage.objects.filter(post=orphan).count() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        watching.stop()
        thread.join(30)

    assert not thread.is_alive()
    assert PostImage.objects.filter(post=orphan).count() == 2
    assert not PostImageJob.objects.running().exists()

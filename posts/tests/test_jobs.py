import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from posts import jobs
from posts.images.storage import image_fields
from posts.models import LAST_ERROR_LENGTH, JobPriority, Post, PostImage, PostImageJob
from posts.tests.conftest import CIRCLE_SVG, png_bytes

LATER = timedelta(hours=1)


def new_post(title="p"):
    return Post.objects.create(title=title, render_model="svg", code=CIRCLE_SVG)


def queue(count):
    """`count` posts with both jobs pending, due one second apart in creation order."""
    now = timezone.now() - timedelta(minutes=10)
    queued = []
    for i in range(count):
        for job in jobs.enqueue_for_post(new_post(f"p{i}")):
            PostImageJob.objects.filter(pk=job.pk).update(run_after=now + timedelta(seconds=len(queued)))
            queued.append(job.pk)
    return queued


def reload(job):
    return PostImageJob.objects.get(pk=job.pk)


# --- enqueue -------------------------------------------------------------------------------------


def test_enqueue_creates_a_pending_job(post):
    job = jobs.enqueue(post, "thumb")
    assert (job.post_id, job.kind, job.status, job.attempts, job.last_error) == (post.pk, "thumb", "pending", 0, None)
    assert job.run_after <= timezone.now()


def test_enqueue_again_resets_the_job_instead_of_adding_one(post):
    job = jobs.enqueue(post, "thumb")
    PostImageJob.objects.filter(pk=job.pk).update(
        status="failed", attempts=3, last_error="boom", locked_by="w1", run_after=timezone.now() + LATER
    )
    again = jobs.enqueue(post, "thumb")
    assert again.pk == job.pk
    assert (again.status, again.attempts, again.last_error, again.locked_by) == ("pending", 0, None, "")
    assert again.run_after <= timezone.now()
    assert PostImageJob.objects.filter(post=post).count() == 1


def test_enqueue_for_post_queues_thumb_and_og_once(post):
    jobs.enqueue_for_post(post)
    jobs.enqueue_for_post(post)
    assert sorted(post.jobs.values_list("kind", "status")) == [("og", "pending"), ("thumb", "pending")]


def test_enqueue_missing_queues_only_posts_with_neither_images_nor_jobs(db):
    bare = [new_post("bare1"), new_post("bare2"), new_post("bare3")]
    queued = new_post("queued")
    jobs.enqueue(queued, "thumb")
    captured = new_post("captured")
    PostImage.objects.create(post=captured, kind="thumb", **image_fields(png_bytes()))

    assert jobs.enqueue_missing(limit=2) == 2
    assert jobs.enqueue_missing(limit=2) == 1
    assert jobs.enqueue_missing() == 0
    for post in bare:
        assert post.jobs.count() == 2
    assert queued.jobs.count() == 1
    assert captured.jobs.count() == 0


# --- claim ---------------------------------------------------------------------------------------


def test_new_posts_are_claimed_before_older_retries_and_backfill(db):
    backfill = jobs.enqueue(new_post("old"), "thumb", priority=JobPriority.BACKFILL)
    failing = jobs.claim_due_jobs(worker_id="w", limit=1)[0]
    assert failing.pk == backfill.pk
    jobs.mark_failed(failing, worker_id="w", error="timeout", transient=True)
    retried = jobs.enqueue(new_post("flaky"), "thumb")
    jobs.mark_failed(jobs.claim_due_jobs(worker_id="w", limit=1)[0], worker_id="w", error="timeout", transient=True)
    PostImageJob.objects.update(run_after=timezone.now() - timedelta(minutes=5))  # their backoff has passed
    newest = jobs.enqueue(new_post("new"), "thumb")

    order = [job.pk for job in jobs.claim_due_jobs(worker_id="w", limit=3)]

    assert order == [newest.pk, retried.pk, backfill.pk]
    assert reload(retried).priority == JobPriority.RETRY
    assert reload(backfill).priority == JobPriority.BACKFILL  # a retry never jumps ahead of its lane


def test_a_retry_asked_for_by_an_operator_goes_first(db):
    job = jobs.enqueue(new_post("old"), "thumb", priority=JobPriority.BACKFILL)
    jobs.retry([job])
    assert reload(job).priority == JobPriority.NEW


def test_claim_takes_due_jobs_in_order_and_marks_them_running(db, django_assert_num_queries):
    queued = queue(3)
    claimed = jobs.claim_due_jobs(worker_id="w1", limit=4)
    assert [job.pk for job in claimed] == queued[:4]
    now = timezone.now()
    for job in claimed:
        assert (job.status, job.attempts, job.locked_by) == ("running", 1, "w1")
        assert job.started_at <= now and job.heartbeat_at == job.started_at and job.finished_at is None
    with django_assert_num_queries(0):
        assert all(job.post.title for job in claimed)  # the post came with the claim
    rest = jobs.claim_due_jobs(worker_id="w2", limit=10)
    assert [job.pk for job in rest] == queued[4:]
    assert jobs.claim_due_jobs(worker_id="w3", limit=10) == []


def test_claim_leaves_jobs_whose_backoff_has_not_passed(post):
    thumb, og = jobs.enqueue_for_post(post)
    PostImageJob.objects.filter(pk=og.pk).update(run_after=timezone.now() + LATER)
    assert [job.pk for job in jobs.claim_due_jobs(worker_id="w", limit=5)] == [thumb.pk]
    later = jobs.claim_due_jobs(worker_id="w", limit=5, now=timezone.now() + LATER * 2)
    assert [job.pk for job in later] == [og.pk]


def test_claim_takes_only_pending_jobs(db):
    queued = queue(2)
    for pk, status in zip(queued, ["running", "success", "failed"], strict=False):
        PostImageJob.objects.filter(pk=pk).update(status=status)
    assert [job.pk for job in jobs.claim_due_jobs(worker_id="w", limit=10)] == [queued[3]]


# --- outcomes ------------------------------------------------------------------------------------


def claim_one(post, worker_id="w1", now=None):
    jobs.enqueue(post, "thumb")
    (job,) = jobs.claim_due_jobs(worker_id=worker_id, limit=1, now=now)
    return job


def test_mark_success_records_the_finish(post):
    job = claim_one(post)
    assert jobs.mark_success(job, worker_id="w1") is True
    job = reload(job)
    assert (job.status, job.last_error, job.heartbeat_at) == ("success", None, None)
    assert job.finished_at >= job.started_at


def test_a_transient_failure_backs_off_then_fails_after_max_attempts(post, settings):
    settings.CAPTURE_MAX_ATTEMPTS = 3
    now = timezone.now()
    job = claim_one(post)
    for attempt in (1, 2):
        assert job.attempts == attempt
        assert jobs.mark_failed(job, worker_id="w1", error="browser crashed", transient=True) == "pending"
        stored = reload(job)
        assert (stored.status, stored.last_error, stored.locked_by) == ("pending", "browser crashed", "")
        assert stored.run_after > now
        assert jobs.claim_due_jobs(worker_id="w1", limit=1) == []  # not before its backoff
        now = stored.run_after
        (job,) = jobs.claim_due_jobs(worker_id="w1", limit=1, now=now)
    assert job.attempts == 3
    assert jobs.mark_failed(job, worker_id="w1", error="browser crashed", transient=True) == "failed"
    stored = reload(job)
    assert (stored.status, stored.attempts, stored.last_error) == ("failed", 3, "browser crashed")
    assert stored.finished_at is not None


def test_backoff_grows_and_is_capped():
    for attempts in range(1, 20):
        ceiling = min(jobs.BACKOFF_MAX_SECONDS, jobs.BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
        assert ceiling / 2 <= jobs.backoff_delay(attempts).total_seconds() <= ceiling


def test_a_permanent_failure_fails_at_once(post):
    job = claim_one(post)
    error = "ReferenceError: THREE is not defined"
    assert jobs.mark_failed(job, worker_id="w1", error=error, transient=False) == "failed"
    assert (reload(job).status, reload(job).attempts, reload(job).last_error) == ("failed", 1, error)


def test_last_error_is_one_line_of_at_most_512_characters(post):
    job = claim_one(post)
    jobs.mark_failed(job, worker_id="w1", error="line one\n  line two " + "x" * 1000, transient=False)
    stored = reload(job).last_error
    assert len(stored) == LAST_ERROR_LENGTH
    assert stored.startswith("line one line two xxx") and stored.endswith("…")
    assert jobs.truncate_error("") == "unknown error"
    assert jobs.truncate_error("x" * 512) == "x" * 512


def test_a_job_taken_back_from_a_stale_worker_is_not_overwritten_by_it(post):
    old = claim_one(post, "old")
    later = timezone.now() + timedelta(seconds=301)
    assert jobs.reclaim_stale(lease_seconds=300, now=later) == 1
    (new,) = jobs.claim_due_jobs(worker_id="new", limit=1, now=later)
    assert new.pk == old.pk and new.attempts == 2

    assert jobs.mark_success(old, worker_id="old") is False
    assert jobs.mark_failed(old, worker_id="old", error="late", transient=True) is None
    assert jobs.heartbeat(worker_id="old", job_ids=[old.pk]) == 0
    assert (reload(new).status, reload(new).locked_by, reload(new).attempts) == ("running", "new", 2)
    assert jobs.mark_success(new, worker_id="new") is True


# --- leases --------------------------------------------------------------------------------------


def test_reclaim_takes_back_only_expired_leases(db, settings):
    settings.CAPTURE_MAX_ATTEMPTS = 3
    queue(2)
    start = timezone.now() - timedelta(seconds=400)
    first_try, last_try, alive, renewed = jobs.claim_due_jobs(worker_id="w", limit=4, now=start)
    PostImageJob.objects.filter(pk=last_try.pk).update(attempts=3)
    PostImageJob.objects.filter(pk=alive.pk).update(heartbeat_at=start + timedelta(seconds=200))
    assert jobs.heartbeat(worker_id="w", job_ids=[renewed.pk]) == 1
    later = timezone.now()

    assert jobs.reclaim_stale(lease_seconds=300, max_attempts=3, now=later) == 2
    stored = reload(first_try)
    assert (stored.status, stored.attempts, stored.locked_by, stored.heartbeat_at) == ("pending", 1, "", None)
    assert "lease expired" in stored.last_error and stored.run_after == later
    stored = reload(last_try)
    assert (stored.status, stored.finished_at) == ("failed", later)
    assert "lease expired" in stored.last_error
    assert reload(alive).status == "running" and reload(alive).locked_by == "w"
    assert reload(renewed).status == "running"
    assert jobs.reclaim_stale(lease_seconds=300, max_attempts=3, now=later) == 0


def test_reclaim_uses_the_configured_lease_and_attempts(post, settings):
    settings.CAPTURE_LEASE_SECONDS = 60
    settings.CAPTURE_MAX_ATTEMPTS = 1
    job = claim_one(post)
    assert jobs.reclaim_stale(now=timezone.now() + timedelta(seconds=30)) == 0
    assert jobs.reclaim_stale(now=timezone.now() + timedelta(seconds=61)) == 1
    assert reload(job).status == "failed"


# --- retry and reads -----------------------------------------------------------------------------


def test_retry_sends_jobs_back_to_pending_with_attempts_reset(db):
    queue(2)
    claimed = jobs.claim_due_jobs(worker_id="w", limit=3)
    for job in claimed:
        jobs.mark_failed(job, worker_id="w", error="boom", transient=False)
    assert jobs.retry(claimed[:2]) == 2
    assert jobs.retry(PostImageJob.objects.filter(pk=claimed[2].pk)) == 1
    for job in claimed:
        stored = reload(job)
        assert (stored.status, stored.attempts, stored.last_error, stored.finished_at) == ("pending", 0, None, None)
    assert len(jobs.claim_due_jobs(worker_id="w", limit=10)) == 4


def test_deleting_a_post_deletes_its_images_and_jobs(post, thumb):
    jobs.enqueue_for_post(post)
    post.delete()
    assert not PostImage.objects.exists() and not PostImageJob.objects.exists()


# --- the seed's operator SQL, as written ---------------------------------------------------------


def test_the_seeds_select_by_post_id_finds_the_jobs(post):
    jobs.enqueue_for_post(post)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM post_image_job WHERE post_id = '{post.id}'")
        rows = list(cursor.fetchall())
        columns = [c[0] for c in cursor.description]
    assert len(rows) == 2
    assert {"id", "post_id", "kind", "status", "attempts", "last_error", "created_at", "updated_at"} <= set(columns)
    assert {row[columns.index("kind")] for row in rows} == {"thumb", "og"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT post_id, kind, mime, width, height, bytes FROM post_image WHERE post_id = '{post.id}'")
        assert list(cursor.fetchall()) == []


def test_the_seeds_manual_retry_update_makes_a_failed_job_claimable(post):
    job = claim_one(post)
    jobs.mark_failed(job, worker_id="w1", error="boom", transient=False)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE post_image_job SET status='pending', attempts=0 WHERE id=%s", [job.pk])
    (again,) = jobs.claim_due_jobs(worker_id="w2", limit=1)
    assert (again.pk, again.attempts) == (job.pk, 1)


# --- MariaDB: concurrent claims ------------------------------------------------------------------


def in_thread(target):
    """Run `target` in a thread with its own database connection; return its result or raise its error."""
    outcome = {}

    def run():
        try:
            outcome["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def finish(thread, outcome):
    thread.join(timeout=60)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def no_lock_waits():
    """Make this connection fail fast (error 1205) instead of waiting if a claim ever blocks on a lock."""
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_get_disjoint_batches():
    queued = queue(15)
    barrier = threading.Barrier(4)

    def worker(name):
        def run():
            barrier.wait()
            taken = []
            while batch := jobs.claim_due_jobs(worker_id=name, limit=3):
                taken += [job.pk for job in batch]
            return taken

        return run

    runs = [in_thread(worker(f"w{i}")) for i in range(4)]
    batches = [finish(*run) for run in runs]
    claimed = [pk for batch in batches for pk in batch]
    assert sorted(claimed) == sorted(queued)  # every job once, none twice
    for name, batch in zip(["w0", "w1", "w2", "w3"], batches, strict=True):
        assert set(PostImageJob.objects.filter(locked_by=name).values_list("pk", flat=True)) == set(batch)
    assert set(PostImageJob.objects.values_list("status", "attempts")) == {("running", 1)}


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_jobs_another_open_claim_holds_without_waiting():
    queued = queue(3)
    claimed, release = threading.Event(), threading.Event()

    def slow_claim():
        with transaction.atomic():
            batch = jobs.claim_due_jobs(worker_id="slow", limit=2)
            claimed.set()
            release.wait(timeout=30)
        return [job.pk for job in batch]

    thread, outcome = in_thread(slow_claim)
    try:
        assert claimed.wait(timeout=30)
        no_lock_waits()
        fast = [job.pk for job in jobs.claim_due_jobs(worker_id="fast", limit=10)]
    finally:
        release.set()
    slow = finish(thread, outcome)
    assert slow == queued[:2]
    assert fast == queued[2:]


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_a_row_locked_by_any_transaction_without_waiting():
    queued = queue(2)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            list(PostImageJob.objects.select_for_update().filter(pk=queued[0]))
            locked.set()
            release.wait(timeout=30)

    thread, outcome = in_thread(hold_lock)
    try:
        assert locked.wait(timeout=30)
        no_lock_waits()
        taken = [job.pk for job in jobs.claim_due_jobs(worker_id="w", limit=10)]
    finally:
        release.set()
    finish(thread, outcome)
    assert taken == queued[1:]
    assert reload(PostImageJob(pk=queued[0])).status == "pending"


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)  # ANALYZE TABLE commits, so the table must be flushed after
def test_the_claim_query_uses_the_claim_index_without_a_filesort():
    queued = queue(100)
    # A realistic table: most jobs long finished, a few failed or running, some pending.
    PostImageJob.objects.filter(pk__in=queued[:150]).update(status="success")
    PostImageJob.objects.filter(pk__in=queued[150:160]).update(status="failed")
    PostImageJob.objects.filter(pk__in=queued[160:170]).update(status="running")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE post_image_job")
        cursor.fetchall()
    claim = PostImageJob.objects.due(timezone.now()).select_for_update(skip_locked=True).values_list("id")[:5]
    with transaction.atomic():
        plan = claim.explain()
        assert "SKIP LOCKED" in str(claim.query)
    assert "post_image_job_claim_idx" in plan
    assert "filesort" not in plan.lower()

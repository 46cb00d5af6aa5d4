"""The image-job state machine: the only code that changes a job's status.

pending --claim--> running --mark_success--> success
                           --mark_failed---> pending (retry after backoff) | failed
running --(lease expired)--> pending | failed        any --retry--> pending (attempts 0)

Jobs are claimed by priority (JobPriority: new posts, then retries, then animations, then backfill), then by when
they became due. Within the new lane, a post's priority counts its author's other waiting posts,
so posters take turns. A job going back to pending for another try moves to the retry lane at
least; a post that ran past its time or memory budget gets one more try in the backfill lane.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from posts.models import LAST_ERROR_LENGTH, STILL_KINDS, ImageKind, JobPriority, JobStatus, Post, PostImageJob

logger = logging.getLogger(__name__)

# MySQL/MariaDB errors that say "try again": deadlock victim, lock wait timeout (SQLite: "locked").
LOCK_CONFLICTS = {1213, 1205}
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 600


def _fresh_fields(now):
    return {
        "status": JobStatus.PENDING,
        "attempts": 0,
        "last_error": None,
        "run_after": now,
        "locked_by": "",
        "heartbeat_at": None,
        "started_at": None,
        "finished_at": None,
        "updated_at": now,
    }


def enqueue(post, kind, *, priority=JobPriority.NEW):
    """Queue one image of a post; queueing it again resets the existing job instead of adding one.

    So any number of requests for the same image leave one job; a capture in flight when it is
    reset is discarded when it finishes (mark_success finds the job no longer its own).
    """
    now = timezone.now()
    fields = {**_fresh_fields(now), "priority": priority}
    for _attempt in range(3):
        if PostImageJob.objects.filter(post=post, kind=kind).update(**fields):
            return PostImageJob.objects.get(post=post, kind=kind)
        try:
            with transaction.atomic():
                return PostImageJob.objects.create(post=post, kind=kind, **fields)
        except IntegrityError:
            continue  # another process created it between our UPDATE and INSERT; update that one
    raise IntegrityError(f"could not enqueue {kind} for post {post.pk}")


def is_lock_conflict(exc):
    """Whether a database error is a lock conflict worth trying again at once."""
    code = (getattr(exc.__cause__, "args", None) or exc.args or [None])[0]
    return code in LOCK_CONFLICTS or "locked" in str(exc)


# A new post's lane is NEW + how many of its author's other posts wait for images, up to this.
FAIR_SHARE_STEPS = 99


def fair_priority(post):
    """NEW plus the number of the author's other new posts waiting for images (at most 99, below RETRY).

    So a poster's nth waiting post is claimed after everyone else's (n-1)th: one poster's flood of
    200 posts delays another's new post by at most one capture per waiting post of their own,
    and the claim keeps its one index order (status, priority, run_after), with no filesort.
    """
    if post.author_id is None:
        return JobPriority.NEW
    waiting = (
        PostImageJob.objects.pending()
        .filter(post__author_id=post.author_id, priority__lt=JobPriority.RETRY)
        .exclude(post=post)
        .values("post")
        .distinct()
    )
    return JobPriority.NEW + waiting[:FAIR_SHARE_STEPS].count()


def enqueue_for_post(post, *, priority=None):
    """Queue both images (thumb and og) of a post, together: by default in its author's fair place.

    An explicit `priority` (an operator's recapture) is kept as it is.

    Requests racing to create the same jobs can make InnoDB pick one as a deadlock victim; on its
    own that transaction is tried again. Inside a caller's transaction the caller decides.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                lane = fair_priority(post) if priority is None else priority
                return [enqueue(post, kind, priority=lane) for kind in STILL_KINDS]
        except OperationalError as exc:
            if transaction.get_connection().in_atomic_block or attempt == 2 or not is_lock_conflict(exc):
                raise


def enqueue_anim(post, *, after=JobPriority.NEW):
    """Queue a post's animation in its own lane, behind every new post's thumb and OG and their retries.

    Called when its thumbnail lands (`after`: that job's priority, so a backfilled thumbnail's
    animation stays in the backfill lane); a post known not to move gets none (capture/worker.py).
    """
    return enqueue(post, ImageKind.ANIM, priority=max(JobPriority.ANIM, after))


def enqueue_backfill(post_ids, kind):
    """Queue one kind of image of these posts in the backfill lane; return how many jobs were queued.

    A job already pending or running is left alone, never reset nor demoted (it may be a new
    post's, at the front of the queue, or in a worker's hands), so running it twice queues
    nothing twice. One short transaction per call; a lock conflict is tried again.
    """
    now = timezone.now()
    fields = {**_fresh_fields(now), "priority": JobPriority.BACKFILL}
    for attempt in range(3):
        try:
            with transaction.atomic():
                jobs = PostImageJob.objects.filter(post_id__in=post_ids, kind=kind)
                existing = set(jobs.values_list("post_id", flat=True))
                reset = jobs.exclude(status__in=[JobStatus.PENDING, JobStatus.RUNNING]).update(**fields)
                new = [PostImageJob(post_id=pk, kind=kind, **fields) for pk in post_ids if pk not in existing]
                PostImageJob.objects.bulk_create(new, ignore_conflicts=True)  # one created meanwhile stays
            return reset + len(new)
        except OperationalError as exc:
            if attempt == 2 or not is_lock_conflict(exc):
                raise


def enqueue_missing(limit=100):
    """Queue posts that have neither an image nor a job (e.g. their queueing failed); return how many."""
    posts = list(Post.objects.without_images_or_jobs().order_by("created_at")[:limit])
    for post in posts:
        enqueue_for_post(post)
    return len(posts)


def claim_due_jobs(*, worker_id, limit, now=None):
    """Atomically take up to `limit` due jobs for `worker_id` and mark them running.

    FOR UPDATE SKIP LOCKED lets concurrent workers claim disjoint batches without waiting on
    each other; SQLite has no row locks, so there the IMMEDIATE transaction (see settings)
    serialises claims instead. The attempt is counted now, so a job that kills its worker
    every time still runs out of attempts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = PostImageJob.objects.due(now).select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        PostImageJob.objects.filter(id__in=ids, status=JobStatus.PENDING).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            locked_by=worker_id,
            heartbeat_at=now,
            started_at=now,
            finished_at=None,
            updated_at=now,
        )
        jobs = list(PostImageJob.objects.filter(id__in=ids, locked_by=worker_id).select_related("post"))
    return sorted(jobs, key=lambda job: ids.index(job.id))


def heartbeat(*, worker_id, job_ids):
    """Renew the lease on the jobs this worker is still running."""
    now = timezone.now()
    return PostImageJob.objects.held_by(worker_id).filter(id__in=job_ids).update(heartbeat_at=now, updated_at=now)


def mark_success(job, *, worker_id):
    """Record a finished capture; returns False if the job was taken back from this worker meanwhile."""
    now = timezone.now()
    updated = (
        PostImageJob.objects.held_by(worker_id)
        .filter(id=job.id)
        .update(status=JobStatus.SUCCESS, last_error=None, heartbeat_at=None, finished_at=now, updated_at=now)
    )
    return bool(updated)


def new_thumb_waiting(now=None):
    """Whether a new (or edited) post's thumbnail is due: what a running animation gives way to.

    Not its OG card: link previews can wait seconds, and each time an animation gives way its
    frames so far are lost.
    """
    return PostImageJob.objects.due(now).filter(priority__lt=JobPriority.RETRY, kind=ImageKind.THUMB).exists()


def give_back(job, *, worker_id):
    """Return a running job to the queue as if it had not been claimed (its attempt uncounted).

    For a capture stopped to let a more urgent one go first; False if it was taken back meanwhile.
    """
    updated = (
        PostImageJob.objects.held_by(worker_id)
        .filter(id=job.id)
        .update(
            status=JobStatus.PENDING,
            attempts=F("attempts") - 1,
            locked_by="",
            heartbeat_at=None,
            started_at=None,
            updated_at=timezone.now(),
        )
    )
    return bool(updated)


def backoff_delay(attempts):
    """Exponential backoff with full jitter in its upper half, so retries of a burst spread out."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def mark_failed(job, *, worker_id, error, transient, once_more_later=False, max_attempts=None):
    """Record a failed attempt: retry later if it was transient and attempts remain, else fail for good.

    `once_more_later`: the post ran past its time or memory budget in a healthy browser, which is
    its own fault as far as the worker can tell; in case the machine was to blame after all (a
    busy host, another lane's shader), its first attempt gets one more, after the backoff and
    behind every other capture (the backfill lane), so it never holds up anyone else's.

    Returns the new status, or None if the job was taken back from this worker meanwhile.
    """
    now = timezone.now()
    max_attempts = max_attempts or settings.CAPTURE_MAX_ATTEMPTS
    last_chance = once_more_later and job.attempts < min(2, max_attempts)
    retry = (transient and job.attempts < max_attempts) or last_chance
    if once_more_later:
        error = f"{error} ({'tried once more later, behind other captures' if last_chance else 'not retried'})"
    fields = {"last_error": truncate_error(error), "heartbeat_at": None, "updated_at": now}
    if retry:
        fields.update(
            status=JobStatus.PENDING,
            run_after=now + backoff_delay(job.attempts),
            locked_by="",
            priority=JobPriority.BACKFILL if last_chance else Greatest(F("priority"), JobPriority.RETRY),
        )
    else:
        fields.update(status=JobStatus.FAILED, finished_at=now)
    updated = PostImageJob.objects.held_by(worker_id).filter(id=job.id).update(**fields)
    if updated and once_more_later:
        # The post's other images would most likely run out of time too: behind everyone else's as well.
        PostImageJob.objects.pending().filter(post_id=job.post_id, priority__lt=JobPriority.BACKFILL).update(
            priority=JobPriority.BACKFILL
        )
    return fields["status"] if updated else None


def reclaim_stale(*, lease_seconds=None, max_attempts=None, now=None):
    """Take back running jobs whose worker stopped sending heartbeats; return how many."""
    now = now or timezone.now()
    lease_seconds = lease_seconds or settings.CAPTURE_LEASE_SECONDS
    max_attempts = max_attempts or settings.CAPTURE_MAX_ATTEMPTS
    stale = PostImageJob.objects.stale(now, lease_seconds)
    common = {"locked_by": "", "heartbeat_at": None, "updated_at": now}
    error = f"the worker stopped responding for over {lease_seconds} s (lease expired)"
    with transaction.atomic():
        failed = stale.filter(attempts__gte=max_attempts).update(
            status=JobStatus.FAILED, last_error=error, finished_at=now, **common
        )
        requeued = stale.filter(attempts__lt=max_attempts).update(
            status=JobStatus.PENDING,
            last_error=error,
            run_after=now,
            priority=Greatest(F("priority"), JobPriority.RETRY),
            **common,
        )
    if failed or requeued:
        logger.warning("took back %s expired job(s): %s pending again, %s failed", failed + requeued, requeued, failed)
    return failed + requeued


def retry(jobs):
    """Send jobs (a queryset or a list) back to pending with their attempts reset, like the seed's manual UPDATE.

    An operator asked for it, so they go first.
    """
    ids = [job.pk for job in jobs]
    return PostImageJob.objects.filter(id__in=ids).update(**_fresh_fields(timezone.now()), priority=JobPriority.NEW)


def truncate_error(error):
    text = " ".join(str(error).split()) or "unknown error"
    return text if len(text) <= LAST_ERROR_LENGTH else text[: LAST_ERROR_LENGTH - 1] + "…"

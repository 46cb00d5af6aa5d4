"""The capture pipeline's health, read from the database so it is the same whichever process asks.

capture_status, the admin's health page, /metrics and the workers' alerts all read `snapshot()`;
the workers keep their registry rows (CaptureWorker) and the alert states (CaptureAlert) here.
"""

import json
import logging
import math
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone

from posts.models import CaptureAlert, CaptureWorker, JobStatus, PostImage, PostImageJob

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
TOP_ERRORS = 5
STALE_WORKER_ROWS = timedelta(days=1)
ALERT_TIMEOUT_SECONDS = 5
ALERT_MAX_CHARS = 1900  # Discord refuses content over 2,000 characters


@dataclass
class Snapshot:
    now: datetime
    counts: dict  # (status, kind) -> jobs
    finished: int  # jobs that ended (success or failed) within the window
    failed: int
    window: timedelta
    oldest_pending_seconds: float | None  # the longest a due job has waited to be claimed
    workers: list
    durations: dict  # render model -> {"p50": ms, "p95": ms, "count": n}, over the window
    errors: list  # (last_error, count), most common first, over the window

    @property
    def failure_rate(self):
        return self.failed / self.finished if self.finished else None

    @property
    def captures_per_minute(self):
        return (self.finished - self.failed) / (self.window.total_seconds() / 60)

    def count(self, status=None, kind=None):
        return sum(n for (s, k), n in self.counts.items() if status in (None, s) and kind in (None, k))


def percentile(values, fraction):
    """The nearest-rank percentile of sorted values."""
    if not values:
        return None
    return values[max(0, math.ceil(fraction * len(values)) - 1)]


def snapshot(*, window=HOUR, now=None):
    """Counts by status and kind, outcomes, throughput, queue age, live workers, durations and errors."""
    now = now or timezone.now()
    since = now - window
    counts = {
        (row["status"], row["kind"]): row["n"]
        for row in PostImageJob.objects.values("status", "kind").annotate(n=Count("id")).order_by()
    }
    ended = PostImageJob.objects.filter(finished_at__gte=since)
    outcomes = {
        row["status"]: row["n"]
        for row in ended.filter(status__in=[JobStatus.SUCCESS, JobStatus.FAILED])
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    }
    oldest = PostImageJob.objects.pending().filter(run_after__lte=now).aggregate(oldest=Min("run_after"))["oldest"]
    durations = {}
    recent = PostImage.objects.filter(updated_at__gte=since, capture_ms__isnull=False)
    for model, ms in recent.values_list("post__render_model", "capture_ms").order_by("capture_ms"):
        durations.setdefault(model, []).append(ms)
    errors = list(
        ended.filter(status=JobStatus.FAILED)
        .values_list("last_error")
        .annotate(n=Count("id"))
        .order_by("-n", "last_error")[:TOP_ERRORS]
    )
    workers = list(CaptureWorker.objects.live(now).order_by("worker_id"))
    # In flight now, from the jobs themselves: a worker's own count is as old as its last heartbeat.
    held = dict(PostImageJob.objects.running().values_list("locked_by").annotate(n=Count("id")).order_by())
    for worker in workers:
        worker.running = held.get(worker.worker_id, 0)
    return Snapshot(
        now=now,
        counts=counts,
        finished=outcomes.get(JobStatus.SUCCESS, 0) + outcomes.get(JobStatus.FAILED, 0),
        failed=outcomes.get(JobStatus.FAILED, 0),
        window=window,
        oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
        workers=workers,
        durations={
            model: {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "count": len(values)}
            for model, values in sorted(durations.items())
        },
        errors=errors,
    )


def worker_beat(*, worker_id, chromium_version, webgl_renderer, running):
    """Record that a worker is alive (its registry row), creating the row on its first beat."""
    now = timezone.now()
    fields = {"chromium_version": chromium_version, "webgl_renderer": webgl_renderer, "running": running}
    if not CaptureWorker.objects.filter(worker_id=worker_id).update(heartbeat_at=now, **fields):
        CaptureWorker.objects.filter(heartbeat_at__lt=now - STALE_WORKER_ROWS).delete()
        CaptureWorker.objects.create(worker_id=worker_id, started_at=now, heartbeat_at=now, **fields)


def worker_gone(worker_id):
    CaptureWorker.objects.filter(worker_id=worker_id).delete()


def live_chromium_versions():
    """The Chromium versions the live workers run: what a current image was made by."""
    return set(CaptureWorker.objects.live().exclude(chromium_version="").values_list("chromium_version", flat=True))


# Alerts: each condition is an incident that starts when it becomes true and ends when it is
# false again; one message for each, sent by whichever worker flips the shared state first.


def alert_conditions(state):
    """Each alert's (firing?, message) for this snapshot."""
    rate = state.failure_rate
    minutes = state.window.total_seconds() / 60
    threshold = settings.CAPTURE_ALERT_FAILURE_PERCENT / 100
    failing = rate is not None and state.finished >= settings.CAPTURE_ALERT_MIN_CAPTURES and rate >= threshold
    rate_text = "no captures" if rate is None else f"{rate:.0%} ({state.failed} of {state.finished} captures failed)"
    error = f" Most common error: {state.errors[0][0]}" if failing and state.errors else ""
    age = state.oldest_pending_seconds
    waiting = age is not None and age >= settings.CAPTURE_ALERT_PENDING_SECONDS
    age_text = "none waiting" if age is None else f"waiting {age:.0f} s"
    return {
        "failure_rate": (
            failing,
            f"capture failure rate over the last {minutes:g} min: {rate_text}; threshold {threshold:.0%}.{error}",
        ),
        "oldest_pending": (
            waiting,
            f"oldest due capture job: {age_text}; threshold {settings.CAPTURE_ALERT_PENDING_SECONDS} s.",
        ),
    }


def flip_alerts(now=None):
    """Move each alert whose condition changed to its new state; return the messages this process must send.

    The conditional UPDATE makes exactly one process win each change, however many workers check.
    """
    state = snapshot(window=timedelta(seconds=settings.CAPTURE_ALERT_WINDOW_SECONDS), now=now)
    to_send = []
    for name, (firing, message) in alert_conditions(state).items():
        try:
            with transaction.atomic():
                CaptureAlert.objects.get_or_create(name=name)
        except IntegrityError:
            pass  # another worker created it
        text = f"imagesite: {'ALERT' if firing else 'RECOVERED'}: {message}"[:ALERT_MAX_CHARS]
        won = CaptureAlert.objects.filter(name=name, firing=not firing).update(
            firing=firing, changed_at=state.now, message=text[:512]
        )
        if won:
            to_send.append((name, firing, text))
    return to_send


def undo_flip(name, firing):
    """Put an alert back when its message could not be sent, so the next check tries again."""
    CaptureAlert.objects.filter(name=name, firing=firing).update(firing=not firing)


def send_alert(text, url=None):
    """POST one message to CAPTURE_ALERT_WEBHOOK as JSON Slack ("text") and Discord ("content") both read."""
    body = json.dumps({"text": text, "content": text}).encode()
    request = urllib.request.Request(
        url or settings.CAPTURE_ALERT_WEBHOOK,
        data=body,
        headers={"Content-Type": "application/json", "User-Agent": "imagesite-capture-alerts"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=ALERT_TIMEOUT_SECONDS) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("could not send a capture alert to the webhook (%s)", exc)
        return False
    logger.info("sent capture alert: %s", text)
    return True

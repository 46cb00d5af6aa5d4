"""One claimed job: capture it in the worker's browser and record how it ended."""

import asyncio
import logging
import time

from django.conf import settings
from django.db import DatabaseError, transaction

from capture.browser import CaptureError, lap
from capture.serve import harness_url
from capture.worker.database import run_db
from posts import jobs
from posts.images import storage
from posts.models import ImageKind, JobStatus

logger = logging.getLogger(__name__)

SUCCEEDED = {"success", "flat"}


class JobCapture:
    """Capture claimed jobs in one browser; each ends success, flat, failed, retry or lost."""

    def __init__(self, *, browser, worker_id, timeout):
        self.browser = browser
        self.worker_id = worker_id
        self.timeout = timeout

    async def run(self, job, document, *, captured):
        """Capture `job` from its harness `document` (awaitable) and return (outcome, milliseconds).

        `captured()` is called as soon as the browser is done with the job, before its image is stored.
        """
        started = time.monotonic()
        outcome, error = "lost", None
        try:
            outcome, error = await self._capture_and_record(job, document, captured)
        except asyncio.CancelledError:
            error = "the worker stopped mid-capture"
            outcome = await self._finish_failed(job, error, transient=True)
        except Exception as exc:
            logger.exception("unexpected error capturing post=%s kind=%s", job.post_id, job.kind)
            error = f"worker error: {type(exc).__name__}: {exc}"
            outcome = await self._finish_failed(job, error, transient=True)
        finally:
            captured()
            ms = (time.monotonic() - started) * 1000
            log = logger.info if outcome in SUCCEEDED else logger.warning
            log(
                "post=%s kind=%s outcome=%s attempt=%s ms=%d%s",
                job.post_id,
                job.kind,
                outcome,
                job.attempts,
                ms,
                f" error={' '.join(str(error).split())[:300]}" if error else "",  # one line per job
            )
        return outcome, ms

    async def _capture_and_record(self, job, document, captured):
        post = job.post
        size = settings.CAPTURE_OG_SIZE if job.kind == ImageKind.OG else settings.CAPTURE_THUMB_SIZE
        phases = {}
        started = time.monotonic()
        try:
            document = await document
            if document.status != 200:
                raise CaptureError(f"the harness page answered HTTP {document.status}")
            phases["harness"], started = lap(started)
            result = await self.browser.capture(
                url=harness_url(post.pk),
                document=document,
                size=size,
                capture_time=post.capture_time,
                timeout=self.timeout,
            )
            phases.update(result.phases)
            started = time.monotonic()
        except CaptureError as exc:
            captured()
            return await self._finish_failed(job, str(exc), transient=exc.transient), str(exc)
        except DatabaseError as exc:
            captured()
            return await self._finish_failed(job, f"database error: {exc}", transient=True), str(exc)
        captured()
        try:
            image = await run_db(store_capture, job, result.png, worker_id=self.worker_id, what="storing the image")
        except DatabaseError as exc:
            return await self._finish_failed(job, f"database error: {exc}", transient=True), str(exc)
        phases["store"], _ = lap(started)
        logger.debug(
            "post=%s kind=%s ms by phase: %s; %s bytes%s",
            post.pk,
            job.kind,
            ", ".join(f"{name} {ms}" for name, ms in phases.items()),
            len(result.png),
            ", capturePreview()" if result.preview else "",
        )
        if image is None:
            return "lost", "the job was taken back from this worker (lease expired); image discarded"
        if image.is_flat:
            logger.warning("post=%s kind=%s captured as one flat colour (often a bug, not the art)", post.pk, job.kind)
            return "flat", None
        return "success", None

    async def _finish_failed(self, job, error, *, transient):
        try:
            status = await run_db(
                jobs.mark_failed,
                job,
                worker_id=self.worker_id,
                error=error,
                transient=transient,
                what="recording a failure",
            )
        except DatabaseError as exc:
            logger.error("could not record the failure of job %s (%s); its lease will expire", job.id, exc)
            return "lost"
        if status is None:
            return "lost"
        return "retry" if status == JobStatus.PENDING else "failed"


def store_capture(job, png, *, worker_id):
    """Mark the job done and store its image, or store nothing if another worker has taken the job back."""
    with transaction.atomic():
        if not jobs.mark_success(job, worker_id=worker_id):
            return None
        return storage.save_image(post=job.post, kind=job.kind, data=png)

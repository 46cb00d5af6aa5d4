"""capture_queue's worker: lanes that each claim a due job, capture it in a fresh browser context, record it.

One asyncio loop drives the browser; every database call runs in asgiref's one sync thread
(the functions decorated with @database), so the ORM never runs on the event loop.
"""

import asyncio
import contextlib
import enum
import functools
import logging
import os
import random
import signal
import socket
import threading
import time
import uuid
from collections import Counter

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection, transaction

from capture import anim
from capture.browser import BrowserUnavailable, BudgetExceeded, CaptureBrowser, CaptureError
from capture.serve import harness_document, harness_url
from posts import health, jobs
from posts.images import storage, variants
from posts.models import ImageKind, JobStatus, Post, PostImageJob, RenderModel
from posts.render.scripts import harness_version

logger = logging.getLogger(__name__)

ENQUEUE_MISSING_SECONDS = 60
# An animation never starts before the first frame a post draws (at 1/60 s: before it, a canvas,
# three.js or p5 post has drawn nothing yet, and a loop would flash a blank frame).
FIRST_FRAME_SECONDS = 1 / 60
# How often a lane capturing an animation (seconds of frames) looks for a new thumbnail to give way to.
GIVE_WAY_CHECK_SECONDS = 0.25
DATABASE_RETRY_SECONDS = 30


class WorkerCannotRun(RuntimeError):
    """The worker's own prerequisites (database, browser) are missing; the message says how to fix it."""


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    FLAT = "flat"  # stored, but one flat colour: often a bug, not the art
    STILL = "still"  # an animation whose frames are all alike: nothing stored, the post recorded as still
    FAILED = "failed"
    RETRY = "retry"  # back to pending, after a backoff
    LOST = "lost"  # taken back from this worker, or its outcome could not be recorded
    YIELDED = "yielded"  # an animation stopped for a new post's thumbnail: back to pending, attempt uncounted


class GaveWay(Exception):
    """A new post's thumbnail came due while an animation was being captured, and no lane was free for it."""


def database(fn=None, *, give_up_after=DATABASE_RETRY_SECONDS):
    """Run `fn` in asgiref's one sync thread, retrying lock conflicts at once and lost connections with backoff."""
    if fn is None:
        return functools.partial(database, give_up_after=give_up_after)

    @functools.wraps(fn)
    def with_retries(*args, **kwargs):
        deadline = time.monotonic() + give_up_after
        delay = 0.2
        while True:
            try:
                return fn(*args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                if time.monotonic() >= deadline:
                    raise
                if jobs.is_lock_conflict(exc):
                    logger.info("database lock conflict in %s (%s); retrying", fn.__name__, exc)
                    time.sleep(random.uniform(0.01, 0.1))
                    continue
                logger.warning("database error in %s (%s); reconnecting in %.1f s", fn.__name__, exc, delay)
                connection.close()
                time.sleep(delay)
                delay = min(delay * 2, 5)

    return sync_to_async(with_retries, thread_sensitive=True)


@database
def claim(worker_id):
    """Take back expired leases, then claim the next due job for this worker, if any."""
    close_old_connections()
    jobs.reclaim_stale()
    claimed = jobs.claim_due_jobs(worker_id=worker_id, limit=1)
    return claimed[0] if claimed else None


@database
def store(job, prepared, *, worker_id, provenance, moving=True):
    """Mark the job done and store its image, or store nothing if another worker has taken the job back."""
    with transaction.atomic():
        if not jobs.mark_success(job, worker_id=worker_id):
            return None
        image = storage.save_image(post=job.post, kind=job.kind, prepared=prepared, **provenance)
        if job.kind == ImageKind.THUMB:
            queue_anim(job.post, after=job.priority, moving=moving)
        return image


def queue_anim(post, *, after, moving):
    """With a post's thumbnail, queue its animation; unless it stands still.

    Still without capturing its frames: an SVG (the harness pins its SMIL and CSS animations in
    captures), and a post that did not keep itself moving up to its thumbnail's capture time
    (`moving`, from advance.js: drawn once, like a static canvas or a noLoop() sketch).
    """
    if post.render_model == RenderModel.SVG or not moving:
        Post.objects.filter(pk=post.pk).update(moves=False)
    elif not settings.CAPTURE_ANIM_SECONDS:
        return  # animations are off
    elif Post.objects.filter(pk=post.pk).values_list("moves", flat=True).first() is not False:
        jobs.enqueue_anim(post, after=after)


@database
def store_anim(job, webp, *, worker_id, provenance):
    """Mark the job done and store the animation; None (frames all alike) records the post as still instead.

    Returns the image, True for a still post, or None if another worker has taken the job back.
    """
    with transaction.atomic():
        if not jobs.mark_success(job, worker_id=worker_id):
            return None
        Post.objects.filter(pk=job.post_id).update(moves=webp is not None)
        if webp is None:
            job.post.images.filter(kind=ImageKind.ANIM).delete()
            return True
        # Already WebP: stored as it is, without the variants a still gets.
        prepared = (storage.image_fields(webp), [])
        return storage.save_image(post=job.post, kind=job.kind, prepared=prepared, **provenance)


def scaled(png, *, size, scale):
    """The 1x PNG (scaled down from a 2x capture) and the 2x one (None without it)."""
    if scale == 1:
        return png, None
    return variants.downscale(png, size), png


save_variants = database(storage.save_variants)


render_harness = database(harness_document)
mark_failed = database(jobs.mark_failed)
give_back = database(jobs.give_back)
new_thumb_waiting = database(jobs.new_thumb_waiting)
enqueue_missing = database(jobs.enqueue_missing)
flip_alerts = database(health.flip_alerts)
undo_flip = database(health.undo_flip)
worker_beat = database(health.worker_beat, give_up_after=5)
worker_gone = database(health.worker_gone, give_up_after=0)


@database(give_up_after=0)
def close_connection():
    connection.close()


def default_worker_id():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Capture due image jobs in `concurrency` lanes sharing one browser, once or (watch) until told to stop."""

    def __init__(self, *, watch=False, interval=10.0, concurrency=1, worker_id=None):
        self.watch = watch
        self.interval = interval
        self.concurrency = concurrency
        self.worker_id = worker_id or default_worker_id()
        self.timeout = settings.CAPTURE_TIMEOUT_SECONDS
        self.grace_seconds = self.timeout + 5
        self.outcomes = Counter()
        self.held = set()  # ids of the jobs being captured, whose leases the heartbeat renews
        self.lanes = []
        self.idle_lanes = 0  # lanes asleep for want of a due job
        self.encodes = set()  # variant encodings running beside the lanes
        self.group = None
        self.stopping = None
        self.loop = None
        self.harness_versions = {}  # render model -> harness_version(), computed once per start

    def run(self):
        """Run until the queue is empty (once) or a signal arrives (watch); return the count of each Outcome."""
        if settings.CAPTURE_CHROMIUM_SANDBOX and os.geteuid() == 0:
            raise WorkerCannotRun(
                "CAPTURE_CHROMIUM_SANDBOX=1 needs a non-root user (Chromium's sandbox will not run as root); "
                "run the worker as an unprivileged user, or set CAPTURE_CHROMIUM_SANDBOX=0 for development"
            )
        try:
            connection.ensure_connection()
            PostImageJob.objects.exists()
        except DatabaseError as exc:
            raise WorkerCannotRun(
                f"cannot use the database ({exc}); check DATABASE_URL and run `python manage.py migrate`"
            ) from None
        finally:
            connection.close()  # the worker's database thread opens its own
        asyncio.run(self.main())
        return self.outcomes

    async def main(self):
        self.stopping = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        # Signals reach only the main thread; a worker run in another thread (tests) is stopped with stop().
        signals = [signal.SIGINT, signal.SIGTERM] if threading.current_thread() is threading.main_thread() else []
        for signum in signals:
            self.loop.add_signal_handler(signum, self.on_signal, signum)
        browser = CaptureBrowser(sandbox=settings.CAPTURE_CHROMIUM_SANDBOX)
        chores = []
        try:
            await browser.start()
            mode = f"watch every {self.interval:g} s" if self.watch else "once"
            logger.info("worker %s started (%s, concurrency %s)", self.worker_id, mode, self.concurrency)
            with contextlib.suppress(DatabaseError):  # the registry is for people; capturing goes on without it
                await self.beat(browser)  # listed among the live workers before the first claim
            chores.append(asyncio.create_task(self.renew_leases(browser)))
            if self.watch:
                chores.append(asyncio.create_task(self.sweep()))
            async with asyncio.TaskGroup() as group:  # waits for the lanes and the encodings they started
                self.group = group
                self.lanes = [group.create_task(self.lane(browser)) for _ in range(self.concurrency)]
        except* BrowserUnavailable as error:
            raise WorkerCannotRun(f"{error.exceptions[0]}; see `make setup` or set CAPTURE_BROWSER_PATH") from None
        except* WorkerCannotRun as error:  # a lane lost the database in once mode
            raise error.exceptions[0] from None
        finally:
            for chore in chores:
                chore.cancel()
            await browser.close()
            with contextlib.suppress(DatabaseError):
                await worker_gone(self.worker_id)
            await close_connection()
            for signum in signals:
                self.loop.remove_signal_handler(signum)

    def stop(self):
        """Ask the worker to stop as on SIGTERM; callable from any thread while it runs."""
        self.loop.call_soon_threadsafe(self.on_signal, signal.SIGTERM)

    def on_signal(self, signum):
        name = signal.Signals(signum).name
        if not self.stopping.is_set():
            logger.info(
                "%s: stopping; finishing %s capture(s) in flight (at most %s s)",
                name,
                len(self.held),
                self.grace_seconds,
            )
            self.stopping.set()
            self.loop.call_later(self.grace_seconds, self.cut_off)
        else:
            logger.warning("%s again: exiting now; the captures cut off go back to pending", name)
            self.cut_off()

    def cut_off(self):
        for task in [*self.lanes, *self.encodes]:
            task.cancel()

    async def lane(self, browser):
        """Claim one job at a time and capture it; sleep only when there is nothing to claim."""
        while not self.stopping.is_set():
            while len(self.encodes) >= self.concurrency:  # encodings never pile up behind the captures
                await asyncio.wait(self.encodes, return_when=asyncio.FIRST_COMPLETED)
            try:
                job = await claim(self.worker_id)
            except DatabaseError as exc:
                if not self.watch:
                    raise WorkerCannotRun(f"lost the database ({exc})") from None
                logger.error("database unavailable (%s); retrying in %.0f s", exc, self.interval)
                await self.sleep(self.interval)
                continue
            if job is not None:
                await self.process(browser, job)
            elif self.watch:
                self.idle_lanes += 1
                try:
                    await self.sleep(self.interval)
                finally:
                    self.idle_lanes -= 1
            else:
                return

    async def process(self, browser, job):
        started = time.monotonic()
        outcome, error = Outcome.LOST, "cut off while recording the outcome"
        self.held.add(job.id)
        try:
            outcome, error = await self.capture_and_record(browser, job)
        except asyncio.CancelledError:
            outcome, error = await self.record_failure(job, "the worker stopped mid-capture", transient=True)
            raise
        finally:
            self.held.discard(job.id)
            self.outcomes[outcome] += 1
            log = (
                logger.info
                if outcome in (Outcome.SUCCESS, Outcome.FLAT, Outcome.STILL, Outcome.YIELDED)
                else logger.warning
            )
            log(
                "post=%s kind=%s outcome=%s attempt=%s ms=%d%s",
                job.post_id,
                job.kind,
                outcome,
                job.attempts,
                (time.monotonic() - started) * 1000,
                f" error={' '.join(str(error).split())[:300]}" if error else "",  # one line per job
            )

    async def capture_and_record(self, browser, job):
        """Capture the job's post and store the image; return (Outcome, error message or None)."""
        if job.kind == ImageKind.ANIM:
            return await self.guarded(job, self.capture_anim(browser, job))
        return await self.guarded(job, self.capture_still(browser, job))

    async def guarded(self, job, capture):
        """Run a capture-and-store coroutine; turn its failure into a recorded outcome."""
        try:
            image = await capture
        except GaveWay:
            if not await give_back(job, worker_id=self.worker_id):
                return Outcome.LOST, "the job was taken back from this worker (lease expired)"
            return Outcome.YIELDED, None
        except CaptureError as exc:
            once_more = isinstance(exc, BudgetExceeded)
            return await self.record_failure(job, str(exc), transient=exc.transient, once_more_later=once_more)
        except DatabaseError as exc:
            return await self.record_failure(job, f"database error: {exc}", transient=True)
        except Exception as exc:
            logger.exception("unexpected error capturing post=%s kind=%s", job.post_id, job.kind)
            return await self.record_failure(job, f"worker error: {type(exc).__name__}: {exc}", transient=True)
        if image is None:
            return Outcome.LOST, "the job was taken back from this worker (lease expired); image discarded"
        if image is True:
            return Outcome.STILL, None
        if image.is_flat:
            logger.warning(
                "post=%s kind=%s captured as one flat colour (often a bug, not the art)", job.post_id, job.kind
            )
            return Outcome.FLAT, None
        return Outcome.SUCCESS, None

    async def capture_anim(self, browser, job):
        """Capture the post's loop frame by frame on the virtual clock and store it as an animated WebP."""
        post, fps = job.post, settings.CAPTURE_ANIM_FPS
        seconds = post.anim_duration or settings.CAPTURE_ANIM_SECONDS
        size = settings.CAPTURE_THUMB_SIZE
        start = max(post.anim_start, FIRST_FRAME_SECONDS)
        document = await render_harness(job.post_id)
        if document.status != 200:
            raise CaptureError(f"the harness page answered HTTP {document.status}")
        started = time.monotonic()
        frames = round(seconds * fps)
        capture = browser.capture_frames(
            url=harness_url(job.post_id),
            document=document,
            size=size,
            start=start,
            frames=frames,
            fps=fps,
            timeout=self.timeout * (1 + frames / 30),  # the page load, then a 30th of it per frame
        )
        pngs = await self.giving_way(capture)
        webp = await asyncio.to_thread(
            anim.encode, pngs, fps=fps, quality=settings.CAPTURE_ANIM_QUALITY, max_bytes=settings.CAPTURE_ANIM_MAX_BYTES
        )
        provenance = {
            **self.provenance(browser, post, size, started),
            "capture_time": start,
            "frames": frames,
            "duration_ms": sum(anim.frame_durations(frames, fps)),
        }
        return await store_anim(job, webp, worker_id=self.worker_id, provenance=provenance)

    async def giving_way(self, capture):
        """Await a capture, unless a new post's thumbnail comes due first with no lane free: then raise GaveWay.

        An animation takes seconds of frames at the lowest priority but one; a new post's thumbnail
        must not wait for it (it is captured again from the start later).
        """
        task = asyncio.ensure_future(capture)
        try:
            while True:
                done, _ = await asyncio.wait([task], timeout=GIVE_WAY_CHECK_SECONDS)
                if done:
                    return task.result()
                if self.idle_lanes == 0 and await new_thumb_waiting():
                    raise GaveWay
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def provenance(self, browser, post, size, started):
        return {
            "chromium_version": browser.version,
            "webgl_renderer": browser.webgl_renderer,
            "harness_version": self.harness_version(post.render_model),
            "capture_size": f"{size[0]}x{size[1]}",
            "capture_ms": round((time.monotonic() - started) * 1000),
        }

    async def capture_still(self, browser, job):
        """Capture the job's thumbnail or OG image and store it; then its variants."""
        size = settings.CAPTURE_OG_SIZE if job.kind == ImageKind.OG else settings.CAPTURE_THUMB_SIZE
        # A thumbnail is captured at the density of a high-density screen; the 1x is made from it.
        scale = settings.CAPTURE_THUMB_SCALE if job.kind == ImageKind.THUMB else 1
        document = await render_harness(job.post_id)
        if document.status != 200:
            raise CaptureError(f"the harness page answered HTTP {document.status}")
        started = time.monotonic()
        capture = await browser.capture_image(
            url=harness_url(job.post_id),
            document=document,
            size=size,
            capture_time=job.post.capture_time,
            timeout=self.timeout,
            scale=scale,
        )
        provenance = {**self.provenance(browser, job.post, size, started), "capture_time": capture.virtual_time}
        png, png_2x = await asyncio.to_thread(scaled, capture.png, size=size, scale=scale)
        fields = await asyncio.to_thread(storage.image_fields, png)
        image = await store(job, (fields, []), worker_id=self.worker_id, provenance=provenance, moving=capture.moving)
        if image is not None:
            # Beside the lane's next capture (Pillow's encoders release the GIL): they cost it no time.
            encode = self.group.create_task(self.add_variants(image, png, png_2x))
            self.encodes.add(encode)
            encode.add_done_callback(self.encodes.discard)
        return image

    async def add_variants(self, image, png, png_2x):
        """Encode WebP and AVIF after the PNG has landed, so they cost the new post's thumbnail no time.

        In a thread of their own (the database thread every lane shares must not wait on them); a
        failure keeps the PNG, which every page falls back to.
        """
        try:
            derived = await asyncio.to_thread(variants.derive, png, kind=image.kind, data_2x=png_2x)
            await save_variants(image, derived)
        except Exception:
            logger.exception("could not add the variants of post=%s kind=%s; its PNG stays", image.post_id, image.kind)

    async def record_failure(self, job, error, *, transient, once_more_later=False):
        try:
            status = await mark_failed(
                job, worker_id=self.worker_id, error=error, transient=transient, once_more_later=once_more_later
            )
        except DatabaseError as exc:
            logger.error("could not record the failure of job %s (%s); its lease will expire", job.id, exc)
            return Outcome.LOST, error
        if status is None:
            return Outcome.LOST, error
        return (Outcome.RETRY if status == JobStatus.PENDING else Outcome.FAILED), error

    async def sleep(self, seconds):
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except TimeoutError:
            pass

    def harness_version(self, render_model):
        if render_model not in self.harness_versions:
            self.harness_versions[render_model] = harness_version(render_model)
        return self.harness_versions[render_model]

    async def renew_leases(self, browser):
        """Every quarter lease: renew the leases in flight, tell the registry we live, check the alerts."""
        period = max(1.0, settings.CAPTURE_LEASE_SECONDS / 4)
        renew = database(jobs.heartbeat, give_up_after=period)
        while True:
            await asyncio.sleep(period)
            if self.held:
                try:
                    await renew(worker_id=self.worker_id, job_ids=list(self.held))
                except DatabaseError as exc:
                    logger.warning("could not renew the lease of %s job(s) (%s)", len(self.held), exc)
            try:
                await self.beat(browser)
                if settings.CAPTURE_ALERT_WEBHOOK:
                    await self.alert()
            except DatabaseError as exc:
                logger.warning("could not record the heartbeat or check the alerts (%s)", exc)

    async def beat(self, browser):
        await worker_beat(
            worker_id=self.worker_id,
            chromium_version=browser.version,
            webgl_renderer=browser.webgl_renderer,
            running=len(self.held),
        )

    async def alert(self):
        """Send the alert (or recovery) messages this worker won the right to send; undo those that fail."""
        for name, firing, text in await flip_alerts():
            if not await asyncio.to_thread(health.send_alert, text):
                await undo_flip(name, firing)

    async def sweep(self):
        """Queue posts that have neither an image nor a job (their queueing failed), every minute."""
        while True:
            try:
                if queued := await enqueue_missing():
                    logger.info("queued %s post(s) that had no image and no job", queued)
            except DatabaseError as exc:
                logger.warning("could not look for posts without images (%s)", exc)
            await asyncio.sleep(ENQUEUE_MISSING_SECONDS)

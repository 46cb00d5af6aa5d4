"""The capture_queue loop: claim due jobs, capture them in one shared Chromium, record the outcome.

One asyncio loop drives the browser; every database call runs in asgiref's single sync thread
(capture.worker.database.run_db), so the ORM never runs on the event loop.
"""

import asyncio
import logging
import os
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from capture.browser import BrowserUnavailable, CaptureBrowser
from capture.browser_path import BrowserNotFound, find_capture_browser
from capture.serve import harness_document
from capture.worker.database import close_connection, run_db
from capture.worker.job import SUCCEEDED, JobCapture
from posts import jobs
from posts.models import PostImageJob

logger = logging.getLogger(__name__)

ENQUEUE_MISSING_SECONDS = 60
MAX_IDLE_BACKOFF_SECONDS = 30


class WorkerCannotRun(RuntimeError):
    """The worker's own prerequisites (database, browser) are missing; the message says how to fix it."""


@dataclass
class Summary:
    succeeded: int = 0
    failed: int = 0
    retrying: int = 0
    lost: int = 0
    released: int = 0
    flat: int = 0
    durations: list = field(default_factory=list)

    @property
    def total(self):
        return self.succeeded + self.failed + self.retrying + self.lost

    def add(self, outcome, ms):
        self.durations.append(ms)
        if outcome in SUCCEEDED:
            self.succeeded += 1
            self.flat += outcome == "flat"
        elif outcome == "failed":
            self.failed += 1
        elif outcome == "retry":
            self.retrying += 1
        else:
            self.lost += 1


def default_worker_id():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Claim due image jobs and capture them, once or (watch) until told to stop."""

    def __init__(self, *, watch=False, interval=10.0, batch_size=5, concurrency=1, worker_id=None):
        self.watch = watch
        self.interval = interval
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.worker_id = worker_id or default_worker_id()
        self.timeout = settings.CAPTURE_TIMEOUT_SECONDS
        self.lease_seconds = settings.CAPTURE_LEASE_SECONDS
        self.grace_seconds = self.timeout + 5
        self.summary = Summary()
        self.browser = None
        self.job_capture = None
        self._claimed = []  # claimed, not started: released on shutdown
        self._running = {}  # job id -> task
        self._documents = {}  # job id -> task rendering its harness page ahead of time
        self._capturing = set()  # ids of the jobs holding a capture slot (until their screenshot)
        self._slot_freed = asyncio.Event()
        self._stop = None
        self._loop_ref = None
        self._stop_requested = False
        self._signals = 0

    def run(self):
        """Run until the queue is empty (once) or a signal arrives (watch); return the Summary."""
        self._check_database()
        if settings.CAPTURE_CHROMIUM_SANDBOX and os.geteuid() == 0:
            raise WorkerCannotRun(
                "CAPTURE_CHROMIUM_SANDBOX=1 needs a non-root user (Chromium's sandbox will not run as root); "
                "run the worker as an unprivileged user, or set CAPTURE_CHROMIUM_SANDBOX=0 for development"
            )
        try:
            executable = find_capture_browser()
        except BrowserNotFound as exc:
            raise WorkerCannotRun(str(exc)) from None
        asyncio.run(self._main(executable))
        return self.summary

    def _check_database(self):
        try:
            connection.ensure_connection()
            PostImageJob.objects.exists()
        except DatabaseError as exc:
            raise WorkerCannotRun(
                f"cannot use the database ({exc}); check DATABASE_URL and run `python manage.py migrate`"
            ) from None
        finally:
            # The worker's own database thread opens its own connection.
            connection.close()

    async def _main(self, executable):
        self._stop = asyncio.Event()
        self._loop_ref = loop = asyncio.get_running_loop()
        # Signals reach only the main thread; a worker run in another thread (tests) is stopped with stop().
        handle_signals = threading.current_thread() is threading.main_thread()
        if handle_signals:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self._on_signal, signum)
        self.browser = CaptureBrowser(
            executable=executable,
            sandbox=settings.CAPTURE_CHROMIUM_SANDBOX,
            spares=self.concurrency,
            default_size=settings.CAPTURE_THUMB_SIZE,
        )
        try:
            await self.browser.start()
        except BrowserUnavailable as exc:
            raise WorkerCannotRun(f"{exc}; see `make setup` or set CAPTURE_BROWSER_PATH") from None
        self.job_capture = JobCapture(browser=self.browser, worker_id=self.worker_id, timeout=self.timeout)
        logger.info(
            "worker %s started (%s, batch %s, concurrency %s)",
            self.worker_id,
            f"watch every {self.interval:g} s" if self.watch else "once",
            self.batch_size,
            self.concurrency,
        )
        if self._stop_requested:
            self._stop.set()
        heartbeats = asyncio.ensure_future(self._heartbeat_loop())
        try:
            await self._loop()
            await self._drain()
        finally:
            heartbeats.cancel()
            await asyncio.gather(*self._documents.values(), return_exceptions=True)  # prefetches of unstarted jobs
            self._documents.clear()
            await self._release_unstarted()
            await self.browser.close()
            await run_db(close_connection, what="closing the connection", give_up_after=0)
            if handle_signals:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(signum)

    def stop(self):
        """Ask the worker to stop as on SIGTERM; callable from any thread, before or while it runs."""
        self._stop_requested = True
        if self._loop_ref is not None:
            self._loop_ref.call_soon_threadsafe(self._on_signal, signal.SIGTERM)

    def _on_signal(self, signum):
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals == 1:
            logger.info(
                "%s: stopping; finishing %s capture(s) in flight (at most %s s)",
                name,
                len(self._running),
                self.grace_seconds,
            )
            self._stop.set()
        else:
            logger.warning("%s again: exiting now; running jobs come back when their lease expires", name)
            for task in list(self._running.values()):
                task.cancel()

    async def _loop(self):
        next_enqueue = 0.0
        idle_backoff = self.interval
        while not self._stop.is_set():
            if self._busy():
                await self._wait_for_a_slot()
                continue
            if not self._claimed:
                try:
                    if self.watch and time.monotonic() >= next_enqueue:
                        queued = await run_db(jobs.enqueue_missing, what="queueing posts without images")
                        if queued:
                            logger.info("queued %s post(s) that had no image and no job", queued)
                        next_enqueue = time.monotonic() + ENQUEUE_MISSING_SECONDS
                    await run_db(self._reclaim, what="taking back expired leases")
                    claimed = await run_db(self._claim, what="claiming jobs")
                except DatabaseError as exc:
                    # The database is down or restarting: back off and keep trying (watch), or stop (once).
                    if not self.watch and not self._running:
                        raise WorkerCannotRun(f"lost the database ({exc})") from None
                    logger.error("database unavailable (%s); retrying in %.0f s", exc, idle_backoff)
                    await self._sleep(idle_backoff)
                    idle_backoff = min(idle_backoff * 2, MAX_IDLE_BACKOFF_SECONDS)
                    continue
                idle_backoff = self.interval
                if claimed:
                    logger.debug("claimed %s job(s)", len(claimed))
                    self._claimed.extend(claimed)
                elif self._running:
                    await self._wait_for_a_slot()
                    continue
                elif self.watch:
                    await self._sleep(self.interval)
                    continue
                else:
                    return
            job = self._claimed.pop(0)
            self._capturing.add(job.id)  # counted now, so the next turn sees the slot taken
            self._running[job.id] = asyncio.ensure_future(self._process(job))
            if self._claimed:
                self._prefetch(self._claimed[0])

    def _prefetch(self, job):
        """Render the next job's harness page while the browser is busy with this one."""
        if job.id not in self._documents:
            self._documents[job.id] = asyncio.ensure_future(
                run_db(harness_document, job.post_id, what="rendering the harness")
            )

    async def _harness(self, job):
        self._prefetch(job)
        return await self._documents.pop(job.id)

    def _busy(self):
        # A capture holds its slot until its screenshot is taken; storing the image overlaps the
        # next capture. Jobs still storing are bounded too.
        return len(self._capturing) >= self.concurrency or len(self._running) >= 2 * self.concurrency

    def _free_slot(self, job):
        if job.id in self._capturing:
            self._capturing.discard(job.id)
            self._slot_freed.set()

    async def _wait_for_a_slot(self):
        """Wait until a capture slot frees, a job finishes, or the worker is told to stop."""
        self._slot_freed.clear()
        if self._running:
            waiters = [asyncio.ensure_future(self._stop.wait()), asyncio.ensure_future(self._slot_freed.wait())]
            try:
                await asyncio.wait([*waiters, *self._running.values()], return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def _sleep(self, seconds):
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            pass

    async def _drain(self):
        """Let captures in flight finish within the grace period; cut off what is left."""
        if not self._running:
            return
        done, pending = await asyncio.wait(list(self._running.values()), timeout=self.grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    def _claim(self):
        close_old_connections()
        return jobs.claim_due_jobs(worker_id=self.worker_id, limit=self.batch_size)

    def _reclaim(self):
        return jobs.reclaim_stale(lease_seconds=self.lease_seconds)

    async def _heartbeat_loop(self):
        period = max(1.0, self.lease_seconds / 4)
        while True:
            await asyncio.sleep(period)
            held = [job.id for job in self._claimed] + list(self._running)
            if not held:
                continue
            try:
                await run_db(
                    jobs.heartbeat, worker_id=self.worker_id, job_ids=held, what="renewing leases", give_up_after=period
                )
            except DatabaseError as exc:
                logger.warning("could not renew the lease of %s job(s) (%s)", len(held), exc)

    async def _release_unstarted(self):
        if not self._claimed:
            return
        ids = [job.id for job in self._claimed]
        self._claimed = []
        try:
            released = await run_db(
                jobs.release, worker_id=self.worker_id, job_ids=ids, what="releasing unstarted jobs"
            )
        except DatabaseError as exc:
            logger.error("could not release %s job(s) (%s); they come back when their lease expires", len(ids), exc)
            return
        self.summary.released += released
        logger.info("released %s claimed job(s) that had not started", released)

    async def _process(self, job):
        outcome, ms = "lost", 0  # if even recording the outcome was cut off
        try:
            outcome, ms = await self.job_capture.run(job, self._harness(job), captured=lambda: self._free_slot(job))
        finally:
            self._running.pop(job.id, None)
            self.summary.add(outcome, ms)

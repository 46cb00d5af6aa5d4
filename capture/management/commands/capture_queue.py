import logging

from django.core.management.base import BaseCommand, CommandError

from capture.worker import Worker, WorkerCannotRun

DEFAULT_INTERVAL = 10.0
# -v 1 (the default) keeps the configured LOG_LEVEL (INFO unless set).
LOG_LEVELS = {0: logging.WARNING, 2: logging.DEBUG, 3: logging.DEBUG}


class Command(BaseCommand):
    help = "Capture pending post images (thumb and OG) in headless Chromium, once or continuously."

    def add_arguments(self, parser):
        parser.add_argument(
            "--watch", action="store_true", help="Keep polling until SIGINT/SIGTERM (default: exit when no job is due)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            metavar="SECONDS",
            help=f"With --watch, seconds between polls when idle (default: {DEFAULT_INTERVAL:g}).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=5, metavar="N", help="Most jobs taken in one claim (default: 5)."
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            metavar="N",
            help="Captures run at once in this process's one browser (default: 1).",
        )

    def handle(self, *args, watch, interval, batch_size, concurrency, verbosity, **options):
        if interval is not None and not watch:
            raise CommandError("--interval only applies with --watch.")
        interval = DEFAULT_INTERVAL if interval is None else interval
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")
        if verbosity in LOG_LEVELS:
            for name in ("capture", "posts"):
                logging.getLogger(name).setLevel(LOG_LEVELS[verbosity])

        worker = Worker(watch=watch, interval=interval, batch_size=batch_size, concurrency=concurrency)
        try:
            summary = worker.run()
        except WorkerCannotRun as exc:
            raise CommandError(f"capture_queue cannot run: {exc}.") from None
        if verbosity:
            self.stdout.write(
                f"capture_queue: {summary.total} capture(s): {summary.succeeded} stored"
                f" ({summary.flat} flat), {summary.failed} failed, {summary.retrying} to retry later,"
                f" {summary.lost} taken back, {summary.released} released."
            )

import logging

from django.core.management.base import BaseCommand, CommandError

from capture.worker import Outcome, Worker, WorkerCannotRun

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
            "--concurrency",
            type=int,
            default=1,
            metavar="N",
            help="Captures run at once in this process's one browser, each claiming its own job (default: 1).",
        )

    def handle(self, *args, watch, interval, concurrency, verbosity, **options):
        if interval is not None and not watch:
            raise CommandError("--interval only applies with --watch.")
        interval = DEFAULT_INTERVAL if interval is None else interval
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")
        if verbosity in LOG_LEVELS:
            for name in ("capture", "posts"):
                logging.getLogger(name).setLevel(LOG_LEVELS[verbosity])

        worker = Worker(watch=watch, interval=interval, concurrency=concurrency)
        try:
            outcomes = worker.run()
        except WorkerCannotRun as exc:
            raise CommandError(f"capture_queue cannot run: {exc}.") from None
        if verbosity:
            stored = outcomes[Outcome.SUCCESS] + outcomes[Outcome.FLAT]
            still = f" {outcomes[Outcome.STILL]} still (no animation)," if outcomes[Outcome.STILL] else ""
            yielded = outcomes[Outcome.YIELDED]
            yielded = f" {yielded} animation(s) gave way to new posts," if yielded else ""
            self.stdout.write(
                f"capture_queue: {outcomes.total()} capture(s): {stored} stored ({outcomes[Outcome.FLAT]} flat),"
                f"{still}{yielded} {outcomes[Outcome.FAILED]} failed, {outcomes[Outcome.RETRY]} to retry later,"
                f" {outcomes[Outcome.LOST]} taken back."
            )

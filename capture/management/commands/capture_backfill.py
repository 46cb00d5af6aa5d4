import asyncio
from collections import Counter
from datetime import UTC, datetime, time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from capture.browser import BrowserUnavailable, CaptureBrowser
from posts import health, jobs
from posts.models import STILL_KINDS, ImageKind, Post, RenderModel
from posts.render.scripts import harness_version

DEFAULT_BATCH = 500


class Command(BaseCommand):
    help = (
        "Queue captures of existing posts in the backfill lane (after new posts and retries), "
        "in batches by post id, safe beside running workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            choices=[*ImageKind.values, "all"],
            default="all",
            help=(
                "Which images (default: all, meaning thumb and og: each new thumbnail queues its post's "
                "animation behind it); anim skips posts known to stand still, and SVG posts."
            ),
        )
        parser.add_argument(
            "--render-model", choices=RenderModel.values, help="Only posts of this render model (default: every one)."
        )
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--missing",
            dest="which",
            action="store_const",
            const="missing",
            help="Posts without the image (the default).",
        )
        which.add_argument(
            "--stale",
            dest="which",
            action="store_const",
            const="stale",
            help="Posts whose image another harness version or Chromium version made (or an unrecorded one).",
        )
        which.add_argument(
            "--all", dest="which", action="store_const", const="all", help="Every post, whatever its images."
        )
        parser.add_argument(
            "--since", metavar="DATE", help="Only posts created on or after DATE (2026-01-31 or 2026-01-31T12:00, UTC)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would be queued; queue nothing.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            metavar="N",
            help=f"Posts read and queued per transaction (default: {DEFAULT_BATCH}).",
        )

    def handle(self, *args, kind, render_model, which, since, dry_run, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        which = which or "missing"
        if kind == ImageKind.ANIM and not settings.CAPTURE_ANIM_SECONDS:
            raise CommandError("Animated previews are off (CAPTURE_ANIM_SECONDS=0): there is nothing to queue.")
        kinds = list(STILL_KINDS) if kind == "all" else [kind]
        posts = Post.objects.all()
        if render_model:
            posts = posts.filter(render_model=render_model)
        if since:
            posts = posts.filter(created_at__gte=parse_since(since))
        select = self.selector(which, verbosity)

        queued, wanted, scanned = Counter(), Counter(), 0
        last = None
        with tqdm(total=posts.count(), unit="post", file=self.stderr._out, disable=not verbosity) as bar:
            while True:
                # Keyset pagination on the primary key: each batch is one indexed range, never an OFFSET
                # or a list of every id, and each is queued in its own short transaction.
                batch = posts.filter(pk__gt=last) if last else posts
                ids = list(batch.order_by("pk").values_list("pk", flat=True)[:batch_size])
                if not ids:
                    break
                for image_kind in kinds:
                    batch_posts = Post.objects.filter(pk__in=ids)
                    if image_kind == ImageKind.ANIM:  # a post that stands still gets no animation
                        batch_posts = batch_posts.exclude(moves=False).exclude(render_model=RenderModel.SVG)
                    chosen = list(select(batch_posts, image_kind).values_list("pk", flat=True))
                    wanted[image_kind] += len(chosen)
                    if chosen and not dry_run:
                        queued[image_kind] += jobs.enqueue_backfill(chosen, image_kind)
                scanned += len(ids)
                last = ids[-1]
                bar.update(len(ids))

        parts = [
            f"{image_kind}: {wanted[image_kind]} {which}"
            + ("" if dry_run else f", {queued[image_kind]} queued, {wanted[image_kind] - queued[image_kind]} already")
            for image_kind in kinds
        ]
        suffix = " (dry run: nothing queued)" if dry_run else ""
        self.stdout.write(f"capture_backfill: {scanned} post(s) scanned; {'; '.join(parts)}.{suffix}")

    def selector(self, which, verbosity):
        """The QuerySet method choosing, among a batch of posts, those whose image of a kind to queue."""
        if which == "all":
            return lambda posts, kind: posts
        if which == "missing":
            return lambda posts, kind: posts.missing_image(kind)
        harness_versions = {model: harness_version(model) for model in RenderModel.values}
        chromium_versions = health.live_chromium_versions() or {local_chromium_version()}
        if verbosity:
            self.stdout.write(f"current Chromium: {', '.join(sorted(chromium_versions))}; harness: {harness_versions}")
        return lambda posts, kind: posts.stale_image(
            kind, harness_versions=harness_versions, chromium_versions=chromium_versions
        )


def parse_since(value):
    try:
        moment = parse_datetime(value)
        if moment is None and parse_date(value):
            moment = datetime.combine(parse_date(value), time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--since must be a date (2026-01-31) or a date and time (2026-01-31T12:00), not {value!r}.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


def local_chromium_version():
    """The Chromium a worker on this machine would run, when no live worker has said which it runs."""

    async def ask():
        browser = CaptureBrowser()
        try:
            await browser.start()
            return browser.version
        finally:
            await browser.close()

    try:
        return asyncio.run(ask())
    except BrowserUnavailable as exc:
        raise CommandError(f"--stale needs the current Chromium version: no worker is live and {exc}.") from None

import sys

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import InvalidStorageError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from posts.images.storage import ObjectCorrupt, move, object_storage
from posts.models import ImageStorage, PostImage, PostImageVariant

BATCH = 200


class Command(BaseCommand):
    help = (
        "Move every stored image and variant to another backend while the site and workers run: each "
        "object is checked against its sha256, and an interrupted move picks up where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, choices=ImageStorage.values, help="the backend to move images to")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (default: shown)")

    def handle(self, *args, to, no_progress, **options):
        if to != ImageStorage.DB:
            try:
                object_storage(to)
            except (InvalidStorageError, ImproperlyConfigured):
                raise CommandError(f"The {to} backend is not configured: see docs/storage.md.") from None
        # Set IMAGE_STORAGE to the target first, so new captures land there while the old ones move.
        querysets = [
            model.objects.without_data().exclude(storage=to).order_by("pk") for model in (PostImage, PostImageVariant)
        ]
        total = sum(queryset.count() for queryset in querysets)
        moved = skipped = 0
        failures = []
        with tqdm(total=total, unit="image", disable=no_progress or None, file=sys.stderr) as progress:
            for queryset in querysets:
                last = None
                while True:
                    batch = list((queryset.filter(pk__gt=last) if last else queryset)[:BATCH])
                    if not batch:
                        break
                    for row in batch:
                        try:
                            if move(row, to):
                                moved += 1
                            else:
                                skipped += 1
                        except (ObjectCorrupt, OSError, BotoCoreError, ClientError) as exc:
                            failures.append(f"{type(row).__name__} {row.pk}: {exc}")
                        progress.update(1)
                    last = batch[-1].pk
        self.stdout.write(
            f"Moved {moved} image(s) to {to}; {skipped} changed meanwhile and stay where they were written."
        )
        if failures:
            raise CommandError(f"{len(failures)} image(s) could not be moved:\n" + "\n".join(failures))

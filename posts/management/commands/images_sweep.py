from django.conf import settings
from django.core.management.base import BaseCommand

from posts.images.storage import sweep_retired


class Command(BaseCommand):
    help = (
        "Delete the image objects that recaptures, moves and deleted posts retired more than "
        "IMAGE_RETIRED_GRACE_HOURS ago and that no image names again. Run it from cron or a timer."
    )

    def handle(self, *args, **options):
        deleted = sweep_retired()
        self.stdout.write(
            f"Deleted {deleted} retired image object(s) older than {settings.IMAGE_RETIRED_GRACE_HOURS} hour(s)."
        )

from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from posts.models import Post


class UploadThrottle(SimpleRateThrottle):
    """UPLOAD_THROTTLE_RATE per user, counted from the user's own recent posts.

    DRF's throttles count in the cache, which by default is per process; counting rows keeps the
    limit true across any number of web processes and machines, with nothing to configure. The
    upload form applies it too: it is just another way to publish.
    """

    def get_rate(self):
        return settings.UPLOAD_THROTTLE_RATE  # read per request, so tests (and operators) may change it

    def allow_request(self, request, view):
        recent = list(
            Post.objects.uploaded_by(request.user, within=self.duration).values_list("created_at", flat=True)[
                : self.num_requests
            ]
        )
        if len(recent) < self.num_requests:
            return True
        self.oldest_counted = recent[-1]
        return False

    def wait(self):
        return (self.oldest_counted + timedelta(seconds=self.duration) - timezone.now()).total_seconds()


class RecaptureThrottle(UserRateThrottle):
    """RECAPTURE_THROTTLE_RATE per user, counted in the cache every process shares (a database table)."""

    scope = "recapture"
    cache = caches["shared"]

    def get_rate(self):
        return settings.RECAPTURE_THROTTLE_RATE

from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    """The baseline: the same middleware stack as every endpoint, no database, a tiny body."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/minimal", minimal),
    path("", include("imagesite.urls")),
]

from django.conf import settings
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Pages of posts, newest first, for the API and the feed alike.

    A cursor names a position, so posts published while someone pages through never shift what the
    next page shows. Links are built from SITE_URL, never from the request's Host header, so a
    cached page cannot carry another host's links.
    """

    ordering = ("-created_at", "-id")
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        page = super().paginate_queryset(queryset, request, view)
        self.base_url = settings.SITE_URL + request.get_full_path()
        return page

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({"page_size": [f"Must be a whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def decode_cursor(self, request):
        """A cursor we did not make is a bad request, not a missing page (DRF) or a crash (a forged position)."""
        try:
            cursor = super().decode_cursor(request)
            if cursor and cursor.position is not None and parse_datetime(cursor.position) is None:
                raise ValueError
        except (NotFound, ValueError):
            raise ValidationError({"cursor": ["Invalid cursor: use the next or previous link as given."]}) from None
        return cursor

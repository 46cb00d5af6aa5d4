"""Rendered pages of GET /api/posts, reused until anything a listing shows changes.

The listing is the same for every viewer, and rendering it (query, serializers, reverse() for
each URL) costs ten times a minimal request. Each page is kept in this process's cache under the
current ListingVersion, which one primary-key read fetches, so every process sees a change at once.
"""

import functools

from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse

from posts.models import ListingVersion, Post, PostImage

KEPT_HEADERS = ("Content-Type", "Vary", "Allow")


def current_version():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {ListingVersion._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def bump_version(sender, update_fields=None, **kwargs):
    """Signal receiver: the data behind listings changed (in the same transaction as the change)."""
    if sender is not Post and sender is not PostImage and update_fields and "username" not in update_fields:
        return  # a user's save that cannot change the author names a listing shows (e.g. last_login)
    if not ListingVersion.objects.filter(id=1).update(value=F("value") + 1):
        ListingVersion.objects.get_or_create(id=1)


def connect_signals():
    from django.contrib.auth import get_user_model

    for model in (Post, PostImage, get_user_model()):
        post_save.connect(bump_version, sender=model, dispatch_uid=f"listing-{model.__name__}-save")
        post_delete.connect(bump_version, sender=model, dispatch_uid=f"listing-{model.__name__}-delete")


def cached_listing(view):
    """Wrap the listing view: answer a JSON GET from the cache when the version has not moved."""

    @functools.wraps(view)  # keeps DRF's csrf_exempt and cls (for the schema)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or "text/html" in request.headers.get("Accept", ""):
            return view(request, *args, **kwargs)  # the browsable API, or a write
        version = current_version()
        key = f"api-listing:{version}:{request.get_full_path()}"
        kept = cache.get(key) if version is not None else None
        if kept is not None:
            content, headers = kept
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if version is not None and response.status_code == 200:
            response.render()
            headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
            # A timeout only bounds the odd case of the version row itself being reset (a restored database).
            cache.set(key, (response.content, headers), timeout=300)
        return response

    return wrapper

"""Serving the render harness and our static files to the capture browser from memory.

The browser only ever talks to a private origin that resolves nowhere; every request it makes is
answered here (the harness page from the same function the site's view calls, static files
through the staticfiles finders) or aborted, so the worker needs no running web server and no SITE_URL.
"""

import logging
import mimetypes
import posixpath
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.urls import reverse

from posts.models import Post
from posts.render.document import render_document

logger = logging.getLogger(__name__)

# `.invalid` can never resolve (RFC 2606), and https makes the page a secure context like the site.
RENDER_ORIGIN = "https://render.imagesite.invalid"
RENDER_HOST = urlsplit(RENDER_ORIGIN).hostname


@dataclass
class Document:
    """A ready HTTP response for the browser: what route.fulfill() needs."""

    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""


def harness_url(post_id):
    return f"{RENDER_ORIGIN}{reverse('posts:render', args=[post_id])}?mode=capture"


def harness_document(post_id):
    """The capture-mode harness page of a post, as the site serves it; 404 if the post is gone."""
    post = Post.objects.filter(pk=post_id).first()
    if post is None:
        return Document(status=404)  # deleted after its job was claimed
    response = render_document(post, mode="capture")
    return Document(status=response.status_code, headers=dict(response.items()), body=response.content)


def static_prefix():
    """The URL path under which static files are requested, e.g. /static/."""
    return "/" + urlsplit(settings.STATIC_URL).path.strip("/") + "/"


class StaticFiles:
    """Our static files by URL path, read through the staticfiles finders once and kept in memory."""

    def __init__(self):
        self._cache = {}

    def get(self, path):
        if path not in self._cache:
            self._cache[path] = self._load(path)
        return self._cache[path]

    def _load(self, path):
        name = posixpath.normpath(unquote(path[len(static_prefix()) :])).lstrip("/")
        if name.startswith("..") or not name or name == ".":
            return None
        try:
            found = finders.find(name)
            if not found and staticfiles_storage.exists(name):
                # Hashed names from collectstatic's manifest (production templates use them).
                found = staticfiles_storage.path(name)
        except (SuspiciousFileOperation, NotImplementedError, ValueError):
            return None
        if not found:
            return None
        with open(found, "rb") as file:
            body = file.read()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type in {"text/javascript", "application/javascript"} or name.endswith(".mjs"):
            content_type = "text/javascript"
        headers = {
            "Content-Type": content_type if not content_type.startswith("text/") else f"{content_type}; charset=utf-8",
            # The harness runs in an opaque origin, so its module scripts are cross-origin CORS
            # requests; the web server (whitenoise) answers them with the same header.
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        }
        return Document(status=200, headers=headers, body=body)


class CaptureRoutes:
    """The request handler of one capture's browser context: fulfil the harness once, our statics, abort the rest."""

    def __init__(self, static_files):
        self.static_files = static_files
        self.document = None
        self.document_url = None
        self.blocked = []

    def expect(self, url, document):
        """Serve `document` for the next top-level navigation to `url`, and only for that one."""
        self.document_url = url
        self.document = document

    async def __call__(self, route):
        request = route.request
        answer = self._answer(request)
        if answer is not None:
            await route.fulfill(status=answer.status, headers=answer.headers, body=answer.body)
            return
        self.blocked.append(request.url[:200])
        logger.debug("blocked %s %s (%s)", request.method, request.url[:200], request.resource_type)
        if request.is_navigation_request():
            # "204 No Content" cancels a navigation and leaves the page as it was; an aborted one
            # would replace the harness with the browser's error page. Nothing leaves the browser.
            await route.fulfill(status=204, body=b"")
        else:
            await route.abort("blockedbyclient")

    def _answer(self, request):
        parts = urlsplit(request.url)
        if parts.scheme != "https" or parts.hostname != RENDER_HOST or parts.port is not None:
            return None
        if request.url == self.document_url and self.document is not None and self._is_top_navigation(request):
            document, self.document = self.document, None  # once: a reload or re-navigation gets nothing
            return document
        if request.method == "GET" and parts.path.startswith(static_prefix()) and not request.is_navigation_request():
            return self.static_files.get(parts.path)
        return None

    @staticmethod
    def _is_top_navigation(request):
        try:
            frame = request.frame
        except Exception:  # requests from workers have no frame
            return False
        return request.is_navigation_request() and frame.parent_frame is None

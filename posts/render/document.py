"""The render harness page: one post's code, run full-viewport in an opaque-origin sandbox.

The viewer's iframe, the upload preview and the capture worker all load it; its JavaScript is
built from static/render/.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse


def render_url(post_id):
    """Where pages frame a post's harness: on the cookieless RENDER_ORIGIN when one is configured."""
    return settings.RENDER_ORIGIN + reverse("posts:render", args=[post_id])


def render_document(post, *, mode="live"):
    """The harness page for a post (saved or not), with its security headers.

    The same for every request, so the view, the upload preview and the capture worker all call it.
    """
    nonce = secrets.token_urlsafe(18)
    post_data = {
        "id": str(post.pk),
        "render_model": post.render_model,
        # A byte-order mark (files saved on Windows) is no part of the code; GLSL compilers stop at it.
        "code": post.code.removeprefix("\ufeff"),
        "html": post.html,
        "capture_time": post.capture_time,
        # The first 32 bits of the id: the same post always draws the same random numbers.
        "seed": int(str(post.pk).replace("-", "")[:8], 16),
        "mode": mode,
    }
    html = render_to_string(
        "posts/render.html", {"post_data": post_data, "render_model": post.render_model, "nonce": nonce}
    )
    response = HttpResponse(html)
    response["Content-Security-Policy"] = content_security_policy(nonce)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    # Never stored by shared caches (the nonce is per response) and always revalidated, so an
    # edited or deleted post is not replayed; the page is a few KB, the scripts it loads are cached.
    response["Cache-Control"] = "private, no-cache"
    return response


def content_security_policy(nonce):
    """Two policies; a request must satisfy both.

    The first is the sandbox: an opaque origin, nothing loaded but nonce'd scripts and data:/blob:
    images. Posted code can read the nonce (it runs with it), so the second policy allows scripts
    only from our own origin: a stolen nonce cannot load a script from anywhere else.
    """
    site = urlsplit(settings.SITE_URL)
    sandbox = "; ".join(
        [
            "sandbox allow-scripts",
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            # Posted code may style its own page; CSS can load nothing (img/font-src stop url()).
            "style-src 'unsafe-inline'",
            "img-src data: blob:",
            "media-src data: blob:",
            "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors 'self' {site.scheme}://{site.netloc}",
        ]
    )
    return f"{sandbox}, script-src 'self' 'unsafe-inline'"

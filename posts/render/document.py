"""The render harness page: one post's code, run full-viewport in an opaque-origin sandbox.

The viewer's iframe, the upload preview and the capture worker all load it; its JavaScript is
built from static/render/.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from posts.render.scripts import TEMPLATE, integrity, scripts_for


def render_url(post_id):
    """Where pages frame a post's harness: on the cookieless RENDER_ORIGIN when one is configured."""
    return settings.RENDER_ORIGIN + reverse("posts:render", args=[post_id])


def harness_messages():
    """The harness's own sentences, in the request's language: the harness has no catalogue of its own."""
    return {
        "svg_not_well_formed": _("SVG is not well-formed XML: %(detail)s"),
        "svg_position": _("line %(line)s, column %(column)s: %(reason)s"),
        "svg_root": _("The root element of an SVG post must be <svg>, not <%(tag)s>."),
        "svg_not_shown": _("The SVG could not be shown as an image."),
    }


def render_document(post, *, mode="live", error=None):
    """The harness page for a post (saved or not), with its security headers.

    The same for every request but for its language, so the view, the upload preview and the capture
    worker all call it. `error` (a sentence) is reported as the draft's error instead of running it:
    the upload preview's SVG is checked by the server's rule, so both say the same thing.
    """
    scripts = [{"name": name, "integrity": integrity(name)} for name in scripts_for(post)]
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
        "messages": harness_messages(),
        "error": error,
    }
    html = render_to_string(TEMPLATE, {"post_data": post_data, "scripts": scripts})
    response = HttpResponse(html)
    response["Content-Security-Policy"] = content_security_policy([script["integrity"] for script in scripts])
    if mode == "live":
        # In a viewer's Chromium (152+), enforced at the network layer for every connection the page
        # or a frame it makes would open: navigations (a blocked one leaves an error page, which the
        # embedding pages watch for), preconnects, DNS lookups and WebRTC, none of which CSP
        # governs. Our own origin stays reachable: the harness's scripts come from it. Not in
        # capture mode: the worker's browser reaches nothing anyway, and it answers a navigation
        # with 204 so that the harness stays, where this header would leave an error page.
        response["Connection-Allowlist"] = "(response-origin)"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    # Never stored by shared caches and always revalidated, so an edited or deleted post is not
    # replayed; the page is a few KB, the scripts it loads are cached.
    response["Cache-Control"] = "private, no-cache"
    return response


def content_security_policy(script_hashes):
    """Two policies; a request must satisfy both.

    The first is the sandbox: an opaque origin, nothing loaded but our own scripts (by their SRI
    hashes) and data:/blob: images. No nonce: posted code could read it (from its own script, or
    a CSP violation event) and give it to a srcdoc frame, a fresh window of its own where the
    harness never ran. The post's code is inserted by the harness, so 'strict-dynamic' trusts it
    (and what it inserts); 'strict-dynamic' ignores host sources, so the second policy allows
    scripts only from our own origin.
    """
    site = urlsplit(settings.SITE_URL)
    hashes = " ".join(f"'{value}'" for value in script_hashes)
    sandbox = "; ".join(
        [
            "sandbox allow-scripts",
            "default-src 'none'",
            f"script-src 'strict-dynamic' {hashes}",
            "worker-src 'none'",
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

"""The site's pages: the feed, a post's page and Open Graph image, and the upload form."""

import base64
import binascii
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import DetailView, FormView
from rest_framework.exceptions import Throttled

from posts import og_card, services
from posts.api import UploadThrottle, detail_queryset
from posts.forms import PostForm
from posts.harness import render_document
from posts.images import etag_matches, stored_image_response
from posts.models import DEFAULT_CAPTURE_TIME, MAX_CAPTURE_TIME, ImageKind, Post, RenderModel, image_url
from posts.validation import validate_code_size

FEED_PAGE_SIZE = 24
# At most this many live renders run in the feed at once: each may hold a WebGL context and a CPU.
LIVE_PREVIEW_CAP = 6
# The OG URL is fixed while its image changes (text card, then the capture, then recaptures), so
# caches keep it briefly and then revalidate with the ETag; the text card is replaced soonest.
STORED_OG_CACHE_CONTROL = "public, max-age=300"
CARD_CACHE_CONTROL = "public, max-age=60"
DRAFT_NAMESPACE = uuid.UUID("5f0c1d1e-6a52-4c3e-9d8e-2b7f4a1c9e30")


def render_url(post_id):
    """The post's render harness, on the cookieless RENDER_ORIGIN when one is configured."""
    return settings.RENDER_ORIGIN + reverse("posts:render", args=[post_id])


def encode_cursor(post):
    raw = f"{post.created_at.isoformat()}|{post.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        created_at, post_id = raw.split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(post_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Http404 from None


def feed_page(posts, *, older, newer, size):
    """One page of the newest-first feed, in one query, with the cursors of the pages either side.

    A cursor names the post at the page's edge, so posts published while someone pages through
    the feed never shift what the next page shows (no skipped or repeated posts, as with offsets).
    """
    if newer:
        created_at, post_id = decode_cursor(newer)
        after = Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=post_id)
        rows = list(posts.filter(after).order_by("created_at", "id")[: size + 1])
        has_newer, has_older = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        if older:
            created_at, post_id = decode_cursor(older)
            posts = posts.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=post_id))
        rows = list(posts.order_by("-created_at", "-id")[: size + 1])
        has_newer, has_older = bool(older), len(rows) > size
        rows = rows[:size]
    older_cursor = encode_cursor(rows[-1]) if rows and has_older else None
    newer_cursor = encode_cursor(rows[0]) if rows and has_newer else None
    return rows, older_cursor, newer_cursor


@require_safe
def feed(request):
    """The newest posts, optionally of one render model, a page at a time."""
    render_model = request.GET.get("render_model", "")
    posts = Post.objects.for_listing()
    if render_model:
        if render_model not in RenderModel.values:
            raise Http404
        posts = posts.filter(render_model=render_model)
    older, newer = request.GET.get("older"), request.GET.get("newer")
    page, older, newer = feed_page(posts, older=older, newer=newer, size=FEED_PAGE_SIZE)
    for post in page:
        post.thumb_url = image_url(post.pk, ImageKind.THUMB, post.thumb_sha256) if post.thumb_sha256 else None
        post.render_url = render_url(post.pk)
    context = {
        "posts": page,
        "older": older,
        "newer": newer,
        "render_model": render_model,
        "filters": [("", gettext_lazy("All")), *RenderModel.choices],
        "live_cap": LIVE_PREVIEW_CAP,
    }
    return render(request, "posts/feed.html", context)


class PostDetailView(DetailView):
    """A post: its live render, code, capture status, and the meta tags link previews read."""

    template_name = "posts/detail.html"
    pk_url_kwarg = "post_id"

    def get_queryset(self):
        return detail_queryset()

    def get_context_data(self, **kwargs):
        post = self.object
        images = {image.kind: image for image in post.images.all()}
        og = images.get(ImageKind.OG)
        og_image = settings.SITE_URL + reverse("posts:og-image", args=[post.pk])
        if og:
            # A new capture gets a new og:image URL, so link-preview caches fetch it again.
            og_image += f"?v={og.version}"
        description = post.description or _("A %(render_model)s post on imagesite.") % {
            "render_model": post.get_render_model_display()
        }
        jobs = {job.kind: job for job in post.jobs.all()}
        return super().get_context_data(
            render_url=render_url(post.pk),
            thumb=images.get(ImageKind.THUMB),
            capture_rows=[(kind, images.get(kind), jobs.get(kind)) for kind in ImageKind],
            page_url=settings.SITE_URL + post.get_absolute_url(),
            og_image_url=og_image,
            og_image_size=(og.width, og.height) if og else og_card.CARD_SIZE,
            meta_description=Truncator(" ".join(description.split())).chars(200),
            **kwargs,
        )


@require_safe
def opengraph_image(request, post_id):
    """The captured OG image when there is one, else a text card drawn now; never cached for long."""
    response = stored_image_response(
        request, post_id=post_id, kind=ImageKind.OG, cache_control=lambda row: STORED_OG_CACHE_CONTROL
    )
    if response is not None:
        return response
    post = get_object_or_404(
        Post.objects.select_related("author").only("title", "render_model", "author__username"), pk=post_id
    )
    card = {
        "title": post.title,
        "render_model": post.render_model,
        "render_model_label": post.get_render_model_display(),
        "author": post.author.get_username() if post.author else "",
    }
    etag = og_card.card_etag(**card)
    if etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponseNotModified()
    else:
        data = og_card.render_card(**card)
        response = HttpResponse(b"" if request.method == "HEAD" else data, content_type="image/png")
        response["Content-Length"] = str(len(data))
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = CARD_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PostCreateView(LoginRequiredMixin, FormView):
    """The upload form; it validates with the API's serializer and creates through the same service."""

    template_name = "posts/new.html"
    form_class = PostForm

    def form_valid(self, form):
        throttle = UploadThrottle()
        if not throttle.allow_request(self.request, self):
            # The API's per-user limit and message: the form is just another way to publish.
            form.add_error(None, Throttled(throttle.wait()).detail)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        post = services.post_create(author=self.request.user, **form.validated_data)
        messages.success(self.request, _("Published. The images are being captured; the live render shows meanwhile."))
        return redirect(post)


@xframe_options_exempt  # framed by the upload form; the harness's CSP frame-ancestors says by whom
@login_required
@require_POST
def preview(request):
    """Run the upload form's draft in the render harness, for the form's sandboxed preview frame."""
    render_model = request.POST.get("render_model", "")
    code = request.POST.get("code", "").replace("\r\n", "\n")
    if render_model not in RenderModel.values:
        return HttpResponseBadRequest(_("Choose a render model."), content_type="text/plain; charset=utf-8")
    try:
        validate_code_size(code)
    except ValidationError as exc:
        return HttpResponseBadRequest(exc.messages[0], content_type="text/plain; charset=utf-8")
    try:
        capture_time = float(request.POST.get("capture_time") or DEFAULT_CAPTURE_TIME)
    except ValueError:
        capture_time = DEFAULT_CAPTURE_TIME
    if not 0 <= capture_time <= MAX_CAPTURE_TIME:  # NaN too
        capture_time = DEFAULT_CAPTURE_TIME
    # One id per user, so Math.random (seeded from the id) draws the same numbers while they type.
    draft_id = uuid.uuid5(DRAFT_NAMESPACE, str(request.user.pk))
    draft = Post(id=draft_id, render_model=render_model, code=code, capture_time=capture_time)
    return render_document(draft)

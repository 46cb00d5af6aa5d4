"""The site's pages: the feed, a post's page and the upload form."""

from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django.views.generic import CreateView, DetailView, UpdateView
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request

from posts import services
from posts.api.pagination import NewestFirstPagination
from posts.api.throttling import UploadThrottle
from posts.forms import PostEditForm, PostForm, starter_sketches
from posts.images.card import CARD_SIZE
from posts.models import RENDERED_FIELDS, ImageKind, ImageStorage, JobStatus, Post, RenderModel
from posts.render.document import render_url

# At most this many live renders run in the feed at once: each may hold a WebGL context and a CPU.
LIVE_PREVIEW_CAP = 6


def relative(link):
    """A pager link as a query string, so the feed stays on whatever host the reader used."""
    return "?" + urlsplit(link).query if link else None


@require_safe
def feed(request):
    """The newest posts, optionally of one render model, a page at a time."""
    render_model = request.GET.get("render_model", "")
    # A post whose capture failed is run in the feed only on request: its code may be what failed.
    posts = Post.objects.for_listing().with_thumb_job_status().with_thumb_variants()
    paginator = NewestFirstPagination()
    try:
        if render_model:
            posts = posts.of_render_model(render_model)
        page = paginator.paginate_queryset(posts, Request(request))
    except (ValidationError, DRFValidationError):
        raise Http404 from None
    for post in page:
        post.render_url = render_url(post.pk)
    context = {
        "posts": page,
        "older": relative(paginator.get_next_link()),
        "newer": relative(paginator.get_previous_link()),
        "render_model": render_model,
        "filters": [("", gettext_lazy("All")), *RenderModel.choices],
        "live_cap": LIVE_PREVIEW_CAP,
    }
    return render(request, "posts/feed.html", context)


class PostDetailView(DetailView):
    """A post: its live render, code, capture status, and the meta tags link previews read."""

    template_name = "posts/detail.html"
    pk_url_kwarg = "post_id"
    queryset = Post.objects.for_detail()

    def get_context_data(self, **kwargs):
        post = self.object
        images = {image.kind: image for image in post.images.all()}
        og = images.get(ImageKind.OG)
        og_image = settings.SITE_URL + reverse("posts:og-image", args=[post.pk])
        if og and og.storage != ImageStorage.DB:
            og_image = urljoin(settings.SITE_URL, og.url)  # the object itself (its name changes with it)
        elif og:
            # A new capture gets a new og:image URL, so link-preview caches fetch it again.
            og_image += f"?v={og.version}"
        description = post.description or _("A %(render_model)s post on imagesite.") % {
            "render_model": post.get_render_model_display()
        }
        jobs = {job.kind: job for job in post.jobs.all()}
        thumb = images.get(ImageKind.THUMB)
        thumb_job = jobs.get(ImageKind.THUMB)
        # The capture jobs (status, attempts, errors) are operator information: the author's and staff's.
        can_edit = post.editable_by(self.request.user)
        return super().get_context_data(
            render_url=render_url(post.pk),
            thumb=thumb,
            # As in the feed: code whose capture failed (it hung, ran out of memory, threw) runs only
            # when the visitor asks; a GPU-bound shader could freeze their whole browser.
            hold_live=thumb is None and thumb_job is not None and thumb_job.status == JobStatus.FAILED,
            anim=images.get(ImageKind.ANIM),
            can_edit=can_edit,
            capture_rows=[(kind, images.get(kind), jobs.get(kind)) for kind in ImageKind] if can_edit else [],
            page_url=settings.SITE_URL + post.get_absolute_url(),
            og_image_url=og_image,
            og_image_size=(og.width, og.height) if og else CARD_SIZE,
            meta_description=Truncator(" ".join(description.split())).chars(200),
            **kwargs,
        )


class PostCreateView(LoginRequiredMixin, CreateView):
    """The upload form: the model's rules, the API's upload limit, the same service as the API."""

    template_name = "posts/new.html"
    form_class = PostForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(starters=starter_sketches(), **kwargs)

    def form_valid(self, form):
        throttle = UploadThrottle()
        if not throttle.allow_request(self.request, self):
            form.add_error(None, Throttled(throttle.wait()).detail)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        try:
            services.check_posting_allowed(self.request.user)
        except services.PostingLimit as limit:
            return refuse(self, form, limit)
        post = services.post_create(author=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Published. The images are being captured; the live render shows meanwhile."))
        return redirect(post)


def refuse(view, form, limit):
    """The form again, with everything typed in it and why it was refused (a services.PostingLimit)."""
    form.add_error(None, str(limit))
    response = view.form_invalid(form)
    response.status_code = limit.status
    return response


class PostUpdateView(LoginRequiredMixin, UpdateView):
    """The author's (or staff's) edit form; a change to what is rendered captures the post again."""

    template_name = "posts/edit.html"
    form_class = PostEditForm
    pk_url_kwarg = "post_id"
    model = Post

    def get_object(self, queryset=None):
        post = super().get_object(queryset)
        if not post.editable_by(self.request.user):
            raise PermissionDenied
        return post

    def form_valid(self, form):
        # The form has already set its values on self.object while validating: compare with the saved post.
        saved = Post.objects.get(pk=self.object.pk)
        rendered = {name: getattr(saved, name) for name in RENDERED_FIELDS}
        if any(name in form.cleaned_data and form.cleaned_data[name] != value for name, value in rendered.items()):
            try:  # the change would queue both images again
                services.check_posting_allowed(self.request.user)
            except services.PostingLimit as limit:
                return refuse(self, form, limit)
        post = services.post_update(saved, **form.cleaned_data)
        if any(getattr(post, name) != value for name, value in rendered.items()):
            messages.success(
                self.request, _("Saved. The images are being captured again; the old ones show until then.")
            )
        else:
            messages.success(self.request, _("Saved."))
        return redirect(post)

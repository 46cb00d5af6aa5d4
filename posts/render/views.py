import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.shortcuts import render as render_page
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from posts.models import DEFAULT_CAPTURE_TIME, Post, RenderModel
from posts.render.document import render_document
from posts.validators import validate_svg

DRAFT_NAMESPACE = uuid.UUID("5f0c1d1e-6a52-4c3e-9d8e-2b7f4a1c9e30")


def bad_request(message):
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@require_safe
@vary_on_headers("Sec-Fetch-Dest")
def render(request, post_id):
    """A post's harness page; `?mode=capture` runs it on the virtual clock, `&t=` overrides its capture time.

    Opened on its own (the post page's "Open the render on its own" link, or a link anyone can
    share), the harness would be the top document, free to navigate the visitor anywhere from our
    origin. So a top-level visit gets a page of the site that frames the harness in the sandbox the
    post page uses, which lets it navigate nothing; every browser we support says which kind of
    visit it is (Sec-Fetch-Dest). The capture worker serves the harness to itself (capture/serve.py).
    """
    post = get_object_or_404(Post, pk=post_id)
    if "t" in request.GET:
        try:
            post.capture_time = Post._meta.get_field("capture_time").clean(request.GET["t"], post)
        except ValidationError as exc:
            return bad_request(f"t: {exc.messages[0]}")
    if request.headers.get("Sec-Fetch-Dest") == "document":
        return render_page(request, "posts/render_page.html", {"post": post, "render_src": request.get_full_path()})
    mode = "capture" if request.GET.get("mode") == "capture" else "live"
    response = render_document(post, mode=mode)
    response.xframe_options_exempt = True  # framed by the site: frame-ancestors in its CSP says by whom
    return response


@xframe_options_exempt  # framed by the upload form; the harness's CSP frame-ancestors says by whom
@login_required
@require_POST
def preview(request):
    """Run the upload form's draft in the render harness, for the form's sandboxed preview frame."""
    # One id per user, so Math.random (seeded from the id) draws the same numbers while they type.
    draft = Post(
        id=uuid.uuid5(DRAFT_NAMESPACE, str(request.user.pk)),
        render_model=request.POST.get("render_model", ""),
        code=request.POST.get("code", "").replace("\r\n", "\n"),
        html=request.POST.get("html", "").replace("\r\n", "\n"),
        capture_time=request.POST.get("capture_time") or DEFAULT_CAPTURE_TIME,
    )
    try:
        draft.clean_fields(exclude=["title"])
    except ValidationError as exc:
        errors = exc.message_dict
        problem = errors.get("render_model") or errors.get("code") or errors.get("html")
        if problem:
            return bad_request(problem[0])
        draft.capture_time = DEFAULT_CAPTURE_TIME  # a draft's capture time is only a convenience
    if draft.render_model == RenderModel.SVG:
        # The rule publishing applies, so the preview's error is the one the form would give.
        try:
            validate_svg(draft.code)
        except ValidationError as exc:
            return render_document(draft, error=exc.messages[0])
    return render_document(draft)

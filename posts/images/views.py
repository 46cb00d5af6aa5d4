"""Serving stored images with validators that let every cache do the right thing.

The image endpoint is the site's hottest path while images are in the database, so it is
answered by a middleware right after WhiteNoise with one plain SQL lookup (see
serve_images_early); the URLconf routes the same URL here too, for reverse() and the schema.
Images kept as files or objects are served by whatever serves those (nginx, the CDN, or
image_file below), and the endpoint only redirects to them.
"""

import functools
import re
import uuid

from django.conf import settings
from django.db import connection
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.http import etag, require_safe

from posts.images import card
from posts.images.storage import object_storage
from posts.models import ImageKind, ImageStorage, Post, PostImage, PostImageVariant, image_url

IMMUTABLE = "public, max-age=86400, immutable"
REVALIDATE = "public, no-cache"
# The OG URL is fixed while its image changes (text card, then the capture, then recaptures), so
# caches keep it briefly and then revalidate with the ETag; the text card is replaced soonest.
STORED_OG_CACHE_CONTROL = "public, max-age=300"
CARD_CACHE_CONTROL = "public, max-age=60"
DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
# Variant formats a client may ask for by Accept, best first; a client that names neither gets the PNG.
NEGOTIATED = ("image/avif", "image/webp")
SCALES = ("1", "2")


def error(status, detail):
    response = JsonResponse({"detail": detail}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def accepted_variants(request):
    """The variant formats the client names in Accept (with a non-zero q), best first.

    Only named types count: a bare */* (curl, link-preview bots) gets the PNG every client reads.
    """
    named = set()
    for item in request.headers.get("Accept", "").split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        if not any(param.replace(" ", "") in {"q=0", "q=0.0", "q=0.00", "q=0.000"} for param in params):
            named.add(media_type.lower())
    return [mime for mime in NEGOTIATED if mime in named]


def read_image_row(post_id, kind, *, with_data, mimes=(), scale=1):
    """One image's stored columns, by primary-key-prefix lookup, or None.

    The best of `mimes` among the variants at `scale` if there is one, else the captured PNG (at
    scale 1). Plain SQL: this is the hottest read in the site, and building the same ORM query on
    every request cost several times what the database takes to answer it (see bench/).
    """
    columns = ["sha256", "version", "mime", "bytes", "storage"] + (["data"] if with_data else [])
    post_id = PostImage._meta.get_field("post").target_field.get_db_prep_value(post_id, connection)
    with connection.cursor() as cursor:
        if mimes or scale != 1:
            mimes = list(mimes) + (["image/png"] if scale != 1 else [])
            order = " ".join(f"WHEN %s THEN {rank}" for rank in range(len(mimes)))
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {PostImageVariant._meta.db_table} "
                f"WHERE post_id = %s AND kind = %s AND scale = %s AND mime IN ({', '.join(['%s'] * len(mimes))}) "
                f"ORDER BY CASE mime {order} END LIMIT 1",
                [post_id, kind, scale, *mimes, *mimes],
            )
            found = cursor.fetchone()
            if found:
                return dict(zip(columns, found, strict=True))
        png_columns = ", ".join("sha256 AS version" if c == "version" else c for c in columns)
        cursor.execute(
            f"SELECT {png_columns} FROM {PostImage._meta.db_table} WHERE post_id = %s AND kind = %s", [post_id, kind]
        )
        found = cursor.fetchone()
    return dict(zip(columns, found, strict=True)) if found else None


def stored_image_response(request, *, post_id, kind, cache_control, scale=1):
    """The stored image as a response, or None if there is none.

    From the database: 200 (or 304 when the client has it) with the format the client's Accept
    prefers; elsewhere, a redirect to the object's URL. The hash is read first and alone when
    the client may already have the image, so a 304 never loads the image data.
    """
    if_none_match = request.headers.get("If-None-Match")
    needs_data = request.method == "GET" and not if_none_match
    mimes = accepted_variants(request)
    row = read_image_row(post_id, kind, with_data=needs_data, mimes=mimes, scale=scale)
    if row is None:
        return None
    etag = f'"{row["sha256"]}"'
    headers = {"ETag": etag, "Cache-Control": cache_control(row), "X-Content-Type-Options": "nosniff"}
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        pass
    elif row["storage"] != ImageStorage.DB:
        response = HttpResponseRedirect(
            image_url(post_id, kind, row["sha256"], storage=row["storage"], mime=row["mime"])
        )
    elif request.method == "HEAD":
        response = HttpResponse(content_type=row["mime"])
        headers["Content-Length"] = str(row["bytes"])
    else:
        data = (
            row["data"]
            if needs_data
            else read_image_row(post_id, kind, with_data=True, mimes=mimes, scale=scale)["data"]
        )
        response = HttpResponse(bytes(data), content_type=row["mime"])
        headers["Content-Length"] = str(len(data))
    for name, value in headers.items():
        response[name] = value
    patch_vary_headers(response, ["Accept"])
    response.same_in_every_language = True
    return response


OBJECT_NAME = re.compile(r"^[0-9a-f]{64}\.(png|webp|avif)$")


def object_cache_control(view):
    """Send IMAGE_OBJECT_CACHE_CONTROL on every answer of the view, its 304s included."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = view(*args, **kwargs)
        response["Cache-Control"] = settings.IMAGE_OBJECT_CACHE_CONTROL
        response.same_in_every_language = True
        return response

    return wrapper


@require_safe
@object_cache_control
@etag(lambda request, name: name.partition(".")[0])
def image_file(request, name):
    """GET|HEAD IMAGE_FILES_URL<name>: a files-backend object, for when no front server serves them."""
    storage = object_storage(ImageStorage.FILES)
    if not OBJECT_NAME.match(name) or not storage.exists(name):
        raise Http404("No such image.")
    return FileResponse(storage.open(name, "rb"))


def language_independent_images(get_response):
    """Middleware, listed before LocaleMiddleware: drop the Vary: Accept-Language it adds to every response.

    An image is the same in every language; with that Vary a shared cache would keep one copy per
    Accept-Language header its clients send.
    """

    def middleware(request):
        response = get_response(request)
        if getattr(response, "same_in_every_language", False):
            vary = [v.strip() for v in response.get("Vary", "").split(",")]
            vary = [v for v in vary if v and v.lower() != "accept-language"]
            response.headers.pop("Vary", None)
            response.headers.pop("Content-Language", None)
            if vary:
                response["Vary"] = ", ".join(vary)
        return response

    return middleware


IMAGE_PATH = re.compile(r"^/api/posts/(?P<post_id>[^/]+)/image$")


def serve_images_early(get_response):
    """Middleware, listed right after WhiteNoise: answer /api/posts/<id>/image before the rest of the stack.

    Like WhiteNoise for static files: an image request needs no session, user, CSRF, messages or
    language, and skipping them is most of what an image (or a 304) costs. The URL is still
    routed to post_image in posts/api/urls.py, for reverse() and the schema.
    """

    def middleware(request):
        match = IMAGE_PATH.match(request.path_info)
        if match is None:
            return get_response(request)
        request.get_host()  # ALLOWED_HOSTS still applies (CommonMiddleware would check it)
        return post_image(request, match["post_id"])

    return middleware


def post_image(request, post_id):
    """GET|HEAD /api/posts/<id>/image?kind=thumb|og|anim[&v=<version>]."""
    if request.method not in ("GET", "HEAD"):
        response = error(405, f"Method {request.method} not allowed: use GET or HEAD.")
        response["Allow"] = "GET, HEAD"
        return response
    kinds = request.GET.getlist("kind")
    if len(kinds) != 1 or kinds[0] not in ImageKind.values:
        return error(400, f"Give kind exactly once, as one of: {', '.join(ImageKind.values)}.")
    versions = request.GET.getlist("v")
    if len(versions) > 1:
        return error(400, "Give v at most once.")
    try:
        post_id = uuid.UUID(post_id)
    except ValueError:
        return error(404, "No such post.")

    scales = request.GET.getlist("scale")
    if len(scales) > 1 or (scales and scales[0] not in SCALES):
        return error(400, f"Give scale at most once, as one of: {', '.join(SCALES)}.")

    def cache_control(row):
        # Only a URL that names the current version may be cached for good: a recapture changes it.
        return IMMUTABLE if versions and versions[0] == row["version"][:12] else REVALIDATE

    scale = int(scales[0]) if scales else 1
    response = stored_image_response(request, post_id=post_id, kind=kinds[0], cache_control=cache_control, scale=scale)
    if response is None:
        if Post.objects.filter(pk=post_id).exists():
            return error(404, "This post has no image of that kind yet.")
        return error(404, "No such post.")
    return response


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
    text = {
        "title": post.title,
        "render_model": post.render_model,
        "render_model_label": post.get_render_model_display(),
        "author": post.author.get_username() if post.author else "",
    }
    etag = f'"{card.card_etag(**text)}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        data = card.render_card(**text)
        response = HttpResponse(b"" if request.method == "HEAD" else data, content_type="image/png")
        response["Content-Length"] = str(len(data))
    response["ETag"] = etag
    response["Cache-Control"] = CARD_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_image_endpoint(result, generator, request, public):
    """drf-spectacular hook: describe this plain Django view, which the generator cannot see, in the schema."""
    json_error = {"application/json": {"schema": DETAIL_SCHEMA}}
    header = {"schema": {"type": "string"}}
    headers = {"ETag": header, "Cache-Control": header, "Vary": header, "X-Content-Type-Options": header}
    image_headers = {**headers, "Content-Length": {"schema": {"type": "integer"}}}
    parameters = [
        {"in": "path", "name": "post_id", "required": True, "schema": {"type": "string", "format": "uuid"}},
        {"in": "query", "name": "kind", "required": True, "schema": {"type": "string", "enum": ImageKind.values}},
        {
            "in": "query",
            "name": "v",
            "required": False,
            "schema": {"type": "string"},
            "description": f"The image's version (as in thumb_url): if current, the response is `{IMMUTABLE}`; "
            f"otherwise `{REVALIDATE}`.",
        },
        {
            "in": "query",
            "name": "scale",
            "required": False,
            "schema": {"type": "string", "enum": list(SCALES)},
            "description": "2: the capture for high-density screens (the 1x one when there is none).",
        },
        {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"}},
        {
            "in": "header",
            "name": "Accept",
            "required": False,
            "schema": {"type": "string"},
            "description": "image/avif or image/webp, when named, gets that format; anything else gets the PNG.",
        },
    ]

    def operation(method, summary, body):
        return {
            "operationId": f"posts_image_{method}",
            "summary": summary,
            "tags": ["posts"],
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "The stored image in the format Accept names; ETag is its quoted sha256.",
                    "headers": image_headers,
                    **body,
                },
                "302": {
                    "description": "The image is a file or object (docs/storage.md): Location is its URL.",
                    "headers": {**headers, "Location": header},
                },
                "304": {"description": "The client's copy (If-None-Match) is current.", "headers": headers},
                "400": {
                    "description": "kind missing, repeated or unknown; v or scale repeated; scale unknown.",
                    "content": json_error,
                },
                "404": {"description": "No such post, or no image of that kind yet.", "content": json_error},
            },
        }

    binary = {"schema": {"type": "string", "format": "binary"}}
    png = {"content": {mime: binary for mime in ("image/png", *NEGOTIATED)}}
    result["paths"]["/api/posts/{post_id}/image"] = {
        "get": operation("get", "Fetch a captured image of a post", png),
        "head": operation("head", "Headers of a captured image of a post", {}),
    }
    return result

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from posts import services
from posts.images import DETAIL_SCHEMA
from posts.models import Post, PostImage, RenderModel
from posts.serializers import PostCreateSerializer, PostDetailSerializer, PostListSerializer


def exception_handler(exc, context):
    """DRF's handler, plus: error responses are never cached, so a 404 cannot outlive the post's creation."""
    if isinstance(exc, RequestDataTooBig):
        # DRF (3.17.2+) parses JSON from request.body, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE applies
        # before parsing; Django would answer 400, but the client deserves 413.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge(f"The request body is over the limit of {limit} bytes.")
    response = drf_exception_handler(exc, context)
    if response is not None:
        response["Cache-Control"] = "no-store"
    return response


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "Send the body with a Content-Length header; chunked request bodies are not accepted."
    default_code = "length_required"


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class UploadThrottle(BaseThrottle):
    """UPLOAD_THROTTLE_RATE per user, counted from the user's own recent posts.

    DRF's throttles count in the cache, which by default is per process; counting rows keeps the
    limit true across any number of web processes and machines, with nothing to configure.
    """

    def allow_request(self, request, view):
        number, period = settings.UPLOAD_THROTTLE_RATE.split("/")
        number, window = int(number), timedelta(seconds=PERIOD_SECONDS[period[0]])
        now = timezone.now()
        recent = list(
            Post.objects.filter(author=request.user, created_at__gt=now - window)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:number]
        )
        if len(recent) < number:
            return True
        self.wait_seconds = (recent[-1] + window - now).total_seconds()
        return False

    def wait(self):
        return self.wait_seconds


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise DRFValidationError({"page_size": [f"Must be a whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def decode_cursor(self, request):
        """A cursor we did not make is a bad request, not a missing page (DRF) or a crash (a forged position)."""
        try:
            cursor = super().decode_cursor(request)
            if cursor and cursor.position is not None and parse_datetime(cursor.position) is None:
                raise ValueError
        except (NotFound, ValueError):
            raise DRFValidationError({"cursor": ["Invalid cursor: use the next or previous link as given."]}) from None
        return cursor


def get_post_or_404(queryset, post_id):
    """Look a post up by the id in the URL; a malformed id is simply not found."""
    try:
        uuid.UUID(str(post_id))
    except ValueError:
        raise Http404 from None
    try:
        return get_object_or_404(queryset, pk=post_id)
    except ValidationError:
        raise Http404 from None


FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Each invalid field (or `non_field_errors`) with its problems.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def error(description, schema=DETAIL_SCHEMA):
    return OpenApiResponse(response=schema, description=description)


@extend_schema_view(
    get=extend_schema(
        summary="List posts, newest first",
        parameters=[
            OpenApiParameter("render_model", enum=RenderModel.values, description="Only posts of this render model."),
            OpenApiParameter("page_size", int, description="Posts per page, 1 to 100 (default 24)."),
        ],
        responses={
            200: PostListSerializer(many=True),
            400: error("Bad page_size, render_model or cursor.", FIELD_ERRORS_SCHEMA),
        },
    ),
    post=extend_schema(
        summary="Publish a post",
        request=PostCreateSerializer,
        responses={
            201: PostDetailSerializer,
            400: error(
                "Invalid field (the body names each field and its problem) or a body that is not JSON.",
                {"anyOf": [FIELD_ERRORS_SCHEMA, DETAIL_SCHEMA]},
            ),
            401: error("No or invalid credentials."),
            403: error("Session authentication without a CSRF token."),
            411: error("Chunked body: send a Content-Length."),
            413: error("Request body over the limit."),
            415: error("Not application/json."),
            429: error("Too many uploads; see Retry-After."),
        },
    ),
)
class PostListCreate(generics.ListCreateAPIView):
    pagination_class = NewestFirstPagination

    def get_queryset(self):
        posts = Post.objects.for_listing()
        render_model = self.request.query_params.getlist("render_model")
        if render_model:
            if len(render_model) > 1 or render_model[0] not in RenderModel.values:
                raise DRFValidationError({"render_model": [f"Must be one of: {', '.join(RenderModel.values)}."]})
            posts = posts.filter(render_model=render_model[0])
        return posts

    def get_serializer_class(self):
        return PostCreateSerializer if self.request.method == "POST" else PostListSerializer

    def get_throttles(self):
        return [UploadThrottle()] if self.request.method == "POST" else []

    def create(self, request, *args, **kwargs):
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # Django reads a body only up to its Content-Length, so a chunked one would arrive empty.
            raise LengthRequired()
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_create(author=request.user, **serializer.validated_data)
        post = detail_queryset().get(pk=post.pk)
        body = PostDetailSerializer(post, context=self.get_serializer_context()).data
        return Response(
            body, status=status.HTTP_201_CREATED, headers={"Location": reverse("api:post-detail", args=[post.pk])}
        )


@extend_schema(
    summary="Read one post, with its code, images and capture jobs",
    responses={200: PostDetailSerializer, 404: error("No such post.")},
)
class PostDetail(generics.RetrieveAPIView):
    serializer_class = PostDetailSerializer

    def get_object(self):
        return get_post_or_404(detail_queryset(), self.kwargs["post_id"])


def detail_queryset():
    images = Prefetch("images", queryset=PostImage.objects.without_data().order_by("kind"))
    return Post.objects.select_related("author").prefetch_related(images, "jobs")

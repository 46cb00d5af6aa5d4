import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from posts import services
from posts.api.pagination import NewestFirstPagination
from posts.api.serializers import (
    PostCreateSerializer,
    PostDetailSerializer,
    PostImageJobSerializer,
    PostListSerializer,
    PostUpdateSerializer,
)
from posts.api.throttling import RecaptureThrottle, UploadThrottle
from posts.images.views import DETAIL_SCHEMA
from posts.models import RENDERED_FIELDS, Post, RenderModel


def exception_handler(exc, context):
    """DRF's handler, plus: error responses are never cached, so a 404 cannot outlive the post's creation."""
    if isinstance(exc, RequestDataTooBig):
        # DRF (3.17.2+) parses JSON from request.body, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE applies
        # before parsing; Django would answer 400, but the client deserves 413.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge(f"The request body is over the limit of {limit} bytes.")
    if isinstance(exc, services.PostingLimit):
        exc = PostingRefused(str(exc), status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response["Cache-Control"] = "no-store"
    return response


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class PostingRefused(APIException):
    """A services.PostingLimit: 429 (too many posts waiting for images) or 400 (image storage full)."""

    default_code = "posting_limit"

    def __init__(self, detail, *, status):
        super().__init__(detail)
        self.status_code = status


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "Send the body with a Content-Length header; chunked request bodies are not accepted."
    default_code = "length_required"


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
                "Invalid field (the body names each field and its problem), a body that is not JSON, "
                "or the author's images already take IMAGE_QUOTA_BYTES_PER_USER.",
                {"anyOf": [FIELD_ERRORS_SCHEMA, DETAIL_SCHEMA]},
            ),
            401: error("No or invalid credentials."),
            403: error("Session authentication without a CSRF token."),
            411: error("Chunked body: send a Content-Length."),
            413: error("Request body over the limit."),
            415: error("Not application/json."),
            429: error(
                "Too many uploads (see Retry-After), or CAPTURE_MAX_PENDING_PER_USER posts still waiting for images."
            ),
        },
    ),
)
class PostListCreate(generics.ListCreateAPIView):
    pagination_class = NewestFirstPagination

    def get_queryset(self):
        posts = Post.objects.for_listing()
        render_model = self.request.query_params.getlist("render_model")
        if not render_model:
            return posts
        try:
            if len(render_model) > 1:
                raise ValidationError("Give render_model at most once.")
            return posts.of_render_model(render_model[0])
        except ValidationError as exc:
            raise DRFValidationError({"render_model": exc.messages}) from None

    def get_serializer_class(self):
        return PostCreateSerializer if self.request.method == "POST" else PostListSerializer

    def get_throttles(self):
        return [UploadThrottle()] if self.request.method == "POST" else []

    def create(self, request, *args, **kwargs):
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # Django reads a body only up to its Content-Length, so a chunked one would arrive empty.
            raise LengthRequired()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        services.check_posting_allowed(self.request.user)
        serializer.instance = services.post_create(author=self.request.user, **serializer.validated_data)

    def get_success_headers(self, data):
        return {"Location": reverse("api:post-detail", args=[data["id"]])}


class IsEditorOrReadOnly(permissions.BasePermission):
    """Anyone may read; the post's author and staff may change it."""

    def has_object_permission(self, request, view, post):
        return request.method in permissions.SAFE_METHODS or post.editable_by(request.user)


def post_from_url(queryset, post_id):
    """Look a post up by the id in the URL; a malformed id is simply not found."""
    try:
        post_id = uuid.UUID(str(post_id))
    except ValueError:
        raise Http404 from None
    return get_object_or_404(queryset, pk=post_id)


@extend_schema_view(
    get=extend_schema(
        summary="Read one post, with its code, images and capture jobs",
        responses={200: PostDetailSerializer, 404: error("No such post.")},
    ),
    patch=extend_schema(
        summary="Edit a post (its author or staff); a change to what is rendered captures it again",
        request=PostUpdateSerializer,
        responses={
            200: PostDetailSerializer,
            400: error("Invalid field.", FIELD_ERRORS_SCHEMA),
            401: error("No or invalid credentials."),
            403: error("Not the post's author or staff."),
            404: error("No such post."),
        },
    ),
    delete=extend_schema(
        summary="Delete a post with its images and jobs (its author or staff)",
        responses={
            204: None,
            401: error("No or invalid credentials."),
            403: error("Not the author."),
            404: error("No such post."),
        },
    ),
)
class PostDetail(generics.RetrieveUpdateDestroyAPIView):
    queryset = Post.objects.for_detail()
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsEditorOrReadOnly]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return PostUpdateSerializer if self.request.method == "PATCH" else PostDetailSerializer

    def get_object(self):
        post = post_from_url(self.get_queryset(), self.kwargs["post_id"])
        self.check_object_permissions(self.request, post)
        return post

    def perform_update(self, serializer):
        if set(serializer.validated_data) & set(RENDERED_FIELDS):  # an edit that may queue both images again
            services.check_posting_allowed(self.request.user)
        serializer.instance = services.post_update(serializer.instance, **serializer.validated_data)

    def perform_destroy(self, post):
        services.post_delete(post)


class CanRecapture(permissions.BasePermission):
    """The post's author and staff; on the seed's internal route, staff and service accounts only."""

    def has_permission(self, request, view):
        return not view.internal or self.operator(request.user)  # before the post is looked up

    def has_object_permission(self, request, view, post):
        return self.operator(request.user) or (not view.internal and post.editable_by(request.user))

    @staticmethod
    def operator(user):
        return user.is_staff or user.has_perm("posts.recapture_post")


@extend_schema(
    summary="Capture a post's images again (its author or staff)",
    request=None,
    responses={
        202: PostImageJobSerializer(many=True),
        401: error("No or invalid credentials."),
        403: error("Not the post's author or staff."),
        404: error("No such post."),
        400: error("The author's images already take IMAGE_QUOTA_BYTES_PER_USER."),
        429: error("Too many recaptures (see Retry-After), or too many posts waiting for images."),
    },
)
class PostRecapture(APIView):
    """Queue both images again; a burst of calls leaves one pending job per image. Answers 202 with the jobs."""

    permission_classes = [permissions.IsAuthenticated, CanRecapture]
    throttle_classes = [RecaptureThrottle]
    internal = False

    def post(self, request, post_id=None):
        if self.internal:
            post_id = request.query_params.get("postId", "")
            try:
                uuid.UUID(post_id)
            except ValueError:
                raise DRFValidationError(
                    {"postId": [_("A post's id (a UUID) is required in the query string.")]}
                ) from None
        post = post_from_url(Post.objects.all(), post_id)
        self.check_object_permissions(request, post)
        services.check_posting_allowed(request.user)
        jobs = services.post_recapture(post)
        return Response(PostImageJobSerializer(jobs, many=True).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    summary="The seed's recapture route (staff and service accounts)",
    parameters=[OpenApiParameter("postId", str, required=True, description="The post's id.")],
    request=None,
    responses={
        202: PostImageJobSerializer(many=True),
        401: error("No or invalid credentials."),
        400: error("postId is missing or not a post's id."),
        403: error("Not staff or a service account."),
        404: error("No such post."),
        429: error("Too many recaptures; see Retry-After."),
    },
)
class InternalRecapture(PostRecapture):
    """The seed's POST /api/internal/recapture?postId=<id>, for staff and service tokens."""

    internal = True

import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from posts import services
from posts.api.pagination import NewestFirstPagination
from posts.api.serializers import PostCreateSerializer, PostDetailSerializer, PostListSerializer
from posts.api.throttling import UploadThrottle
from posts.images.views import DETAIL_SCHEMA
from posts.models import Post, RenderModel


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
        serializer.instance = services.post_create(author=self.request.user, **serializer.validated_data)

    def get_success_headers(self, data):
        return {"Location": reverse("api:post-detail", args=[data["id"]])}


@extend_schema(
    summary="Read one post, with its code, images and capture jobs",
    responses={200: PostDetailSerializer, 404: error("No such post.")},
)
class PostDetail(generics.RetrieveAPIView):
    serializer_class = PostDetailSerializer
    queryset = Post.objects.for_detail()

    def get_object(self):
        """Look the post up by the id in the URL; a malformed id is simply not found."""
        try:
            post_id = uuid.UUID(self.kwargs["post_id"])
        except ValueError:
            raise Http404 from None
        return get_object_or_404(self.get_queryset(), pk=post_id)

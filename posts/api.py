import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from posts import services
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


class UploadThrottle(UserRateThrottle):
    scope = "upload"


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise DRFValidationError({"page_size": [f"Must be a whole number from 1 to {self.max_page_size}."]})
        return int(raw)


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


@extend_schema_view(
    get=extend_schema(
        summary="List posts, newest first",
        parameters=[
            OpenApiParameter("render_model", enum=RenderModel.values, description="Only posts of this render model."),
            OpenApiParameter("page_size", int, description="Posts per page, 1 to 100 (default 24)."),
        ],
    ),
    post=extend_schema(
        summary="Publish a post",
        request=PostCreateSerializer,
        responses={
            201: PostDetailSerializer,
            400: OpenApiResponse(description="Invalid field; the body names each field and its problem."),
            401: OpenApiResponse(description="No or invalid credentials."),
            413: OpenApiResponse(description="Request body over the limit."),
            429: OpenApiResponse(description="Too many uploads; see Retry-After."),
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
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_create(author=request.user, **serializer.validated_data)
        post = detail_queryset().get(pk=post.pk)
        body = PostDetailSerializer(post, context=self.get_serializer_context()).data
        return Response(
            body, status=status.HTTP_201_CREATED, headers={"Location": reverse("api:post-detail", args=[post.pk])}
        )


@extend_schema(
    summary="Read one post, with its code, images and capture jobs", responses={200: PostDetailSerializer, 404: None}
)
class PostDetail(generics.RetrieveAPIView):
    serializer_class = PostDetailSerializer

    def get_object(self):
        return get_post_or_404(detail_queryset(), self.kwargs["post_id"])


def detail_queryset():
    images = Prefetch("images", queryset=PostImage.objects.without_data().order_by("kind"))
    return Post.objects.select_related("author").prefetch_related(images, "jobs")

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from posts.models import (
    DEFAULT_CAPTURE_TIME,
    MAX_CAPTURE_TIME,
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    ImageKind,
    Post,
    PostImage,
    PostImageJob,
    RenderModel,
    image_url,
)
from posts.validation import validate_code_size, validate_svg


class PostListSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    thumb_url = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = ["id", "title", "render_model", "created_at", "author", "url", "thumb_url"]

    @extend_schema_field({"type": "string", "nullable": True, "description": "The author's username."})
    def get_author(self, post):
        return post.author.get_username() if post.author else None

    @extend_schema_field({"type": "string", "description": "The post's page on the site."})
    def get_url(self, post):
        return post.get_absolute_url()

    @extend_schema_field(
        {"type": "string", "nullable": True, "description": "Versioned thumbnail URL; null until captured."}
    )
    def get_thumb_url(self, post):
        sha256 = getattr(post, "thumb_sha256", None)
        if sha256 is None:
            image = next((i for i in post.images.all() if i.kind == ImageKind.THUMB), None)
            sha256 = image.sha256 if image else None
        return image_url(post.pk, ImageKind.THUMB, sha256) if sha256 else None


class PostImageSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True)

    class Meta:
        model = PostImage
        fields = ["kind", "mime", "width", "height", "bytes", "url"]


class PostImageJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostImageJob
        fields = ["kind", "status", "attempts", "last_error", "updated_at"]


class PostDetailSerializer(PostListSerializer):
    og_image_url = serializers.SerializerMethodField()
    images = PostImageSerializer(many=True, read_only=True)
    jobs = PostImageJobSerializer(many=True, read_only=True)

    class Meta(PostListSerializer.Meta):
        fields = PostListSerializer.Meta.fields + [
            "description",
            "code",
            "capture_time",
            "og_image_url",
            "images",
            "jobs",
        ]

    @extend_schema_field(
        {"type": "string", "nullable": True, "description": "Versioned Open Graph image URL; null until captured."}
    )
    def get_og_image_url(self, post):
        image = next((i for i in post.images.all() if i.kind == ImageKind.OG), None)
        return image.url if image else None


class PostCreateSerializer(serializers.Serializer):
    """What a client may send to create a post."""

    title = serializers.CharField(max_length=MAX_TITLE_LENGTH, trim_whitespace=True)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_LENGTH, required=False, allow_blank=True, trim_whitespace=True, default=""
    )
    render_model = serializers.ChoiceField(choices=RenderModel.choices)
    code = serializers.CharField(trim_whitespace=False, help_text=_("The source, at most 256 KiB of UTF-8."))
    capture_time = serializers.FloatField(
        min_value=0, max_value=MAX_CAPTURE_TIME, required=False, default=DEFAULT_CAPTURE_TIME
    )

    def validate_code(self, code):
        if not code.strip():
            raise serializers.ValidationError(_("Code may not be blank."))
        try:
            validate_code_size(code)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return code

    def validate(self, data):
        if data["render_model"] == RenderModel.SVG:
            try:
                validate_svg(data["code"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"code": exc.messages}) from None
        return data

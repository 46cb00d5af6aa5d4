from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from posts.models import ImageKind, Post, PostImage, PostImageJob


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
        return post.thumb_url


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


class PostCreateSerializer(serializers.ModelSerializer):
    """What a client may send to create a post; the rules are the model's (its field validators and clean())."""

    class Meta:
        model = Post
        fields = ["title", "description", "render_model", "code", "capture_time"]
        extra_kwargs = {"code": {"trim_whitespace": False}}

    def validate(self, data):
        try:
            Post(**data).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return data

    def to_representation(self, post):
        """A created post is answered with everything its detail shows."""
        post = Post.objects.for_detail().get(pk=post.pk)
        return PostDetailSerializer(post, context=self.context).data

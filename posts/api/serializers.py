import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
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
    captured_at = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = PostImage
        fields = [
            "kind",
            "mime",
            "width",
            "height",
            "bytes",
            "url",
            "captured_at",
            # Blank/null on images stored before provenance was recorded; frames and duration_ms on animations only.
            *PostImage.PROVENANCE_FIELDS,
        ]


# A job's attempts and last error are operator information: in a post's detail, only its author and
# staff get them (as on the post page); everyone gets each job's kind and status.
OPERATOR_FIELDS = ["attempts", "last_error", "updated_at"]
AUTHOR_AND_STAFF_ONLY = "Only to the post's author and staff."


class PostImageJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostImageJob
        fields = ["kind", "status", *OPERATOR_FIELDS]
        extra_kwargs = {name: {"help_text": AUTHOR_AND_STAFF_ONLY} for name in OPERATOR_FIELDS}


class PostDetailSerializer(PostListSerializer):
    og_image_url = serializers.SerializerMethodField()
    images = PostImageSerializer(many=True, read_only=True)
    jobs = PostImageJobSerializer(many=True, read_only=True)

    class Meta(PostListSerializer.Meta):
        fields = PostListSerializer.Meta.fields + [
            "description",
            "code",
            "html",
            "capture_time",
            "anim_start",
            "anim_duration",
            "moves",
            "og_image_url",
            "images",
            "jobs",
        ]

    def to_representation(self, post):
        data = super().to_representation(post)
        request = self.context.get("request")
        if request is None or not post.editable_by(request.user):
            for job in data["jobs"]:
                for name in OPERATOR_FIELDS:
                    del job[name]
        return data

    @extend_schema_field(
        {"type": "string", "nullable": True, "description": "Versioned Open Graph image URL; null until captured."}
    )
    def get_og_image_url(self, post):
        image = next((i for i in post.images.all() if i.kind == ImageKind.OG), None)
        return image.url if image else None


class NumberField(serializers.FloatField):
    """A JSON number: true and false are not (float() would read them as 1 and 0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class PostWriteSerializer(serializers.ModelSerializer):
    """Checks a post with the model's own rules (its field validators and Post.clean()) and answers
    with everything its detail shows."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.FloatField: NumberField}

    class Meta:
        model = Post
        extra_kwargs = {"code": {"trim_whitespace": False}, "html": {"trim_whitespace": False}}

    def validate(self, data):
        post = copy.copy(self.instance) if self.instance else Post()  # an edit is checked as a whole
        for name, value in data.items():
            setattr(post, name, value)
        try:
            post.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return data

    def to_representation(self, post):
        return PostDetailSerializer(Post.objects.for_detail().get(pk=post.pk), context=self.context).data


class PostCreateSerializer(PostWriteSerializer):
    """What a client may send to create a post."""

    class Meta(PostWriteSerializer.Meta):
        fields = ["title", "description", "render_model", "code", "html", "capture_time", "anim_start", "anim_duration"]


class PostUpdateSerializer(PostWriteSerializer):
    """What the author (or staff) may change; the render model stays."""

    class Meta(PostWriteSerializer.Meta):
        fields = ["title", "description", "code", "html", "capture_time", "anim_start", "anim_duration"]

    def validate(self, data):
        # Said, not silently dropped as DRF drops unknown fields: a client that sends it expects a change.
        if "render_model" in self.initial_data:
            raise serializers.ValidationError(
                {"render_model": [_("A post's render model cannot change: publish a new post.")]}
            )
        return super().validate(data)

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posts.fields import HyphenatedUUIDField
from posts.render.p5 import p5_major, p5_versions
from posts.validators import validate_code, validate_finite, validate_html, validate_svg

MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000
MAX_CAPTURE_TIME = 30.0
DEFAULT_CAPTURE_TIME = 0.8
MAX_ANIM_START = MAX_CAPTURE_TIME
MIN_ANIM_DURATION = 0.5
MAX_ANIM_DURATION = 10.0
LAST_ERROR_LENGTH = 512


class RenderModel(models.TextChoices):
    """The one list of render models: the API, the form, the feed's filter and the admin read it."""

    SVG = "svg", _("SVG")
    CANVAS = "canvas", _("Canvas 2D")
    THREE = "three", _("three.js")
    SHADER = "shader", _("GLSL shader")
    P5 = "p5", _("p5.js")


# The render models whose code runs in a page of its own, which may have the post's HTML.
PAGE_MODELS = {RenderModel.CANVAS, RenderModel.THREE}


class ImageKind(models.TextChoices):
    THUMB = "thumb", _("thumbnail")
    OG = "og", _("Open Graph image")
    ANIM = "anim", _("animation")


# The images every post gets with its jobs; an animation is queued once its thumbnail lands.
STILL_KINDS = (ImageKind.THUMB, ImageKind.OG)


class ImageStorage(models.TextChoices):
    """Where an image's bytes live (docs/storage.md); IMAGE_STORAGE picks it for new captures."""

    DB = "db", _("database")
    FILES = "files", _("files")
    S3 = "s3", _("object storage (S3)")


# The stored formats, with each one's file extension; objects are named <sha256>.<extension>.
EXTENSIONS = {"image/png": "png", "image/webp": "webp", "image/avif": "avif"}


# The fields that decide what a capture shows: changing one means capturing again.
RENDERED_FIELDS = ("render_model", "code", "html", "capture_time", "anim_start", "anim_duration")


class PostQuerySet(models.QuerySet):
    def with_thumb(self):
        """Annotate the thumbnail's version and size (what Post.thumb_url needs), in the same query."""
        thumb = PostImage.objects.filter(post=OuterRef("pk"), kind=ImageKind.THUMB)
        return self.select_related("author").annotate(
            thumb_sha256=Subquery(thumb.values("sha256")[:1]),
            thumb_width=Subquery(thumb.values("width")[:1]),
            thumb_height=Subquery(thumb.values("height")[:1]),
            thumb_storage=Subquery(thumb.values("storage")[:1]),
        )

    def for_listing(self):
        """Everything a feed item shows, in one query: author, thumbnail and animation versions, no code."""
        anim = PostImage.objects.filter(post=OuterRef("pk"), kind=ImageKind.ANIM)
        return (
            self.with_thumb()
            .annotate(
                anim_sha256=Subquery(anim.values("sha256")[:1]), anim_storage=Subquery(anim.values("storage")[:1])
            )
            .defer("code", "description")
        )

    def with_thumb_job_status(self):
        """Annotate the status of the thumbnail's capture job (None without one), in the same query."""
        job = PostImageJob.objects.filter(post=OuterRef("pk"), kind=ImageKind.THUMB)
        return self.annotate(thumb_job_status=Subquery(job.values("status")[:1]))

    def for_detail(self):
        """A post with its author, thumbnail, images (without their bytes) and jobs, in three queries."""
        images = Prefetch("images", queryset=PostImage.objects.without_data().order_by("kind"))
        return self.with_thumb().prefetch_related(images, "jobs")

    def with_thumb_variants(self):
        """Prefetch the thumbnail's variants (WebP, AVIF, 2×) as thumb_variants, for the feed's <picture>."""
        variants = PostImageVariant.objects.without_data().filter(kind=ImageKind.THUMB)
        return self.prefetch_related(Prefetch("variants", queryset=variants, to_attr="thumb_variants"))

    def of_render_model(self, render_model):
        """Posts of one render model; an unknown one raises ValidationError (the caller answers 404 or 400)."""
        Post._meta.get_field("render_model").validate(render_model, None)
        return self.filter(render_model=render_model)

    def uploaded_by(self, user, *, within):
        """The user's posts created in the last `within` seconds, newest first."""
        since = timezone.now() - timedelta(seconds=within)
        return self.filter(author=user, created_at__gt=since).order_by("-created_at")

    def without_images_or_jobs(self):
        return self.filter(images__isnull=True, jobs__isnull=True)

    def missing_image(self, kind):
        """Posts without a stored image of this kind."""
        return self.exclude(Exists(PostImage.objects.filter(post=OuterRef("pk"), kind=kind)))

    def stale_image(self, kind, *, harness_versions, chromium_versions):
        """Posts whose image of this kind another harness (by render model) or another Chromium made.

        Images stored before provenance was recorded have neither, so they are stale too.
        """
        stale = Q()
        for render_model, version in harness_versions.items():
            images = PostImage.objects.filter(post=OuterRef("pk"), kind=kind).filter(
                ~Q(harness_version=version) | ~Q(chromium_version__in=chromium_versions)
            )
            stale |= Q(render_model=render_model) & Exists(images)
        return self.filter(stale)


class Post(models.Model):
    id = HyphenatedUUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=MAX_TITLE_LENGTH)
    description = models.TextField(_("description"), blank=True, default="", max_length=MAX_DESCRIPTION_LENGTH)
    render_model = models.CharField(_("render model"), max_length=16, choices=RenderModel.choices)
    code = models.TextField(_("code"), validators=[validate_code], help_text=_("The source, at most 256 KiB of UTF-8."))
    html = models.TextField(
        _("HTML"),
        blank=True,
        default="",
        validators=[validate_html],
        help_text=_(
            "Canvas and three.js posts: elements the code expects on its page (an #info line, a container, "
            "its own <canvas>), placed in the page's body before the code runs. At most 64 KiB; no scripts."
        ),
    )
    capture_time = models.FloatField(
        _("capture time"),
        default=DEFAULT_CAPTURE_TIME,
        blank=True,  # a blank capture time in the form means the default
        validators=[validate_finite, MinValueValidator(0), MaxValueValidator(MAX_CAPTURE_TIME)],
        help_text=_("Seconds of animation before the image is captured."),
    )
    anim_start = models.FloatField(
        _("animation start"),
        default=0,
        blank=True,  # blank in the form means from the start
        validators=[validate_finite, MinValueValidator(0), MaxValueValidator(MAX_ANIM_START)],
        help_text=_("Second of the post's virtual time where its animated preview starts."),
    )
    anim_duration = models.FloatField(
        _("animation length"),
        null=True,
        blank=True,
        validators=[validate_finite, MinValueValidator(MIN_ANIM_DURATION), MaxValueValidator(MAX_ANIM_DURATION)],
        help_text=_("Seconds in the animated preview's loop; blank for the site's default."),
    )
    moves = models.BooleanField(
        _("moves"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Whether its animation frames differ (unknown until captured); a still post gets none."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        db_table = "posts"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["render_model", "created_at"], name="posts_model_created_idx")]
        permissions = [("recapture_post", "Can queue a recapture of any post (service accounts)")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("posts:detail", args=[self.pk])

    def clean(self):
        """The rules that need more than one field: an SVG post must be an SVG document; only sketches have HTML."""
        if self.html and self.render_model not in PAGE_MODELS:
            raise ValidationError(
                {
                    "html": _(
                        "Only canvas and three.js posts have HTML: %(model)s posts draw the whole frame themselves."
                    )
                    % {"model": self.get_render_model_display()}
                }
            )
        if self.render_model != RenderModel.SVG:
            return
        try:
            validate_code(self.code)
        except ValidationError:
            return  # the field's own error says what is wrong; parsing would only add noise
        try:
            validate_svg(self.code)
        except ValidationError as exc:
            raise ValidationError({"code": exc.messages}) from None

    @property
    def p5_version(self):
        """The p5.js version a p5 post runs on ('1.11.13'), chosen from its code (posts/render/p5.py); else None."""
        return p5_versions()[p5_major(self.code)] if self.render_model == RenderModel.P5 else None

    def editable_by(self, user):
        """The post's author and staff may edit, recapture and delete it."""
        return user.is_authenticated and (user.is_staff or (self.author_id is not None and self.author_id == user.pk))

    @property
    def capture_failed(self):
        """No thumbnail, and its capture ended failed; needs with_thumb() and with_thumb_job_status()."""
        return not self.thumb_sha256 and self.thumb_job_status == JobStatus.FAILED

    @property
    def anim_url(self):
        """The animation's versioned URL, or None; needs the for_listing() annotation."""
        sha256 = getattr(self, "anim_sha256", None)
        if not sha256:
            return None
        return image_url(self.pk, ImageKind.ANIM, sha256, storage=self.anim_storage, mime="image/webp")

    @property
    def thumb_url(self):
        """The thumbnail's versioned URL, or None; needs the with_thumb() annotation."""
        if not self.thumb_sha256:
            return None
        return image_url(self.pk, ImageKind.THUMB, self.thumb_sha256, storage=self.thumb_storage)

    def thumb_formats(self):
        """{mime: {scale: url}} of the thumbnail's PNG and its current variants; needs with_thumb_variants()."""
        formats = {"image/png": {1: self.thumb_url}}
        for variant in self.thumb_variants:
            if variant.version == self.thumb_sha256:
                formats.setdefault(variant.mime, {})[variant.scale] = variant.url
        return formats

    @property
    def thumb_sources(self):
        """The feed's <picture> sources, [(mime, srcset)], best format first (none from the database,
        whose endpoint picks the format by Accept); needs with_thumb_variants()."""
        if not self.thumb_sha256 or self.thumb_storage == ImageStorage.DB:
            return []
        formats = self.thumb_formats()
        return [(mime, srcset(formats[mime])) for mime in ("image/avif", "image/webp") if mime in formats]

    @property
    def thumb_srcset(self):
        """The PNG's srcset, with the 2× capture when there is one; needs with_thumb_variants()."""
        return srcset(self.thumb_formats()["image/png"]) if self.thumb_sha256 else ""


def srcset(urls):
    return ", ".join(f"{url} {scale}x" for scale, url in sorted(urls.items()))


def object_name(sha256, mime):
    """An object's name in its storage: content-addressed, so it is written once and never changes."""
    return f"{sha256}.{EXTENSIONS[mime]}"


def image_url(post_id, kind, sha256, *, storage=ImageStorage.DB, mime="image/png", version=None, scale=1):
    """The one builder of image URLs; each names its content, so a new capture has a new URL.

    Images in the database are served by the image endpoint (versioned by the capture's sha256,
    `version`, which is sha256 itself for the PNG); the others are their object's URL, at
    IMAGE_CDN_URL when that is set.
    """
    if storage == ImageStorage.DB:
        url = f"{reverse('api:post-image', args=[post_id])}?kind={kind}&v={(version or sha256)[:12]}"
        return f"{url}&scale={scale}" if scale != 1 else url
    name = object_name(sha256, mime)
    if settings.IMAGE_CDN_URL:
        return settings.IMAGE_CDN_URL + name
    return storages[f"images-{storage}"].url(name)


class StoredImageQuerySet(models.QuerySet):
    def without_data(self):
        return self.defer("data")


class StoredImage(models.Model):
    """An image's bytes and what describes them: in `data`, or an object named by its sha256 elsewhere."""

    kind = models.CharField(max_length=8, choices=ImageKind.choices)
    mime = models.CharField(max_length=64, default="image/png")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage = models.CharField(_("stored in"), max_length=8, choices=ImageStorage.choices, default=ImageStorage.DB)
    data = models.BinaryField(null=True, help_text=_("The bytes, when stored in the database."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoredImageQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def object_name(self):
        return object_name(self.sha256, self.mime)

    @property
    def format_name(self):
        """PNG, WebP or AVIF, as people write them."""
        return {"image/webp": "WebP", "image/avif": "AVIF"}.get(self.mime, self.mime.removeprefix("image/").upper())


class PostImage(StoredImage):
    """A post's captured image of one kind: a PNG still every variant is derived from, or an animated WebP."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    is_flat = models.BooleanField(
        _("one flat colour"), default=False, help_text=_("The capture is a single colour: often a bug, not the art.")
    )
    # Provenance: what made the image, so "capture again whatever an older harness made" is a
    # query, and two different captures of the same code can be explained. Blank on images stored
    # before provenance was recorded (they count as stale).
    chromium_version = models.CharField(_("Chromium version"), max_length=64, blank=True, default="")
    webgl_renderer = models.CharField(_("WebGL renderer"), max_length=255, blank=True, default="")
    harness_version = models.CharField(
        _("harness version"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("A hash of the files that render a post of this model."),
    )
    capture_size = models.CharField(_("capture size"), max_length=16, blank=True, default="")
    capture_time = models.FloatField(
        _("captured at (virtual seconds)"), null=True, blank=True, help_text=_("capturePreview() may make it earlier.")
    )
    capture_ms = models.PositiveIntegerField(
        _("capture duration (ms)"), null=True, blank=True, help_text=_("Wall time of the browser's capture.")
    )
    frames = models.PositiveIntegerField(_("frames"), null=True, blank=True, help_text=_("Animations only."))
    duration_ms = models.PositiveIntegerField(
        _("duration (ms)"), null=True, blank=True, help_text=_("Animations only: one loop.")
    )

    # What made the image (and, for animations, its loop), as the admin and the API detail show it.
    PROVENANCE_FIELDS = (
        "chromium_version",
        "webgl_renderer",
        "harness_version",
        "capture_size",
        "capture_time",
        "capture_ms",
        "frames",
        "duration_ms",
    )

    class Meta:
        db_table = "post_image"
        constraints = [models.UniqueConstraint(fields=["post", "kind"], name="uniq_post_image_kind")]
        # Capture durations of the last hour (capture_status, /metrics).
        indexes = [models.Index(fields=["updated_at"], name="post_image_updated_idx")]

    def __str__(self):
        return f"{self.post_id} {self.kind}"

    @property
    def url(self):
        return image_url(self.post_id, self.kind, self.sha256, storage=self.storage, mime=self.mime)

    @property
    def version(self):
        return self.sha256[:12]


class PostImageVariant(StoredImage):
    """The same capture in another format (WebP, AVIF) or at twice the density, for the feed and the endpoint."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    scale = models.PositiveSmallIntegerField(default=1)
    version = models.CharField(max_length=64, help_text=_("The sha256 of the captured PNG this was made with."))

    class Meta:
        db_table = "post_image_variant"
        constraints = [
            models.UniqueConstraint(fields=["post", "kind", "mime", "scale"], name="uniq_post_image_variant")
        ]

    def __str__(self):
        return f"{self.post_id} {self.kind} {self.mime} {self.scale}x"

    @property
    def url(self):
        kind, storage, mime, scale = self.kind, self.storage, self.mime, self.scale
        return image_url(self.post_id, kind, self.sha256, storage=storage, mime=mime, version=self.version, scale=scale)


class RetiredImageObject(models.Model):
    """An object no image row names any more: `manage.py images_sweep` deletes it after the grace period."""

    storage = models.CharField(max_length=8, choices=ImageStorage.choices)
    name = models.CharField(max_length=100)
    retired_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "post_image_retired"
        constraints = [models.UniqueConstraint(fields=["storage", "name"], name="uniq_retired_object")]

    def __str__(self):
        return f"{self.storage}:{self.name}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    SUCCESS = "success", _("success")
    FAILED = "failed", _("failed")


class JobPriority(models.IntegerChoices):
    """Claim order, lowest first: a new post's images never wait behind a backfill or a retry."""

    NEW = 0, _("new post or edit")
    RETRY = 100, _("retry")
    # After every new post's thumb and OG (0-99, the fair lane) and their retries, before backfill.
    ANIM = 150, _("animation")
    BACKFILL = 200, _("backfill or bulk recapture")


class PostImageJobQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=JobStatus.PENDING)

    def running(self):
        return self.filter(status=JobStatus.RUNNING)

    def failed(self):
        return self.filter(status=JobStatus.FAILED)

    def due(self, now=None):
        """Pending jobs whose backoff has passed, in the order the claim index serves them."""
        return self.pending().filter(run_after__lte=now or timezone.now()).order_by("priority", "run_after", "id")

    def stale(self, now, lease_seconds):
        """Running jobs whose worker has not sent a heartbeat within the lease."""
        return self.running().filter(heartbeat_at__lt=now - timezone.timedelta(seconds=lease_seconds))

    def held_by(self, worker_id):
        return self.running().filter(locked_by=worker_id)


class PostImageJob(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=8, choices=ImageKind.choices)
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    priority = models.PositiveSmallIntegerField(
        choices=JobPriority.choices, default=JobPriority.NEW, help_text=_("Claimed lowest first.")
    )
    # NULL, not "", when there is no error: the seed's column and its operators' queries expect it.
    last_error = models.CharField(max_length=LAST_ERROR_LENGTH, null=True, blank=True)  # noqa: DJ001
    run_after = models.DateTimeField(default=timezone.now, help_text=_("Not claimed before this time (backoff)."))
    locked_by = models.CharField(max_length=100, blank=True, default="", help_text=_("The worker holding the job."))
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostImageJobQuerySet.as_manager()

    class Meta:
        db_table = "post_image_job"
        constraints = [models.UniqueConstraint(fields=["post", "kind"], name="uniq_post_kind")]
        indexes = [
            # The claim query: status = 'pending' AND run_after <= now ORDER BY priority, run_after, id
            # (InnoDB keeps the id in every secondary index, so the order needs no filesort).
            models.Index(fields=["status", "priority", "run_after"], name="post_image_job_claim_idx"),
            # Taking back expired leases: status = 'running' AND heartbeat_at < cutoff.
            models.Index(fields=["status", "heartbeat_at"], name="post_image_job_lease_idx"),
            # The health numbers: jobs that ended (success or failed) within the last hour.
            models.Index(fields=["status", "finished_at"], name="post_image_job_finished_idx"),
        ]

    def __str__(self):
        return f"{self.post_id} {self.kind} {self.status}"


class ListingVersion(models.Model):
    """One row whose number changes whenever anything a post listing shows changes.

    Every web process keeps rendered listing pages keyed by this number (posts/api/cache.py),
    so a page is reused until a post, an image or an author's name changes, on any process.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "post_listing_version"

    def __str__(self):
        return f"listing version {self.value}"


class CaptureWorkerQuerySet(models.QuerySet):
    def live(self, now=None):
        """Workers that sent a heartbeat within the lease: the ones that are still running."""
        since = (now or timezone.now()) - timedelta(seconds=settings.CAPTURE_LEASE_SECONDS)
        return self.filter(heartbeat_at__gte=since)


class CaptureWorker(models.Model):
    """A running capture_queue process, kept up to date by its heartbeat; the health page lists them."""

    worker_id = models.CharField(_("worker"), max_length=100, unique=True)
    chromium_version = models.CharField(_("Chromium version"), max_length=64, blank=True, default="")
    webgl_renderer = models.CharField(_("WebGL renderer"), max_length=255, blank=True, default="")
    running = models.PositiveSmallIntegerField(_("captures in flight"), default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), default=timezone.now, db_index=True)

    objects = CaptureWorkerQuerySet.as_manager()

    class Meta:
        db_table = "capture_worker"
        verbose_name = _("capture pipeline health")
        verbose_name_plural = _("capture pipeline health")

    def __str__(self):
        return self.worker_id


class CaptureAlert(models.Model):
    """One alert condition's state, shared by every worker, so an incident is announced once."""

    name = models.CharField(max_length=32, primary_key=True)
    firing = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    message = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        db_table = "capture_alert"

    def __str__(self):
        return f"{self.name} {'firing' if self.firing else 'ok'}"

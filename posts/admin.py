from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from posts import health, jobs, services
from posts.models import CaptureWorker, ImageKind, ImageStorage, JobPriority, JobStatus, Post, PostImage, PostImageJob

BULK_RECAPTURE = 24


def image_preview(url, width, max_width=240):
    if not url:
        return "—"
    return format_html(
        '<img src="{}" width="{}" alt="" style="max-width:{}px;height:auto;border:1px solid #ccc">',
        url,
        min(width, max_width),
        max_width,
    )


class PostImageInline(admin.TabularInline):
    model = PostImage
    fields = [
        "kind",
        "preview",
        "width",
        "height",
        "bytes",
        "storage",
        "frames",
        "duration_ms",
        "is_flat",
        "harness_version",
        "chromium_version",
        "updated_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = True
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).without_data()

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("preview"))
    def preview(self, image):
        return image_preview(image.url, image.width, 160)


class PostImageJobInline(admin.TabularInline):
    model = PostImageJob
    fields = ["kind", "status", "attempts", "last_error", "run_after", "locked_by", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "thumbnail", "render_model", "author", "created_at"]
    list_filter = ["render_model", "created_at"]
    search_fields = ["title", "description", "=id", "author__username"]
    list_select_related = ["author"]
    readonly_fields = ["id", "moves", "created_at", "updated_at"]
    inlines = [PostImageInline, PostImageJobInline]
    actions = ["recapture"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).for_listing()

    @admin.display(description=_("thumbnail"))
    def thumbnail(self, post):
        return image_preview(post.thumb_url, post.thumb_width, 120)

    @admin.action(description=_("Capture the images of selected posts again"))
    def recapture(self, request, queryset):
        # A few posts are an operator's fix and go first; more than a page is a bulk job that must
        # not hold up new posts' thumbnails.
        count = queryset.count()
        priority = JobPriority.NEW if count <= BULK_RECAPTURE else JobPriority.BACKFILL
        for post in queryset:
            services.post_recapture(post, priority=priority)
        self.message_user(request, ngettext("Queued %d post.", "Queued %d posts.", count) % count, messages.SUCCESS)


@admin.register(PostImage)
class PostImageAdmin(admin.ModelAdmin):
    list_display = [
        "post",
        "kind",
        "preview_small",
        "width",
        "height",
        "size",
        "storage",
        "is_flat",
        "harness_version",
        "chromium_version",
        "capture_ms",
        "updated_at",
    ]
    list_filter = ["kind", "storage", "is_flat", "mime", "harness_version", "chromium_version"]
    search_fields = ["=post__id", "post__title"]
    list_select_related = ["post"]
    exclude = ["data"]
    readonly_fields = [
        "post",
        "kind",
        "mime",
        "width",
        "height",
        "bytes",
        "sha256",
        "storage",
        "object",
        "variants",
        "is_flat",
        "preview",
        *PostImage.PROVENANCE_FIELDS,
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).without_data()

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("preview"))
    def preview_small(self, image):
        return image_preview(image.url, image.width, 120)

    @admin.display(description=_("preview"))
    def preview(self, image):
        return image_preview(image.url, image.width, 640)

    @admin.display(description=_("size"), ordering="bytes")
    def size(self, image):
        return f"{image.bytes / 1024:.1f} KiB"

    @admin.display(description=_("object"))
    def object(self, image):
        """Where the bytes are: the object's name in its storage, or the row itself."""
        return "—" if image.storage == ImageStorage.DB else image.object_name

    @admin.display(description=_("variants"))
    def variants(self, image):
        rows = image.post.variants.without_data().filter(kind=image.kind, version=image.sha256)
        return (
            format_html_join(
                ", ", '<a href="{}">{} {}× ({:.1f} KiB)</a>', ((v.url, v.mime, v.scale, v.bytes / 1024) for v in rows)
            )
            or "—"
        )


@admin.register(PostImageJob)
class PostImageJobAdmin(admin.ModelAdmin):
    # Short columns, so the list fits a laptop's window: the whole error and the worker are on the job's page.
    list_display = ["post", "kind", "status", "attempts", "short_error", "run_after", "updated_at"]
    list_filter = ["status", "kind"]
    search_fields = ["=post__id", "post__title"]
    list_select_related = ["post"]
    readonly_fields = [
        "post",
        "kind",
        "status",
        "attempts",
        "last_error",
        "run_after",
        "locked_by",
        "heartbeat_at",
        "started_at",
        "finished_at",
        "created_at",
        "updated_at",
    ]
    actions = ["retry_selected"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("Last error"), ordering="last_error")
    def short_error(self, job):
        return Truncator(" ".join((job.last_error or "").split())).chars(80) or "—"

    @admin.action(description=_("Retry selected jobs"))
    def retry_selected(self, request, queryset):
        count = jobs.retry(queryset)
        self.message_user(
            request,
            ngettext("%d job sent back to pending.", "%d jobs sent back to pending.", count) % count,
            messages.SUCCESS,
        )


@admin.register(CaptureWorker)
class CaptureHealthAdmin(admin.ModelAdmin):
    """The capture pipeline's health page (what capture_status prints), in the admin index for staff."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        state = health.snapshot()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Capture pipeline health"),
            "opts": self.model._meta,
            "state": state,
            "statuses": JobStatus.choices,
            "job_rows": [
                (label, [state.count(status, kind) for status in JobStatus.values]) for kind, label in ImageKind.choices
            ],
            "jobs_url": reverse("admin:posts_postimagejob_changelist"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/posts/capture_health.html", context)

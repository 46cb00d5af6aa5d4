"""Prometheus /metrics: the capture pipeline's numbers, read from the database at each scrape.

A custom collector rather than counters in process memory: the captures happen in any number of
worker processes on any number of machines, and the database is the one place that sees them all.
"""

import hmac

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily

from posts import health
from posts.models import JobStatus, PostImage, PostImageJob

# Capture-duration buckets, in seconds: an SVG takes ~0.2 s, a heavy shader several.
BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60]


class PipelineCollector:
    """Queue depth, oldest waiting job, jobs by state, the last hour's outcomes by model, workers, durations."""

    def collect(self):
        state = health.snapshot()
        depth = GaugeMetricFamily(
            "imagesite_capture_queue_depth", "Capture jobs waiting (pending) by lane.", labels=["kind", "priority"]
        )
        for row in PostImageJob.objects.pending().values("kind", "priority").annotate(n=Count("id")).order_by():
            depth.add_metric([row["kind"], str(row["priority"])], row["n"])
        yield depth

        yield GaugeMetricFamily(
            "imagesite_capture_oldest_pending_seconds",
            "How long the oldest due pending job has waited (0 when none waits).",
            value=state.oldest_pending_seconds or 0,
        )

        jobs = GaugeMetricFamily(
            "imagesite_capture_jobs", "Capture jobs by status and kind.", labels=["status", "kind"]
        )
        for (status, kind), count in sorted(state.counts.items()):
            jobs.add_metric([status, kind], count)
        yield jobs

        recent = GaugeMetricFamily(
            "imagesite_capture_outcomes_last_hour",
            "Jobs that ended within the last hour, by outcome and render model.",
            labels=["status", "render_model"],
        )
        ended = PostImageJob.objects.filter(
            finished_at__gte=state.now - health.HOUR, status__in=[JobStatus.SUCCESS, JobStatus.FAILED]
        )
        for row in ended.values("status", "post__render_model").annotate(n=Count("id")).order_by():
            recent.add_metric([row["status"], row["post__render_model"]], row["n"])
        yield recent

        yield GaugeMetricFamily(
            "imagesite_capture_workers_live", "Workers with a heartbeat within the lease.", value=len(state.workers)
        )

        yield duration_histogram(since=state.now - health.HOUR)


def duration_histogram(*, since):
    """Capture durations of the images stored since `since`, by render model, counted in one query.

    A gauge histogram (the distribution over a window, not a running total): an all-time count would
    scan every image at each scrape, and images are replaced on recapture anyway.
    """
    histogram = GaugeHistogramMetricFamily(
        "imagesite_capture_duration_seconds",
        "Browser time of the captures stored within the last hour, by render model.",
        labels=["render_model"],
    )
    buckets = {f"le_{i}": Count("id", filter=Q(capture_ms__lte=bound * 1000)) for i, bound in enumerate(BUCKETS)}
    rows = (
        PostImage.objects.filter(updated_at__gte=since, capture_ms__isnull=False)
        .values("post__render_model")
        .annotate(total=Count("id"), sum_ms=Sum("capture_ms"), **buckets)
        .order_by("post__render_model")
    )
    for row in rows:
        cumulative = [(str(bound), row[f"le_{i}"]) for i, bound in enumerate(BUCKETS)] + [("+Inf", row["total"])]
        histogram.add_metric([row["post__render_model"]], cumulative, (row["sum_ms"] or 0) / 1000)
    return histogram


def allowed(request):
    """None if the request may read the metrics, else the status to refuse it with (401 or 403)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = settings.METRICS_TOKEN
        given = header.removeprefix("Bearer ").strip()
        return None if token and hmac.compare_digest(given.encode(), token.encode()) else 403
    if request.user.is_authenticated:
        return None if request.user.is_active and request.user.is_staff else 403
    return 401


@never_cache
@require_safe
def metrics(request):
    """The Prometheus text format, for `Authorization: Bearer <METRICS_TOKEN>` or a staff session."""
    refused = allowed(request)
    if refused:
        response = HttpResponse(
            "Send Authorization: Bearer <METRICS_TOKEN>, or log in as staff.\n",
            status=refused,
            content_type="text/plain",
        )
        if refused == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

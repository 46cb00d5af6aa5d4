import json

from django.core.management.base import BaseCommand

from posts import health
from posts.models import ImageKind, JobStatus


class Command(BaseCommand):
    help = (
        "Print the capture pipeline's health: jobs by status and kind, the last hour's failure rate and "
        "throughput, the oldest waiting job, live workers, capture times and the most common errors."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON object instead of text."
        )

    def handle(self, *args, as_json, **options):
        state = health.snapshot()
        self.stdout.write(to_json(state) if as_json else as_text(state))


def as_text(state):
    lines = [f"capture_status at {state.now:%Y-%m-%d %H:%M:%S} UTC"]
    lines.append("jobs     " + "".join(f"{status:>9}" for status in JobStatus.values))
    for kind in ImageKind.values:
        lines.append(f"  {kind:<7}" + "".join(f"{state.count(status, kind):>9}" for status in JobStatus.values))
    rate = state.failure_rate
    lines.append(
        f"last hour: {state.finished} ended, {state.failed} failed"
        f" ({'-' if rate is None else f'{rate:.1%}'} failure rate), {state.captures_per_minute:.1f} captures/min"
    )
    age = state.oldest_pending_seconds
    lines.append(f"oldest due pending job: {'none' if age is None else f'waiting {age:.0f} s'}")
    lines.append(f"live workers: {len(state.workers)}")
    for worker in state.workers:
        seconds = (state.now - worker.heartbeat_at).total_seconds()
        lines.append(
            f"  {worker.worker_id}  Chromium {worker.chromium_version or '?'}  {worker.running} in flight,"
            f" last heartbeat {seconds:.0f} s ago"
        )
    lines.append("capture time, last hour (p50 / p95 / captures):")
    for model, numbers in state.durations.items():
        lines.append(f"  {model:<7} {numbers['p50']:>6} ms {numbers['p95']:>6} ms {numbers['count']:>7}")
    if not state.durations:
        lines.append("  none")
    lines.append("most common errors, last hour:")
    lines.extend(f"  {count:>5}x {error}" for error, count in state.errors)
    if not state.errors:
        lines.append("  none")
    return "\n".join(lines)


def to_json(state):
    return json.dumps(
        {
            "at": state.now.isoformat(),
            "jobs": {kind: {status: state.count(status, kind) for status in JobStatus.values} for kind in ImageKind},
            "last_hour": {
                "ended": state.finished,
                "failed": state.failed,
                "failure_rate": state.failure_rate,
                "captures_per_minute": state.captures_per_minute,
            },
            "oldest_pending_seconds": state.oldest_pending_seconds,
            "workers": [
                {
                    "id": worker.worker_id,
                    "chromium_version": worker.chromium_version,
                    "webgl_renderer": worker.webgl_renderer,
                    "running": worker.running,
                    "started_at": worker.started_at.isoformat(),
                    "heartbeat_at": worker.heartbeat_at.isoformat(),
                }
                for worker in state.workers
            ],
            "capture_ms": state.durations,
            "errors": [{"error": error, "count": count} for error, count in state.errors],
        }
    )

"""capture_backfill: which posts it queues, in which lane, and that running it again changes nothing."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from posts import health, jobs
from posts.images.storage import save_image
from posts.models import JobPriority, JobStatus, Post, PostImage, PostImageJob
from posts.render.scripts import harness_version
from posts.tests.conftest import CIRCLE_SVG, png_bytes

CHROMIUM = "156.0.8078.114"


def backfill(*args):
    out = io.StringIO()
    call_command("capture_backfill", *args, "--verbosity", "0", stdout=out)
    return out.getvalue()


def make_posts(count, *, render_model="svg", captured=False, **provenance):
    posts = Post.objects.bulk_create(
        Post(title=f"p{i}", render_model=render_model, code=CIRCLE_SVG if render_model == "svg" else "void main(){}")
        for i in range(count)
    )
    if captured:
        for post in posts:
            for kind in ("thumb", "og"):
                save_image(post=post, kind=kind, data=png_bytes(), **provenance)
    return posts


@pytest.fixture
def live_worker(db):
    health.worker_beat(worker_id="w1", chromium_version=CHROMIUM, webgl_renderer="SwiftShader", running=0)


def current(render_model="svg"):
    return {"harness_version": harness_version(render_model), "chromium_version": CHROMIUM}


def test_missing_images_are_queued_in_the_backfill_lane_in_batches(db):
    missing = make_posts(7)
    make_posts(3, captured=True, **current())

    out = backfill("--batch-size", "3")

    assert out == (
        "capture_backfill: 10 post(s) scanned; thumb: 7 missing, 7 queued, 0 already; "
        "og: 7 missing, 7 queued, 0 already.\n"
    )
    assert set(PostImageJob.objects.values_list("post_id", flat=True)) == {post.pk for post in missing}
    assert set(PostImageJob.objects.values_list("priority", "status").distinct()) == {
        (JobPriority.BACKFILL, JobStatus.PENDING)
    }


def test_running_it_again_queues_nothing_twice(db):
    make_posts(4)
    backfill()

    out = backfill()

    assert "thumb: 4 missing, 0 queued, 4 already" in out
    assert PostImageJob.objects.count() == 8


def test_a_new_posts_waiting_job_is_never_reset_or_demoted(db):
    (post,) = make_posts(1)
    jobs.enqueue_for_post(post)  # a new upload: NEW lane
    claimed = jobs.claim_due_jobs(worker_id="w", limit=1)  # one already in a worker's hands

    backfill()

    by_kind = {job.kind: job for job in PostImageJob.objects.all()}
    assert by_kind[claimed[0].kind].status == JobStatus.RUNNING
    assert all(job.priority == JobPriority.NEW for job in by_kind.values())


def test_a_failed_job_of_a_post_without_an_image_is_queued_again(db):
    (post,) = make_posts(1)
    jobs.enqueue_for_post(post)
    PostImageJob.objects.update(status=JobStatus.FAILED, attempts=3, last_error="boom")

    backfill("--kind", "thumb")

    thumb = PostImageJob.objects.get(kind="thumb")
    assert (thumb.status, thumb.attempts, thumb.last_error, thumb.priority) == (
        "pending",
        0,
        None,
        JobPriority.BACKFILL,
    )
    assert PostImageJob.objects.get(kind="og").status == JobStatus.FAILED


def test_stale_picks_exactly_the_images_another_harness_or_browser_made(live_worker):
    fresh = make_posts(3, captured=True, **current())
    old_harness = make_posts(2, captured=True, harness_version="0123456789abcdef", chromium_version=CHROMIUM)
    old_browser = make_posts(1, captured=True, harness_version=harness_version("svg"), chromium_version="150.0.1.2")
    unrecorded = make_posts(1, captured=True)
    shaders = make_posts(2, render_model="shader", captured=True, **current("shader"))
    missing = make_posts(2)
    PostImage.objects.filter(post=old_harness[0], kind="og").update(harness_version=harness_version("svg"))

    out = backfill("--stale", "--dry-run")

    assert "thumb: 4 stale; og: 3 stale." in out and not PostImageJob.objects.exists()
    backfill("--stale", "--kind", "thumb")
    stale = {*old_harness, *old_browser, *unrecorded}
    assert set(PostImageJob.objects.values_list("post_id", flat=True)) == {post.pk for post in stale}
    assert not {post.pk for post in [*fresh, *shaders, *missing]} & set(
        PostImageJob.objects.values_list("post_id", flat=True)
    )


def test_all_render_model_and_since_narrow_the_posts(db):
    old = make_posts(2, captured=True, **current())
    Post.objects.filter(pk__in=[p.pk for p in old]).update(created_at=timezone.now() - timedelta(days=10))
    new_svg = make_posts(2, captured=True, **current())
    make_posts(2, render_model="shader", captured=True)

    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    out = backfill("--all", "--render-model", "svg", "--since", since, "--kind", "og")

    assert out.startswith("capture_backfill: 2 post(s) scanned; og: 2 all, 2 queued")
    assert set(PostImageJob.objects.values_list("post_id", "kind")) == {(p.pk, "og") for p in new_svg}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since must be a date .2026-01-31. or a date and time"),
        (["--since", "2026-02-30"], "--since must be a date"),
        (["--batch-size", "0"], "--batch-size must be at least 1."),
        (["--missing", "--stale"], "not allowed with argument"),
        (["--kind", "png"], "invalid choice"),
        (["--render-model", "p6"], "invalid choice"),
    ],
)
def test_bad_arguments_are_refused_in_one_sentence(db, args, message):
    make_posts(1)
    with pytest.raises(CommandError, match=message):
        backfill(*args)
    assert not PostImageJob.objects.exists()


def test_animations_are_not_backfilled_while_they_are_off(db, settings):
    settings.CAPTURE_ANIM_SECONDS = 0
    make_posts(1)
    with pytest.raises(CommandError, match="Animated previews are off"):
        backfill("--kind", "anim")
    assert not PostImageJob.objects.exists()


@pytest.mark.browser
def test_stale_asks_the_local_chromium_when_no_worker_is_live(db):
    from capture.management.commands.capture_backfill import local_chromium_version

    version = local_chromium_version()
    make_posts(2, captured=True, harness_version=harness_version("svg"), chromium_version=version)
    old = make_posts(1, captured=True, harness_version=harness_version("svg"), chromium_version="1.0.0.0")

    backfill("--stale", "--kind", "thumb")

    assert list(PostImageJob.objects.values_list("post_id", flat=True)) == [old[0].pk]

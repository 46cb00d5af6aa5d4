"""Animation jobs: queued behind every new post's thumbnail and OG card, never for a post known to stand still."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from capture.worker import queue_anim
from posts import jobs, services
from posts.images.storage import image_fields, save_image
from posts.models import ImageKind, JobPriority, Post, PostImageJob

MOVING = "requestAnimationFrame(function f(t) { ctx.fillRect(0, 0, t, 9); requestAnimationFrame(f); });"


def publish(user, title, render_model="canvas"):
    return services.post_create(author=user, title=title, render_model=render_model, code=MOVING)


def claim_all():
    return jobs.claim_due_jobs(worker_id="w", limit=1000, now=timezone.now() + timedelta(seconds=1))


@pytest.mark.django_db
def test_a_new_post_gets_its_thumb_and_og_and_no_animation_job_until_its_thumbnail_lands():
    post = publish(None, "new")
    assert sorted(PostImageJob.objects.filter(post=post).values_list("kind", flat=True)) == ["og", "thumb"]


@pytest.mark.django_db
def test_animations_are_claimed_after_every_new_posts_thumb_and_og_even_a_flooders_last():
    users = get_user_model().objects
    old = publish(users.create_user("old"), "old")
    PostImageJob.objects.filter(post=old).delete()  # its images have landed
    queue_anim(old, after=JobPriority.NEW, moving=True)
    flooder = users.create_user("flood")
    flood = [publish(flooder, f"flood {n}") for n in range(120)]  # past the fair lane's last step

    order = claim_all()

    assert len(order) == 2 * len(flood) + 1
    assert all(job.kind != ImageKind.ANIM for job in order[:-1])
    assert (order[-1].post_id, order[-1].kind, order[-1].priority) == (old.pk, ImageKind.ANIM, JobPriority.ANIM)
    assert JobPriority.NEW + jobs.FAIR_SHARE_STEPS < JobPriority.RETRY < JobPriority.ANIM < JobPriority.BACKFILL


@pytest.mark.django_db
def test_a_backfilled_thumbnails_animation_stays_in_the_backfill_lane():
    post = publish(None, "p")
    queue_anim(post, after=JobPriority.BACKFILL, moving=True)
    assert PostImageJob.objects.get(post=post, kind=ImageKind.ANIM).priority == JobPriority.BACKFILL


@pytest.mark.django_db
def test_no_animation_job_for_a_post_known_still_or_an_svg():
    still = publish(None, "still")
    Post.objects.filter(pk=still.pk).update(moves=False)
    svg = services.post_create(
        author=None,
        title="svg",
        render_model="svg",
        code='<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><rect width="9" height="9"/></svg>',
    )

    queue_anim(Post.objects.get(pk=still.pk), after=JobPriority.NEW, moving=True)
    queue_anim(svg, after=JobPriority.NEW, moving=True)

    assert not PostImageJob.objects.filter(kind=ImageKind.ANIM).exists()
    assert Post.objects.get(pk=svg.pk).moves is False


@pytest.mark.django_db
def test_no_animation_job_for_a_post_that_did_not_keep_itself_moving():
    drawn_once = publish(None, "drawn once")
    queue_anim(drawn_once, after=JobPriority.NEW, moving=False)
    assert not PostImageJob.objects.filter(kind=ImageKind.ANIM).exists()
    assert Post.objects.get(pk=drawn_once.pk).moves is False


@pytest.mark.django_db
def test_an_edit_to_what_is_rendered_makes_moving_unknown_again():
    post = publish(None, "p")
    Post.objects.filter(pk=post.pk).update(moves=False)
    post.refresh_from_db()

    services.post_update(post, title="only the title")
    assert Post.objects.get(pk=post.pk).moves is False
    services.post_update(post, anim_start=2.0)
    assert Post.objects.get(pk=post.pk).moves is None


@pytest.mark.django_db
def test_backfill_of_animations_skips_still_posts_and_svgs():
    moving, unknown, still = (publish(None, title) for title in ("moving", "unknown", "still"))
    Post.objects.filter(pk=moving.pk).update(moves=True)
    Post.objects.filter(pk=still.pk).update(moves=False)
    services.post_create(author=None, title="svg", render_model="svg", code='<svg xmlns="http://www.w3.org/2000/svg"/>')
    out = io.StringIO()

    call_command("capture_backfill", "--kind", "anim", "--verbosity", "0", stdout=out)

    assert "anim: 2 missing, 2 queued" in out.getvalue()
    queued = PostImageJob.objects.filter(kind=ImageKind.ANIM)
    assert set(queued.values_list("post_id", flat=True)) == {moving.pk, unknown.pk}
    assert set(queued.values_list("priority", flat=True)) == {JobPriority.BACKFILL}


BAD_LOOPS = [
    ({"anim_start": -1}, "anim_start"),
    ({"anim_start": 31}, "anim_start"),
    ({"anim_duration": 0.1}, "anim_duration"),
    ({"anim_duration": 11}, "anim_duration"),
    ({"anim_duration": "soon"}, "anim_duration"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_LOOPS)
def test_the_api_refuses_a_loop_out_of_range_and_saves_nothing(author_api, fields, field):
    body = {"title": "loop", "render_model": "canvas", "code": MOVING, **fields}
    response = author_api.post("/api/posts", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Post.objects.exists()


@pytest.mark.parametrize(("fields", "field"), BAD_LOOPS)
def test_the_form_refuses_a_loop_out_of_range_and_keeps_what_was_typed(client, user, fields, field):
    client.force_login(user)
    body = {"title": "loop", "render_model": "canvas", "code": MOVING, "capture_time": "", **fields}
    response = client.post("/posts/new", body)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "loop" in response.content.decode()
    assert not Post.objects.exists()


def test_a_loop_is_kept_and_a_blank_one_means_the_defaults(author_api, client, user):
    response = author_api.post(
        "/api/posts",
        {"title": "t", "render_model": "canvas", "code": MOVING, "anim_start": 2, "anim_duration": 4.5},
        format="json",
    )
    assert (response.json()["anim_start"], response.json()["anim_duration"]) == (2, 4.5)
    client.force_login(user)
    client.post(
        "/posts/new", {"title": "f", "render_model": "canvas", "code": MOVING, "anim_start": "", "anim_duration": ""}
    )
    post = Post.objects.get(title="f")
    assert (post.anim_start, post.anim_duration, post.moves) == (0, None, None)


@pytest.mark.django_db
def test_the_admin_shows_the_animation_with_its_frames_and_length(admin_client):
    post = publish(None, "moving")
    frames = [Image.new("RGB", (64, 48), (40 * i, 0, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = save_image(post=post, kind="anim", prepared=(image_fields(out.getvalue()), []), frames=3, duration_ms=300)

    page = admin_client.get(f"/admin/posts/post/{post.pk}/change/").content.decode()
    assert image.url.replace("&", "&amp;") in page
    detail = admin_client.get(f"/admin/posts/postimage/{image.pk}/change/").content.decode()
    assert "image/webp" in detail
    assert "300" in detail

"""What one poster may cost: posts waiting for images, stored image bytes, and their place in the queue."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from posts import jobs, services
from posts.images.storage import image_fields
from posts.models import JobPriority, JobStatus, Post, PostImage, PostImageJob
from posts.tests.conftest import CIRCLE_SVG, png_bytes

DRAFT = {"title": "Red circle", "render_model": "svg", "code": CIRCLE_SVG, "description": "Kept word for word."}


def publish(user, title):
    return services.post_create(author=user, title=title, render_model="svg", code=CIRCLE_SVG)


@pytest.fixture
def author_client(client, user):
    client.force_login(user)
    return client


def test_the_api_refuses_a_post_while_too_many_of_the_authors_wait_for_images(author_api, user, settings):
    settings.CAPTURE_MAX_PENDING_PER_USER = 3
    for n in range(3):
        publish(user, f"waiting {n}")

    response = author_api.post("/api/posts", DRAFT, format="json")

    assert response.status_code == 429
    assert response.json()["detail"].startswith("3 of your posts are still waiting for their images")
    assert Post.objects.count() == 3
    # Once one is captured (or failed), there is room again.
    PostImageJob.objects.filter(post=Post.objects.first()).update(status=JobStatus.SUCCESS)
    assert author_api.post("/api/posts", DRAFT, format="json").status_code == 201


def test_recapture_and_a_code_edit_count_against_the_same_limit(author_api, user, settings):
    settings.CAPTURE_MAX_PENDING_PER_USER = 1
    done = publish(user, "captured")
    PostImageJob.objects.filter(post=done).update(status=JobStatus.SUCCESS)
    publish(user, "waiting")

    assert author_api.post(f"/api/posts/{done.pk}/recapture").status_code == 429
    assert (
        author_api.patch(f"/api/posts/{done.pk}", {"code": CIRCLE_SVG.replace("e33", "3e3")}, format="json").status_code
        == 429
    )
    assert (
        author_api.patch(f"/api/posts/{done.pk}", {"title": "A new title"}, format="json").status_code == 200
    )  # queues nothing
    assert set(PostImageJob.objects.filter(post=done).values_list("status", flat=True)) == {JobStatus.SUCCESS}


def test_the_form_refuses_with_the_reason_and_keeps_everything_typed(author_client, user, settings):
    settings.CAPTURE_MAX_PENDING_PER_USER = 1
    publish(user, "waiting")

    response = author_client.post("/posts/new", DRAFT)

    assert response.status_code == 429
    (message,) = response.context["form"].non_field_errors()
    assert "still waiting for their images" in message
    assert {name: response.context["form"][name].value() for name in DRAFT} == DRAFT
    assert Post.objects.count() == 1


def test_an_author_whose_images_fill_their_quota_is_refused_until_they_delete_some(author_api, user, settings):
    post = publish(user, "big")
    PostImageJob.objects.filter(post=post).update(status=JobStatus.SUCCESS)
    image = PostImage.objects.create(post=post, kind="thumb", **image_fields(png_bytes((400, 300))))
    settings.IMAGE_QUOTA_BYTES_PER_USER = image.bytes

    response = author_api.post("/api/posts", DRAFT, format="json")

    assert response.status_code == 400
    assert "delete posts you no longer need" in response.json()["detail"]
    assert author_api.delete(f"/api/posts/{post.pk}").status_code == 204
    assert author_api.post("/api/posts", DRAFT, format="json").status_code == 201


def test_the_form_refuses_over_the_quota_and_keeps_everything_typed(author_client, user, settings):
    post = publish(user, "big")
    image = PostImage.objects.create(post=post, kind="thumb", **image_fields(png_bytes()))
    settings.IMAGE_QUOTA_BYTES_PER_USER = image.bytes

    response = author_client.post("/posts/new", DRAFT)

    assert response.status_code == 400
    assert "delete posts you no longer need" in response.context["form"].non_field_errors()[0]
    assert response.context["form"]["code"].value() == CIRCLE_SVG


def test_staff_are_not_limited(user, settings):
    settings.CAPTURE_MAX_PENDING_PER_USER = 1
    user.is_staff = True
    user.save()
    publish(user, "waiting")
    services.check_posting_allowed(user)  # does not raise


def claim_order(limit):
    taken = []
    while len(taken) < limit and (claimed := jobs.claim_due_jobs(worker_id="w", limit=1)):
        taken.append(claimed[0])
    return taken


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)  # ANALYZE TABLE commits
def test_one_posters_flood_does_not_delay_another_posters_new_post():
    users = get_user_model().objects
    flooder, other = users.create_user("flood"), users.create_user("other")
    flood = [publish(flooder, f"flood {n}") for n in range(200)]
    newcomer = publish(other, "my one post")

    first = claim_order(6)

    # The flood's first post, then the newcomer's, then the flood takes turns with nobody.
    assert [job.post_id for job in first[:4]] == [flood[0].pk, flood[0].pk, newcomer.pk, newcomer.pk]
    assert {job.priority for job in PostImageJob.objects.filter(post=newcomer)} == {JobPriority.NEW}
    assert PostImageJob.objects.filter(post=flood[150]).first().priority == JobPriority.NEW + jobs.FAIR_SHARE_STEPS
    assert PostImageJob.objects.filter(post=flood[150]).first().priority < JobPriority.RETRY
    # The same claim query, still served by the claim index in order.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE post_image_job")
        cursor.fetchall()
    claim = PostImageJob.objects.due(timezone.now()).select_for_update(skip_locked=True).values_list("id")[:1]
    with transaction.atomic():
        plan = claim.explain()
    assert "post_image_job_claim_idx" in plan
    assert "filesort" not in plan.lower()


@pytest.mark.django_db
def test_a_posters_later_posts_take_their_turn_behind_others_first_ones():
    users = get_user_model().objects
    ada, bob = users.create_user("ada"), users.create_user("bob")
    ada_posts = [publish(ada, f"ada {n}") for n in range(3)]
    bob_post = publish(bob, "bob 0")

    order = [job.post_id for job in claim_order(8)[::2]]

    assert order == [ada_posts[0].pk, bob_post.pk, ada_posts[1].pk, ada_posts[2].pk]


def test_the_api_client_is_told_to_wait_not_that_its_post_is_bad(user, token, settings):
    settings.CAPTURE_MAX_PENDING_PER_USER = 1
    publish(user, "waiting")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post("/api/posts", DRAFT, format="json")

    assert response.status_code == 429
    assert response["Cache-Control"] == "no-store"


def test_the_edit_page_refuses_a_code_change_over_the_limit_and_keeps_the_edit(author_client, user, settings):
    settings.CAPTURE_MAX_PENDING_PER_USER = 1
    done = publish(user, "captured")
    PostImageJob.objects.filter(post=done).update(status=JobStatus.SUCCESS)
    publish(user, "waiting")
    edit = {"title": "captured", "description": "", "code": CIRCLE_SVG.replace("e33", "3e3"), "capture_time": "0.8"}

    response = author_client.post(f"/posts/{done.pk}/edit", edit)

    assert response.status_code == 429
    assert "still waiting for their images" in response.context["form"].non_field_errors()[0]
    assert response.context["form"]["code"].value() == edit["code"]
    assert Post.objects.get(pk=done.pk).code == CIRCLE_SVG
    # A change that captures nothing again is not limited.
    assert author_client.post(f"/posts/{done.pk}/edit", {**edit, "code": CIRCLE_SVG, "title": "New"}).status_code == 302

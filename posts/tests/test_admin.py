import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from posts import jobs
from posts.models import JobPriority, Post, PostImageJob
from posts.tests.conftest import selects_image_data


@pytest.fixture
def failed_jobs(post):
    claimed = []
    for job in jobs.enqueue_for_post(post):
        (job,) = jobs.claim_due_jobs(worker_id="w", limit=1)
        jobs.mark_failed(job, worker_id="w", error="TypeError: x is undefined", transient=False)
        claimed.append(job)
    return claimed


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?render_model__exact=svg",
        "?render_model__exact=shader",
        "?q=circle",
        "?q=ada",
        "?q=nothing-like-it",
        "?created_at__year={year}",
        "?o=1",
    ],
)
def test_post_changelist_renders_with_filters_and_search(admin_client, post, thumb, query):
    response = admin_client.get(f"/admin/posts/post/{query.format(year=post.created_at.year)}")
    assert response.status_code == 200


def test_post_changelist_shows_the_thumbnail_without_loading_image_data(admin_client, post, thumb):
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/posts/post/")
    assert escape(thumb.url) in response.content.decode()
    assert not selects_image_data(captured.captured_queries)


def test_post_search_by_id_finds_exactly_that_post(admin_client, post):
    other = Post.objects.create(title="Other", render_model="canvas", code="x")
    response = admin_client.get(f"/admin/posts/post/?q={post.pk}")
    assert list(response.context["cl"].result_list) == [post]
    assert other not in response.context["cl"].result_list


def test_post_change_page_shows_images_and_jobs_inline_without_image_data(admin_client, post, thumb, og):
    jobs.enqueue_for_post(post)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(thumb.url) in html and escape(og.url) in html
    assert html.count("pending") >= 2
    assert not selects_image_data(captured.captured_queries)


@pytest.mark.parametrize("query", ["", "?kind__exact=thumb", "?is_flat__exact=1", "?q=circle", "?q=not-an-id"])
def test_image_changelist_renders_with_filters_and_search(admin_client, post, thumb, og, query):
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(f"/admin/posts/postimage/{query}")
    assert response.status_code == 200
    assert not selects_image_data(captured.captured_queries)


def test_image_search_by_post_id(admin_client, post, thumb, og):
    response = admin_client.get(f"/admin/posts/postimage/?q={post.pk}")
    assert {image.kind for image in response.context["cl"].result_list} == {"thumb", "og"}


def test_image_change_page_shows_a_preview_without_the_data_field(admin_client, post, thumb):
    response = admin_client.get(reverse("admin:posts_postimage_change", args=[thumb.pk]))
    assert response.status_code == 200
    assert escape(thumb.url) in response.content.decode()
    assert 'name="data"' not in response.content.decode()


@pytest.mark.parametrize(
    "query", ["", "?status__exact=failed", "?status__exact=pending&kind__exact=og", "?q=circle", "?q=not-an-id"]
)
def test_job_changelist_renders_with_filters_and_search(admin_client, failed_jobs, query):
    response = admin_client.get(f"/admin/posts/postimagejob/{query}")
    assert response.status_code == 200


def test_job_changelist_shows_last_error_and_finds_jobs_by_post_id(admin_client, post, failed_jobs):
    other = Post.objects.create(title="Other", render_model="canvas", code="x")
    jobs.enqueue_for_post(other)
    response = admin_client.get(f"/admin/posts/postimagejob/?q={post.pk}")
    assert set(response.context["cl"].result_list) == set(failed_jobs)
    assert "TypeError: x is undefined" in response.content.decode()


def test_retry_action_sends_failed_jobs_back_to_pending_through_the_job_module(admin_client, failed_jobs, monkeypatch):
    calls = []
    real_retry = jobs.retry
    monkeypatch.setattr(jobs, "retry", lambda selected: calls.append(list(selected)) or real_retry(selected))
    response = admin_client.post(
        "/admin/posts/postimagejob/",
        {"action": "retry_selected", "_selected_action": [job.pk for job in failed_jobs]},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 jobs sent back to pending." in response.content.decode()
    assert len(calls) == 1 and set(calls[0]) == set(failed_jobs)
    for job in PostImageJob.objects.all():
        assert (job.status, job.attempts, job.last_error) == ("pending", 0, None)


def test_recapture_action_queues_both_images_again(admin_client, post, failed_jobs):
    admin_client.post("/admin/posts/post/", {"action": "recapture", "_selected_action": [post.pk]})
    assert set(post.jobs.values_list("kind", "status", "attempts")) == {("thumb", "pending", 0), ("og", "pending", 0)}


def test_a_bulk_recapture_waits_behind_new_posts(admin_client, user):
    posts = [Post.objects.create(author=user, title=f"p{n}", render_model="svg", code="<svg/>") for n in range(25)]
    admin_client.post("/admin/posts/post/", {"action": "recapture", "_selected_action": [p.pk for p in posts]})
    assert set(PostImageJob.objects.values_list("priority", flat=True)) == {JobPriority.BACKFILL}
    admin_client.post("/admin/posts/post/", {"action": "recapture", "_selected_action": [posts[0].pk]})
    assert set(posts[0].jobs.values_list("priority", flat=True)) == {JobPriority.NEW}


def test_jobs_and_images_cannot_be_added_by_hand(admin_client, db):
    assert admin_client.get("/admin/posts/postimagejob/add/").status_code == 403
    assert admin_client.get("/admin/posts/postimage/add/").status_code == 403


def test_an_image_shows_its_provenance_and_images_filter_by_harness_version(admin_client, post, thumb):
    thumb.__class__.objects.filter(pk=thumb.pk).update(
        chromium_version="156.0.8078.114",
        webgl_renderer="ANGLE (SwiftShader)",
        harness_version="8afbb7b7e960722e",
        capture_size="640x480",
        capture_time=0.8,
        capture_ms=231,
    )

    page = admin_client.get(reverse("admin:posts_postimage_change", args=[thumb.pk])).content.decode()
    listed = admin_client.get(reverse("admin:posts_postimage_changelist") + "?harness_version=8afbb7b7e960722e")

    for value in ["156.0.8078.114", "ANGLE (SwiftShader)", "8afbb7b7e960722e", "640x480", "0.8", "231"]:
        assert value in page
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1

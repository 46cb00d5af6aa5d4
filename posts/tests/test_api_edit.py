"""Editing, deleting and recapturing a post through the API: who may, and what each does to the jobs."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from posts import jobs
from posts.images.storage import save_image
from posts.models import JobStatus, Post, PostImage, PostImageJob
from posts.tests.conftest import CIRCLE_SVG, png_bytes

SQUARE_SVG = CIRCLE_SVG.replace('<circle cx="50" cy="50" r="40"', '<rect width="80" height="80"')


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def stranger(db):
    return client_for(get_user_model().objects.create_user("eve"))


@pytest.fixture
def staff(db):
    return client_for(get_user_model().objects.create_user("root", is_staff=True))


@pytest.fixture
def published(author_api):
    body = {"title": "Red circle", "render_model": "svg", "code": CIRCLE_SVG}
    return Post.objects.get(pk=author_api.post("/api/posts", body, format="json").json()["id"])


def captured(post):
    """The worker's part: claim both jobs and store an image for each."""
    for job in jobs.claim_due_jobs(worker_id="w", limit=10):
        jobs.mark_success(job, worker_id="w")
        save_image(post=job.post, kind=job.kind, data=png_bytes(color=(len(job.post.code) % 255, 0, 0)))


def listed_thumb(client):
    return client.get("/api/posts").json()["results"][0]["thumb_url"]


def test_the_author_edits_the_title_without_a_recapture(author_api, published):
    captured(published)
    response = author_api.patch(f"/api/posts/{published.pk}", {"title": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert set(PostImageJob.objects.values_list("status", flat=True)) == {JobStatus.SUCCESS}


def test_editing_the_code_recaptures_and_moves_the_thumb_only_once_the_new_image_is_stored(author_api, published):
    captured(published)
    old_thumb = listed_thumb(author_api)

    response = author_api.patch(f"/api/posts/{published.pk}", {"code": SQUARE_SVG}, format="json")

    assert response.status_code == 200
    assert [job["status"] for job in response.json()["jobs"]] == ["pending", "pending"]
    assert listed_thumb(author_api) == old_thumb  # the old image until the new one lands
    assert author_api.get(old_thumb).status_code == 200
    captured(Post.objects.get(pk=published.pk))
    new_thumb = listed_thumb(author_api)
    assert new_thumb != old_thumb and "&v=" in new_thumb


@pytest.mark.parametrize(
    "change",
    [{"code": "<svg><g></svg>"}, {"code": "  "}, {"title": ""}, {"capture_time": 31}, {"capture_time": None}],
)
def test_an_edit_is_checked_like_a_new_post_and_changes_nothing_when_refused(author_api, published, change):
    response = author_api.patch(f"/api/posts/{published.pk}", change, format="json")
    assert response.status_code == 400
    assert list(response.json()) == list(change)
    unchanged = Post.objects.get(pk=published.pk)
    assert (unchanged.title, unchanged.code, unchanged.capture_time) == ("Red circle", CIRCLE_SVG, 0.8)


def test_the_render_model_cannot_be_changed_and_put_is_not_offered(author_api, published):
    response = author_api.patch(f"/api/posts/{published.pk}", {"render_model": "canvas", "title": "x"}, format="json")
    assert response.status_code == 400
    assert "cannot change" in response.json()["render_model"][0]
    assert Post.objects.values_list("render_model", "title").get(pk=published.pk) == ("svg", "Red circle")
    assert author_api.put(f"/api/posts/{published.pk}", {"title": "x"}, format="json").status_code == 405


def test_only_the_author_and_staff_may_edit_or_delete(client_api, stranger, staff, published):
    url = f"/api/posts/{published.pk}"
    assert client_api.patch(url, {"title": "x"}, format="json").status_code == 401
    assert stranger.patch(url, {"title": "x"}, format="json").status_code == 403
    assert stranger.delete(url).status_code == 403
    assert staff.patch(url, {"title": "Fixed by staff"}, format="json").status_code == 200
    assert staff.delete(url).status_code == 204
    assert not Post.objects.exists()


def test_deleting_a_post_takes_its_images_and_jobs_with_it(author_api, published):
    captured(published)
    assert author_api.delete(f"/api/posts/{published.pk}").status_code == 204
    assert author_api.get(f"/api/posts/{published.pk}").status_code == 404
    assert not PostImage.objects.exists() and not PostImageJob.objects.exists()


def test_recapture_answers_202_with_both_jobs_pending(author_api, published):
    captured(published)
    response = author_api.post(f"/api/posts/{published.pk}/recapture")
    assert response.status_code == 202
    assert sorted((job["kind"], job["status"], job["attempts"]) for job in response.json()) == [
        ("og", "pending", 0),
        ("thumb", "pending", 0),
    ]


def test_recapture_is_for_the_author_and_staff(client_api, stranger, staff, published):
    url = f"/api/posts/{published.pk}/recapture"
    assert client_api.post(url).status_code == 401
    assert stranger.post(url).status_code == 403
    assert staff.post(url).status_code == 202
    assert stranger.post("/api/posts/00000000-0000-4000-8000-000000000000/recapture").status_code == 404


def test_the_seeds_internal_route_is_for_staff_and_service_accounts(author_api, staff, published):
    url = f"/api/internal/recapture?postId={published.pk}"
    assert author_api.post(url).status_code == 403  # the author uses the post's own route
    assert staff.post(url).status_code == 202
    service = get_user_model().objects.create_user("capture-bot")
    service.user_permissions.add(Permission.objects.get(codename="recapture_post"))
    assert client_for(service).post(url).status_code == 202
    for query in ("", "?postId=", "?postId=abc"):
        response = staff.post(f"/api/internal/recapture{query}")
        assert (response.status_code, list(response.json())) == (400, ["postId"])
    assert staff.post("/api/internal/recapture?postId=00000000-0000-4000-8000-000000000000").status_code == 404
    assert author_api.post("/api/internal/recapture").status_code == 403  # before its postId is read


def test_recaptures_are_throttled_per_user_in_a_count_every_process_shares(author_api, published, settings):
    settings.RECAPTURE_THROTTLE_RATE = "2/hour"
    url = f"/api/posts/{published.pk}/recapture"
    assert [author_api.post(url).status_code for _ in range(3)] == [202, 202, 429]
    assert int(author_api.post(url)["Retry-After"]) > 0
    with connection.cursor() as cursor:  # counted in the shared database cache, not in this process
        cursor.execute("SELECT COUNT(*) FROM shared_cache WHERE cache_key LIKE %s", ["%throttle_recapture_%"])
        assert cursor.fetchone()[0] == 1


@pytest.mark.mysql  # real row locks; SQLite's in-memory test database refuses concurrent writers
def test_fifty_concurrent_recaptures_leave_one_pending_job_per_image(live_server, transactional_db, settings):
    settings.RECAPTURE_THROTTLE_RATE = "1000/hour"
    author = get_user_model().objects.create_user("ada")
    token = Token.objects.create(user=author).key
    post = Post.objects.create(author=author, title="t", render_model="svg", code=CIRCLE_SVG)
    statuses = []

    def recapture():
        import urllib.request

        request = urllib.request.Request(
            f"{live_server.url}/api/posts/{post.pk}/recapture",
            method="POST",
            headers={"Authorization": f"Token {token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            statuses.append(response.status)

    threads = [threading.Thread(target=recapture) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [202] * 50
    assert sorted(PostImageJob.objects.filter(post=post).values_list("kind", "status")) == [
        ("og", "pending"),
        ("thumb", "pending"),
    ]

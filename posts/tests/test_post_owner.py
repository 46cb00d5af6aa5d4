"""What the author (and staff) see on a post page and nobody else does: the capture jobs and the edit form."""

import pytest
from django.contrib.auth import get_user_model

from posts import jobs, services
from posts.images.storage import save_image
from posts.models import JobPriority, JobStatus, Post, PostImageJob
from posts.tests.conftest import CIRCLE_SVG, png_bytes
from posts.tests.test_pages import Elements

SQUARE_SVG = CIRCLE_SVG.replace('<circle cx="50" cy="50" r="40"', '<rect width="80" height="80"')


@pytest.fixture
def published(user):
    post = services.post_create(author=user, title="Red circle", render_model="svg", code=CIRCLE_SVG)
    (job, _) = jobs.claim_due_jobs(worker_id="w", limit=2)
    jobs.mark_failed(job, worker_id="w", error="SECRET-ERROR-TEXT", transient=False)
    return post


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user("eve")


def test_the_public_post_page_shows_the_post_but_no_job_table(client, published, stranger):
    for visitor in [None, stranger]:
        if visitor:
            client.force_login(visitor)
        html = client.get(published.get_absolute_url()).content.decode()
        assert "Red circle" in html and "<iframe" in html
        assert "capture-table" not in html and "SECRET-ERROR-TEXT" not in html and "Attempts" not in html
        assert "capture-status.js" not in html and f"/posts/{published.pk}/edit" not in html


def test_the_author_and_staff_see_the_jobs_the_poller_and_the_edit_link(client, published, user):
    staff = get_user_model().objects.create_user("op", is_staff=True)
    for viewer in [user, staff]:
        client.force_login(viewer)
        html = client.get(published.get_absolute_url()).content.decode()
        elements = Elements(html)
        assert "SECRET-ERROR-TEXT" in html
        (section,) = elements.all("section", id="post-capture")
        assert section["data-api-url"] == f"/api/posts/{published.pk}"
        assert elements.all("script", src="/static/site/capture-status.js")
        assert elements.all("a", id="edit-post", href=f"/posts/{published.pk}/edit")


def test_only_the_author_and_staff_may_open_the_edit_form(client, published, stranger):
    url = f"/posts/{published.pk}/edit"
    assert client.get(url).status_code == 302  # to log in
    client.force_login(stranger)
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "Mine now", "code": CIRCLE_SVG, "capture_time": "1"}).status_code == 403
    assert Post.objects.get().title == "Red circle"
    client.force_login(get_user_model().objects.create_user("op", is_staff=True))
    assert client.get(url).status_code == 200


def test_the_edit_form_is_the_upload_form_with_its_render_model_fixed(client, published, user):
    client.force_login(user)
    page = Elements(client.get(f"/posts/{published.pk}/edit").content.decode())
    (form_tag,) = page.all("form", id="post-form", action=f"/posts/{published.pk}/edit")
    assert "data-text-confirm" in form_tag and "data-draft-key" not in form_tag  # asks before saving broken code
    assert page.all("input", type="hidden", name="render_model", value="svg")
    assert not page.all("select", name="render_model")
    # A preview that fails says so, as on the upload form.
    (stage,) = page.all("div", **{"class": "preview-stage"})
    assert stage["data-text-failed"]
    assert [a["href"] for a in page.all("a", **{"class": "button"})] == [published.get_absolute_url()]
    assert client.get("/posts/00000000-0000-0000-0000-000000000000/edit").status_code == 404


def form(post, **changes):
    return {
        "title": post.title,
        "description": post.description,
        "capture_time": post.capture_time,
        "code": post.code,
        "html": post.html,
        **changes,
    }


def test_editing_the_title_saves_it_without_a_recapture(client, published, user):
    client.force_login(user)
    before = set(PostImageJob.objects.values_list("status", flat=True))

    response = client.post(f"/posts/{published.pk}/edit", form(published, title="Renamed"))

    assert response.status_code == 302 and response["Location"] == published.get_absolute_url()
    assert Post.objects.get().title == "Renamed"
    assert set(PostImageJob.objects.values_list("status", flat=True)) == before


def test_editing_the_code_queues_a_recapture_and_keeps_the_old_image_until_then(client, published, user):
    save_image(post=published, kind="thumb", data=png_bytes())
    client.force_login(user)

    response = client.post(f"/posts/{published.pk}/edit", form(published, code=SQUARE_SVG), follow=True)

    assert "captured again" in response.content.decode()
    assert Post.objects.get().code == SQUARE_SVG
    assert set(PostImageJob.objects.values_list("status", "priority", "attempts")) == {
        (JobStatus.PENDING, JobPriority.NEW, 0)
    }
    assert published.images.filter(kind="thumb").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "<svg><g></svg>"}, "code"),
        ({"title": ""}, "title"),
        ({"capture_time": "31"}, "capture_time"),
        ({"html": "<p>only sketches</p>"}, "html"),
    ],
)
def test_a_bad_edit_is_refused_next_to_its_field_and_changes_nothing(client, published, user, changes, field):
    client.force_login(user)

    response = client.post(f"/posts/{published.pk}/edit", form(published, **changes))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    saved = Post.objects.get()
    assert (saved.title, saved.code, saved.capture_time, saved.html) == ("Red circle", CIRCLE_SVG, 0.8, "")
    assert PostImageJob.objects.filter(status=JobStatus.FAILED).count() == 1


def test_the_authors_page_and_edit_form_speak_korean(client, published, user):
    client.force_login(user)
    html = client.get(published.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "편집" in html and 'data-status-pending="대기 중"' in html
    assert "썸네일을 캡처하지 못했습니다. 이유는 아래 작업에 있습니다." in html  # its thumbnail job failed
    assert 'data-text-held-title="캡처에 실패했습니다."' in html
    edit = client.get(f"/posts/{published.pk}/edit", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "“Red circle” 편집" in edit and "저장" in edit


def test_the_authors_capture_table_names_each_images_format_and_a_failed_thumbnail(client, published, user):
    import io

    from PIL import Image

    from posts.images.storage import image_fields

    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)
    save_image(post=published, kind="anim", prepared=(image_fields(buffer.getvalue()), []))
    save_image(post=published, kind="og", data=png_bytes())
    client.force_login(user)

    html = client.get(published.get_absolute_url()).content.decode()

    assert html.count("64×48 WebP,") == 1 and html.count("64×48 PNG,") == 1  # the animation, the OG card
    assert "The thumbnail could not be captured: the job below says why." in html  # its job failed

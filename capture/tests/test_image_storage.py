"""Each image backend end to end: captured by the worker, stored, listed, served, recaptured, the old object swept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from capture.tests.conftest import close_to, decode, make_post
from posts import services
from posts.images import storage, variants
from posts.models import PostImage, PostImageVariant, RetiredImageObject
from posts.tests.conftest import image_backend, image_storages, s3_endpoint  # noqa: F401 (fixtures)
from posts.tests.test_storage import BROWSER_ACCEPT, exists, fetch

pytestmark = pytest.mark.browser
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="4" height="3" fill="#{}"/></svg>'


def test_a_post_goes_through_each_backend_end_to_end(run_queue, image_backend, client):  # noqa: F811
    post = make_post("svg", SVG.format("d02030"))
    run_queue()
    thumb = PostImage.objects.get(post=post, kind="thumb")
    assert thumb.storage == image_backend
    assert (thumb.width, thumb.height) == (640, 480)
    assert close_to(decode(storage.read_bytes(thumb)).getpixel((320, 240)), (0xD0, 0x20, 0x30))
    two_x = PostImageVariant.objects.get(post=post, kind="thumb", mime="image/png", scale=2)
    assert (two_x.width, two_x.height) == (1280, 960)

    listed = client.get("/api/posts").json()["results"][0]["thumb_url"]
    assert listed == thumb.url
    status, body, headers = fetch(client, listed)
    assert (status, body) == (200, storage.read_bytes(thumb))
    assert "immutable" in headers["Cache-Control"]
    endpoint = client.get(f"/api/posts/{post.pk}/image?kind=thumb&v={thumb.version}", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert endpoint.status_code == (200 if image_backend == "db" else 302)
    assert endpoint["Cache-Control"] == "public, max-age=86400, immutable"

    services.post_update(post, code=SVG.format("2040d0"))
    run_queue()
    new = PostImage.objects.get(post=post, kind="thumb")
    assert new.sha256 != thumb.sha256
    assert close_to(decode(storage.read_bytes(new)).getpixel((320, 240)), (0x20, 0x40, 0xD0))
    assert client.get("/api/posts").json()["results"][0]["thumb_url"] == new.url
    if image_backend == "db":
        assert not RetiredImageObject.objects.exists()
        return
    assert exists(image_backend, thumb.object_name)  # pages cached with the old URL still work
    storage.sweep_retired(now=timezone.now() + timedelta(hours=49))
    assert not exists(image_backend, thumb.object_name)
    assert exists(image_backend, new.object_name)
    assert fetch(client, new.url)[0] == 200


def test_the_png_lands_first_and_stays_when_its_variants_fail(run_queue, monkeypatch, caplog, settings):
    settings.IMAGE_STORAGE = "db"

    def encoder_crash(*args, **kwargs):
        raise RuntimeError("the encoder crashed")

    monkeypatch.setattr(variants, "derive", encoder_crash)
    post = make_post("svg", SVG.format("d02030"))
    run_queue()
    assert set(post.jobs.values_list("status", flat=True)) == {"success"}
    assert PostImage.objects.filter(post=post, kind="thumb").exists()
    assert not PostImageVariant.objects.filter(post=post).exists()  # pages fall back to the PNG
    assert "could not add the variants" in caplog.text

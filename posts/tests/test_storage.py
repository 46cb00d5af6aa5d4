import hashlib
import io
import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from posts import services
from posts.images import storage
from posts.images.storage import object_storage, save_image, sweep_retired
from posts.models import Post, PostImage, PostImageVariant, RetiredImageObject
from posts.tests.conftest import CIRCLE_SVG, gradient_png, png_bytes

BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def noise_png(seed, size=(64, 48)):
    image = Image.frombytes("RGB", size, hashlib.shake_256(str(seed).encode()).digest(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def fetch(client, url, **headers):
    """GET an image URL: through the test client when it is this site's, over HTTP when it is the bucket's."""
    if url.startswith("http"):
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.read(), response.headers
    response = client.get(url, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    return response.status_code, b"".join(response) if response.streaming else response.content, response


def exists(backend, name):
    return object_storage(backend).exists(name)


def test_a_capture_is_stored_where_image_storage_says_with_its_variants(post, image_backend):
    data = gradient_png()
    image = save_image(post=post, kind="thumb", data=data)
    assert image.storage == image_backend
    variants = PostImageVariant.objects.filter(post=post, kind="thumb")
    assert {v.mime for v in variants} == {"image/webp", "image/avif"}
    for row in [image, *variants]:
        assert row.storage == image_backend
        stored = storage.read_bytes(row)
        assert hashlib.sha256(stored).hexdigest() == row.sha256
        if image_backend == "db":
            assert type(row).objects.get(pk=row.pk).data is not None
        else:
            assert type(row).objects.get(pk=row.pk).data is None
            assert exists(image_backend, f"{row.sha256}.{row.mime.split('/')[1]}")
    assert storage.read_bytes(image) == data


def test_the_listing_and_the_endpoint_lead_to_the_same_bytes(client, post, image_backend):
    data = noise_png(2)
    image = save_image(post=post, kind="thumb", data=data)
    thumb_url = client.get("/api/posts").json()["results"][0]["thumb_url"]
    if image_backend == "db":
        assert thumb_url.startswith(f"/api/posts/{post.pk}/image?")
    else:
        assert thumb_url.endswith(f"{image.sha256}.png")
    status, body, headers = fetch(client, thumb_url)
    assert (status, body) == (200, data)
    assert "immutable" in headers["Cache-Control"]

    endpoint = client.get(f"/api/posts/{post.pk}/image?kind=thumb&v={image.version}")
    assert endpoint["ETag"] == f'"{image.sha256}"'
    assert endpoint["Cache-Control"] == "public, max-age=86400, immutable"
    assert "Accept" in endpoint["Vary"]
    if image_backend == "db":
        assert endpoint.status_code == 200
    else:
        assert endpoint.status_code == 302
        assert endpoint["Location"] == thumb_url
    assert (
        client.get(f"/api/posts/{post.pk}/image?kind=thumb", HTTP_IF_NONE_MATCH=f'"{image.sha256}"').status_code == 304
    )


def test_objects_carry_immutable_cache_headers(client, post, image_storages):
    for backend in ("files", "s3"):
        image_storages.IMAGE_STORAGE = backend
        image = save_image(post=post, kind="thumb", data=noise_png(backend))
        status, body, headers = fetch(client, image.url)
        assert status == 200
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["Content-Type"] == "image/png"


def test_the_files_backend_answers_revalidation_and_refuses_other_names(client, post, image_storages):
    image_storages.IMAGE_STORAGE = "files"
    image = save_image(post=post, kind="thumb", data=noise_png(3))
    not_modified = client.get(image.url, HTTP_IF_NONE_MATCH=f'"{image.sha256}"', HTTP_ACCEPT_LANGUAGE="ko")
    assert not_modified.status_code == 304
    assert not_modified["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Language" not in not_modified.get("Vary", "")
    for name in ["../db.sqlite3", "%2e%2e%2fdb.sqlite3", "0" * 64 + ".png", image.sha256 + ".exe", "x.png"]:
        assert client.get(f"/images/{name}").status_code == 404
    assert client.post(image.url).status_code == 405


def test_an_object_is_written_once_and_shared_by_identical_captures(post, user, image_storages):
    image_storages.IMAGE_STORAGE = "files"
    other = Post.objects.create(author=user, title="Same", render_model="svg", code=CIRCLE_SVG)
    first = save_image(post=post, kind="thumb", data=noise_png(4))
    written = object_storage("files").get_modified_time(first.object_name)
    second = save_image(post=other, kind="thumb", data=noise_png(4))
    assert second.object_name == first.object_name
    assert object_storage("files").get_modified_time(first.object_name) == written
    names = {first.object_name, *(v.object_name for v in PostImageVariant.objects.filter(post=post))}
    assert sorted(object_storage("files").listdir("")[1]) == sorted(names)


@pytest.mark.parametrize("backend", ["files", "s3"])
def test_a_recapture_retires_the_old_objects_and_the_sweep_deletes_them_after_the_grace(post, image_storages, backend):
    image_storages.IMAGE_STORAGE = backend
    old = save_image(post=post, kind="thumb", data=noise_png(f"{backend}-old"))
    old_names = {old.object_name, *(v.object_name for v in PostImageVariant.objects.filter(post=post))}
    new = save_image(post=post, kind="thumb", data=noise_png(f"{backend}-new"))
    assert set(RetiredImageObject.objects.filter(storage=backend).values_list("name", flat=True)) == old_names
    assert sweep_retired() == 0  # cached pages may still name them
    assert all(exists(backend, name) for name in old_names)
    assert sweep_retired(now=timezone.now() + timedelta(hours=47)) == 0
    assert sweep_retired(now=timezone.now() + timedelta(hours=49)) == len(old_names)
    assert not any(exists(backend, name) for name in old_names)
    assert exists(backend, new.object_name)
    assert not RetiredImageObject.objects.exists()


def test_the_sweep_keeps_an_object_that_an_image_names_again(post, user, image_storages):
    image_storages.IMAGE_STORAGE = "files"
    other = Post.objects.create(author=user, title="Other", render_model="svg", code=CIRCLE_SVG)
    save_image(post=post, kind="thumb", data=noise_png(5))
    save_image(post=other, kind="thumb", data=noise_png(5))
    shared = PostImage.objects.get(post=other).object_name
    save_image(post=post, kind="thumb", data=noise_png(6))  # retires the shared names: the other post still has them
    assert RetiredImageObject.objects.filter(name=shared).exists()
    sweep_retired(now=timezone.now() + timedelta(hours=49))
    assert exists("files", shared)
    assert not RetiredImageObject.objects.exists()


def test_a_capture_that_names_a_retired_object_again_cancels_its_retirement(post, image_storages):
    image_storages.IMAGE_STORAGE = "files"
    first = save_image(post=post, kind="thumb", data=noise_png(7))
    save_image(post=post, kind="thumb", data=noise_png(8))
    save_image(post=post, kind="thumb", data=noise_png(7))  # back to the first image
    assert not RetiredImageObject.objects.filter(name=first.object_name).exists()
    sweep_retired(now=timezone.now() + timedelta(hours=49))
    assert exists("files", first.object_name)


def test_deleting_a_post_retires_its_objects(post, image_storages):
    image_storages.IMAGE_STORAGE = "s3"
    image = save_image(post=post, kind="thumb", data=noise_png(9))
    services.post_delete(post)
    assert RetiredImageObject.objects.filter(storage="s3", name=image.object_name).exists()
    sweep_retired(now=timezone.now() + timedelta(hours=49))
    assert not exists("s3", image.object_name)


@pytest.mark.parametrize(
    ("source", "target"), [(a, b) for a in ("db", "files", "s3") for b in ("db", "files", "s3") if a != b]
)
def test_images_move_moves_every_image_and_variant_and_keeps_serving(client, post, image_storages, source, target):
    image_storages.IMAGE_STORAGE = source
    data = noise_png(f"move-{source}")
    save_image(post=post, kind="thumb", data=data)
    save_image(post=post, kind="og", data=png_bytes((120, 63)))
    call_command("images_move", "--to", target, "--no-progress", stdout=io.StringIO())
    rows = [*PostImage.objects.all(), *PostImageVariant.objects.all()]
    assert {row.storage for row in rows} == {target}
    for row in rows:
        storage.read_bytes(row)
    thumb = PostImage.objects.get(post=post, kind="thumb")
    status, body, _ = fetch(client, thumb.url)
    assert (status, body) == (200, data)
    if source != "db":  # the source's objects go after the grace period, not at once
        assert RetiredImageObject.objects.filter(storage=source, name=thumb.object_name).exists()
        sweep_retired(now=timezone.now() + timedelta(hours=49))
        assert not exists(source, thumb.object_name)


def test_images_move_updates_the_cached_listing(client, post, image_storages):
    image_storages.IMAGE_STORAGE = "db"
    save_image(post=post, kind="thumb", data=gradient_png())
    before = client.get("/api/posts").json()["results"][0]["thumb_url"]
    call_command("images_move", "--to", "files", "--no-progress", stdout=io.StringIO())
    after = client.get("/api/posts").json()["results"][0]["thumb_url"]
    assert after != before
    assert after == PostImage.objects.get(post=post).url


def test_images_move_refuses_a_corrupt_object_and_moves_the_rest(post, user, image_storages):
    image_storages.IMAGE_STORAGE = "files"
    other = Post.objects.create(author=user, title="Other", render_model="svg", code=CIRCLE_SVG)
    bad = save_image(post=post, kind="thumb", data=noise_png(10))
    good = save_image(post=other, kind="thumb", data=noise_png(11))
    with open(object_storage("files").path(bad.object_name), "r+b") as file:
        file.seek(100)
        file.write(b"rot")
    with pytest.raises(CommandError, match=f"PostImage {bad.pk}: .*does not match its sha256"):
        call_command("images_move", "--to", "db", "--no-progress", stdout=io.StringIO())
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.storage, good.storage) == ("files", "db")
    assert exists("files", bad.object_name)  # nothing is lost


def test_images_move_to_an_unconfigured_backend_says_so(settings, db):
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "images-s3"}
    with pytest.raises(CommandError, match="The s3 backend is not configured"):
        call_command("images_move", "--to", "s3", "--no-progress")


def test_an_interrupted_images_move_resumes_where_it_stopped(post, user, image_storages, monkeypatch):
    image_storages.IMAGE_STORAGE = "db"
    for n in range(3):
        other = Post.objects.create(author=user, title=f"p{n}", render_model="svg", code=CIRCLE_SVG)
        save_image(post=other, kind="thumb", data=gradient_png((64 + n, 48)))
    total = PostImage.objects.count() + PostImageVariant.objects.count()
    real_move, calls = storage.move, []

    def move_then_stop(row, to):
        if len(calls) == 4:
            raise KeyboardInterrupt  # Ctrl-C after four images
        calls.append(row)
        return real_move(row, to)

    monkeypatch.setattr("posts.management.commands.images_move.move", move_then_stop)
    with pytest.raises(KeyboardInterrupt):
        call_command("images_move", "--to", "files", "--no-progress", stdout=io.StringIO())
    moved = PostImage.objects.filter(storage="files").count() + PostImageVariant.objects.filter(storage="files").count()
    assert moved == 4
    monkeypatch.setattr("posts.management.commands.images_move.move", real_move)
    out = io.StringIO()
    call_command("images_move", "--to", "files", "--no-progress", stdout=out)
    assert f"Moved {total - 4} image(s) to files" in out.getvalue()
    assert not PostImage.objects.exclude(storage="files").exists()
    assert not PostImageVariant.objects.exclude(storage="files").exists()


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_a_killed_images_move_process_resumes_and_the_site_serves_throughout(client, user, image_storages, tmp_path):
    """A real process killed mid-move (SIGKILL): every image still serves, and a second run moves the rest."""
    from capture.tests.test_processes import BASE_DIR, database_url

    image_storages.IMAGE_STORAGE = "db"
    datas = {}
    for n in range(40):
        other = Post.objects.create(author=user, title=f"p{n}", render_model="svg", code=CIRCLE_SVG)
        datas[other.pk] = noise_png(f"kill-{n}", size=(320, 240))
        save_image(post=other, kind="thumb", data=datas[other.pk])
    settings_file = tmp_path / "move_settings.py"
    settings_file.write_text(
        "from pathlib import PosixPath\n"
        "from imagesite.settings import *\n"
        f"STORAGES = {{**STORAGES, 'images-files': {image_storages.STORAGES['images-files']!r}}}\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "move_settings",
        "PYTHONPATH": f"{tmp_path}:{BASE_DIR}",
    }
    command = [sys.executable, "manage.py", "images_move", "--to", "files", "--no-progress"]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not PostImage.objects.filter(storage="files").exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.kill()
    process.wait()
    for pk, data in datas.items():
        status, body, _ = fetch(client, PostImage.objects.get(post_id=pk).url)
        assert (status, body) == (200, data)
    assert PostImage.objects.filter(storage="db").exists(), "the move finished before it was killed"
    finished = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert not PostImage.objects.exclude(storage="files").exists()
    for pk, data in datas.items():
        assert fetch(client, PostImage.objects.get(post_id=pk).url)[:2] == (200, data)


def test_a_torn_object_left_by_a_killed_writer_is_written_again(post, image_storages):
    image_storages.IMAGE_STORAGE = "files"
    data = noise_png(12)
    name = f"{hashlib.sha256(data).hexdigest()}.png"
    (Path(object_storage("files").location)).mkdir(parents=True, exist_ok=True)
    Path(object_storage("files").path(name)).write_bytes(data[:50])
    image = save_image(post=post, kind="thumb", data=data)
    assert storage.read_bytes(image) == data

import io
import random

import pytest
from django.utils.html import escape
from PIL import Image, features

from posts.api.cache import current_version
from posts.images import variants
from posts.images.storage import image_fields, save_image, save_variants
from posts.models import PostImageVariant, RetiredImageObject, object_name
from posts.tests.conftest import gradient_png, png_bytes
from posts.tests.test_storage import BROWSER_ACCEPT

needs_avif = pytest.mark.skipif(not features.check("avif"), reason="this Pillow cannot write AVIF")


def image_url(post, kind="thumb", **query):
    return f"/api/posts/{post.pk}/image?kind={kind}" + "".join(f"&{k}={v}" for k, v in query.items())


@pytest.fixture
def captured(post, settings):
    settings.IMAGE_STORAGE = "db"
    return save_image(post=post, kind="thumb", data=gradient_png(), data_2x=gradient_png(scale=2))


def format_of(content):
    return Image.open(io.BytesIO(content)).format


@needs_avif
def test_a_browser_gets_avif_and_every_answer_varies_by_accept(client, post, captured):
    response = client.get(image_url(post, v=captured.version), HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response["Content-Type"] == "image/avif"
    assert format_of(response.content) == "AVIF"
    assert response["Vary"] == "Accept"
    assert response["Cache-Control"] == "public, max-age=86400, immutable"
    avif = PostImageVariant.objects.get(post=post, kind="thumb", mime="image/avif", scale=1)
    assert response["ETag"] == f'"{avif.sha256}"'


@pytest.mark.parametrize(
    ("accept", "mime"),
    [
        ("image/webp,*/*", "image/webp"),
        ("image/webp;q=0.9, image/png", "image/webp"),
        ("image/png", "image/png"),
        ("*/*", "image/png"),
        ("image/*", "image/png"),
        ("", "image/png"),
        ("image/webp;q=0, image/avif;q=0,*/*", "image/png"),
    ],
)
def test_the_endpoint_serves_the_format_the_client_names(client, post, captured, accept, mime):
    response = client.get(image_url(post), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == mime
    assert format_of(response.content) == mime.split("/")[1].upper()
    assert "Accept" in response["Vary"]


def test_a_png_only_client_gets_the_captured_png(client, post, captured):
    response = client.get(image_url(post), HTTP_ACCEPT="image/png")
    assert response.content == png_bytes_of(captured)
    assert response["ETag"] == f'"{captured.sha256}"'


def png_bytes_of(image):
    return bytes(type(image).objects.get(pk=image.pk).data)


def test_each_format_revalidates_with_its_own_etag(client, post, captured):
    webp = client.get(image_url(post), HTTP_ACCEPT="image/webp")
    assert client.get(image_url(post), HTTP_ACCEPT="image/webp", HTTP_IF_NONE_MATCH=webp["ETag"]).status_code == 304
    # The PNG client holding the WebP's tag must get the PNG, not a 304 for bytes it cannot read.
    assert client.get(image_url(post), HTTP_ACCEPT="image/png", HTTP_IF_NONE_MATCH=webp["ETag"]).status_code == 200


def test_scale_2_serves_the_2x_capture_and_falls_back_to_1x_without_one(client, post, user, captured, settings):
    response = client.get(image_url(post, v=captured.version, scale=2), HTTP_ACCEPT="image/webp")
    assert Image.open(io.BytesIO(response.content)).size == (1280, 960)
    assert response["Cache-Control"] == "public, max-age=86400, immutable"
    png = client.get(image_url(post, scale=2), HTTP_ACCEPT="image/png")
    assert (png["Content-Type"], Image.open(io.BytesIO(png.content)).size) == ("image/png", (1280, 960))
    save_image(post=post, kind="og", data=png_bytes((120, 63)))
    assert Image.open(io.BytesIO(client.get(image_url(post, "og", scale=2)).content)).size == (120, 63)


@pytest.mark.parametrize("query", ["&scale=3", "&scale=", "&scale=1&scale=2", "&scale=two"])
def test_a_bad_scale_is_refused(client, post, captured, query):
    response = client.get(image_url(post) + query)
    assert response.status_code == 400
    assert "scale" in response.json()["detail"]


def test_the_variants_show_the_capture_without_visible_loss():
    png = gradient_png()
    for variant in variants.derive(png, kind="thumb"):
        assert variants.psnr(png, variant["data"]) > variants.VISIBLE_LOSS_PSNR, variant["mime"]
        assert variant["bytes"] < len(png)


def noise_png(size):
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


@needs_avif
def test_a_capture_of_noise_gets_light_lossy_variants_and_no_2x():
    png, png_2x = noise_png((640, 480)), noise_png((1280, 960))  # 900 KB and 3.6 MB of PNG
    derived = variants.derive(png, kind="thumb", data_2x=png_2x)
    assert {v["scale"] for v in derived} == {1}  # the feed's card on a 2x screen takes the 1x
    card = next(v for v in derived if v["mime"] == "image/avif")
    assert card["bytes"] < 200 * 1024  # lossy although its PSNR is low: noise is noise to the eye


def test_a_variant_no_smaller_than_the_png_is_not_kept():
    flat = png_bytes((640, 480))  # a flat colour: the PNG is a few hundred bytes
    assert [v for v in variants.derive(flat, kind="thumb") if v["bytes"] >= len(flat)] == []


def test_the_feed_offers_avif_and_webp_sources_at_1x_and_2x_for_objects(client, post, image_storages):
    image_storages.IMAGE_STORAGE = "files"
    image = save_image(post=post, kind="thumb", data=gradient_png(), data_2x=gradient_png(scale=2))
    html = client.get("/").content.decode()
    for mime in [f[0] for f in variants.formats()]:
        rows = {v.scale: v for v in PostImageVariant.objects.filter(post=post, mime=mime)}
        assert f'<source type="{mime}" srcset="{escape(rows[1].url)} 1x, {escape(rows[2].url)} 2x">' in html
    png_2x = PostImageVariant.objects.get(post=post, mime="image/png", scale=2)
    assert f'srcset="{escape(image.url)} 1x, {escape(png_2x.url)} 2x"' in html
    assert 'width="640" height="480"' in html


def test_the_feed_leaves_the_format_to_the_endpoint_for_database_images(client, post, captured):
    html = client.get("/").content.decode()
    assert "<source" not in html
    assert f'srcset="{escape(captured.url)} 1x, {escape(captured.url)}&amp;scale=2 2x"' in html


def test_og_image_stays_png_on_every_backend(client, post, image_backend):
    save_image(post=post, kind="og", data=gradient_png((1200, 630)))
    html = client.get(post.get_absolute_url()).content.decode()
    og = html.split('<meta property="og:image" content="')[1].split('"')[0]
    assert og.startswith("http")
    if image_backend == "db":
        assert "/opengraph-image?v=" in og
    else:
        assert og.endswith(".png")


def test_variants_encoded_after_the_png_landed_join_it_and_move_the_listing(post, image_backend):
    png = gradient_png()
    image = save_image(post=post, kind="thumb", prepared=(image_fields(png), []))
    assert not PostImageVariant.objects.filter(post=post).exists()  # the PNG is served meanwhile
    before = current_version()
    assert save_variants(image, variants.derive(png, kind="thumb"))
    kept = PostImageVariant.objects.filter(post=post, kind="thumb")
    assert kept.exists()
    assert set(kept.values_list("version", flat=True)) == {image.sha256}
    assert current_version() != before  # cached listings gain the <picture> sources


def test_variants_of_an_image_replaced_meanwhile_are_not_kept(post, image_backend):
    first, second = gradient_png(), gradient_png(scale=2)
    image = save_image(post=post, kind="thumb", prepared=(image_fields(first), []))
    save_image(post=post, kind="thumb", data=second)  # a recapture landed while the first's variants encoded
    current = set(PostImageVariant.objects.filter(post=post).values_list("pk", flat=True))
    late = variants.derive(first, kind="thumb")
    assert not save_variants(image, late)
    assert set(PostImageVariant.objects.filter(post=post).values_list("pk", flat=True)) == current
    assert not PostImageVariant.objects.filter(version=image.sha256).exists()
    if image_backend != "db":  # the late variants' objects were written: images_sweep deletes them
        retired = set(RetiredImageObject.objects.filter(storage=image_backend).values_list("name", flat=True))
        assert {object_name(v["sha256"], v["mime"]) for v in late} <= retired

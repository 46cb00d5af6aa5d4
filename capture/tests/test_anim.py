"""Animated previews: frames stepped on the virtual clock, encoded as a looping WebP, only for posts that move."""

import io
import threading
import time

import pytest
from django.db import OperationalError
from PIL import Image

from capture import anim
from capture.serve import harness_document, harness_url
from capture.tests.conftest import TEST_TIMEOUT_SECONDS, make_post
from capture.worker import Outcome, Worker
from posts.images import storage
from posts.models import ImageKind, JobStatus, Post, PostImage, PostImageJob, PostImageVariant
from posts.tests.conftest import image_backend, image_storages, s3_endpoint  # noqa: F401 (fixtures)
from posts.tests.test_storage import fetch

pytestmark = pytest.mark.browser

# A bar whose length is its frame's virtual time: every frame differs from the one before.
MOVING = """
requestAnimationFrame(function bar(t) {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#f80";
  ctx.fillRect(0, 100, t / 10, 80);
  requestAnimationFrame(bar);
});
"""
# The shape of a p5 sketch with noLoop(): drawn once, then nothing is scheduled.
STILL_CANVAS = """
ctx.fillStyle = "#246";
ctx.fillRect(0, 0, width, height);
ctx.fillStyle = "#fc0";
ctx.beginPath(); ctx.arc(width / 2, height / 2, 80, 0, Math.PI * 2); ctx.fill();
"""
# Keeps itself moving but draws the same picture every frame: only its frames can tell it is still.
SAME_EVERY_FRAME = """
requestAnimationFrame(function same() {
  ctx.fillStyle = "#246";
  ctx.fillRect(0, 0, width, height);
  requestAnimationFrame(same);
});
"""
NO_LOOP_P5 = """
function setup() { createCanvas(200, 200); noLoop(); }
function draw() { background(30, 60, 90); circle(100, 100, 80); }
"""
ANIMATED_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="#036"/>'
    '<circle cx="50" cy="50" r="20" fill="#fc0"><animate attributeName="r" values="10;40;10" dur="2s" '
    'repeatCount="indefinite"/></circle></svg>'
)


# Film grain: every pixel of every frame from the (seeded) random, the worst case for any encoder.
GRAIN = """
const image = ctx.createImageData(width, height);
requestAnimationFrame(function grain() {
  for (let i = 0; i < image.data.length; i += 4) {
    const v = Math.random() * 255;
    image.data[i] = image.data[i + 1] = image.data[i + 2] = v;
    image.data[i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  requestAnimationFrame(grain);
});
"""


def durations(webp):
    image = Image.open(io.BytesIO(webp))
    assert image.format == "WEBP" and image.is_animated
    times = []
    for index in range(image.n_frames):
        image.seek(index)
        image.load()
        times.append(image.info["duration"])
    return times


def capture_frames(capture_browser, post, *, frames, fps, start=0.0, size=(320, 240)):
    document = harness_document(post.pk)
    return capture_browser.run(
        capture_browser.browser.capture_frames(
            url=harness_url(post.pk),
            document=document,
            size=size,
            start=start,
            frames=frames,
            fps=fps,
            timeout=TEST_TIMEOUT_SECONDS * 4,
        ),
        timeout=120,
    )


@pytest.mark.django_db
def test_frames_are_stepped_on_the_virtual_clock_with_exact_timing_and_repeat_byte_for_byte(capture_browser):
    post = make_post("canvas", MOVING)

    first = anim.encode(capture_frames(capture_browser, post, frames=45, fps=15), fps=15, quality=60, max_bytes=2**20)
    second = anim.encode(capture_frames(capture_browser, post, frames=45, fps=15), fps=15, quality=60, max_bytes=2**20)

    assert first == second  # the virtual clock, not the machine's speed, decides every frame
    times = durations(first)
    assert len(times) == 45
    assert sum(times) == 3000
    # Frame i starts at round(i * 1000 / 15) ms: 0, 67, 133, 200...
    assert [sum(times[:i]) for i in range(4)] == [0, 67, 133, 200]
    assert set(times) == {66, 67}


@pytest.mark.django_db
def test_the_bar_in_each_frame_is_where_the_virtual_clock_says(capture_browser):
    post = make_post("canvas", MOVING)
    pngs = capture_frames(capture_browser, post, frames=3, fps=10, start=1.0)

    def bar_end(png):
        row = Image.open(io.BytesIO(png)).convert("RGB").crop((0, 140, 320, 141))
        return sum(1 for x in range(320) if row.getpixel((x, 0))[0] > 200)

    # The bar is t / 10 px long at virtual t ms: 100 px at 1 s, 110 at 1.1 s, 120 at 1.2 s.
    assert [bar_end(png) for png in pngs] == [100, 110, 120]


@pytest.mark.django_db
def test_a_still_canvas_gives_no_animation(capture_browser):
    post = make_post("canvas", STILL_CANVAS)
    assert (
        anim.encode(capture_frames(capture_browser, post, frames=10, fps=15), fps=15, quality=60, max_bytes=2**20)
        is None
    )


def test_an_animation_over_its_budget_is_encoded_again_at_lower_quality_until_it_fits():
    frames = [Image.effect_noise((160, 120), 80).convert("RGB") for _ in range(6)]
    pngs = []
    for frame in frames:
        buffer = io.BytesIO()
        frame.save(buffer, "PNG")
        pngs.append(buffer.getvalue())
    at_60 = anim.encode(pngs, fps=10, quality=60, max_bytes=2**20)
    at_40 = anim.encode_webp([Image.open(io.BytesIO(png)) for png in pngs], fps=10, quality=40)
    assert len(at_40) < len(at_60)

    fitted = anim.encode(pngs, fps=10, quality=60, max_bytes=len(at_40))
    assert fitted == at_40  # 60 is over, 40 (two thirds) fits
    assert durations(fitted) == [100] * 6

    with pytest.raises(anim.TooLarge, match="over the 0 KB budget"):
        anim.encode(pngs, fps=10, quality=60, max_bytes=100)


def test_the_worker_keeps_no_animation_that_stays_over_budget_and_says_why(run_queue, settings):
    settings.CAPTURE_ANIM_SECONDS = 1
    settings.CAPTURE_ANIM_FPS = 5
    settings.CAPTURE_ANIM_MAX_BYTES = 20_000  # five frames of grain weigh more at any quality
    grain = make_post("canvas", GRAIN)
    moving = make_post("canvas", MOVING)

    run_queue()

    job = PostImageJob.objects.get(post=grain, kind=ImageKind.ANIM)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)  # the post's own fault: not retried
    assert "over the 19 KB budget (CAPTURE_ANIM_MAX_BYTES)" in job.last_error
    assert not PostImage.objects.filter(post=grain, kind=ImageKind.ANIM).exists()
    assert PostImage.objects.filter(post=grain, kind=ImageKind.THUMB).exists()  # the still stays
    assert PostImage.objects.get(post=moving, kind=ImageKind.ANIM).bytes <= 20_000


def test_the_worker_stores_the_animation_after_the_thumbnail_and_records_still_posts(run_queue, client, settings):
    settings.CAPTURE_ANIM_SECONDS = 1
    settings.CAPTURE_ANIM_FPS = 10
    moving = make_post("canvas", MOVING, anim_start=0.5)
    still = make_post("canvas", STILL_CANVAS)
    no_loop = make_post("p5", NO_LOOP_P5)
    svg = make_post("svg", ANIMATED_SVG)
    same = make_post("canvas", SAME_EVERY_FRAME, anim_start=0.5)

    run_queue()

    assert all(job.status == JobStatus.SUCCESS for job in PostImageJob.objects.all())
    image = PostImage.objects.get(post=moving, kind=ImageKind.ANIM)
    assert (image.mime, image.frames, image.duration_ms, image.capture_time) == ("image/webp", 10, 1000, 0.5)
    assert (image.width, image.height) == settings.CAPTURE_THUMB_SIZE
    assert durations(image.data) == [100] * 10
    assert Post.objects.get(pk=moving.pk).moves is True
    # A canvas drawn once, a noLoop() sketch and an SVG (its animations are pinned in captures) are
    # recorded as still when their thumbnail lands, with no job for an animation.
    for post in (still, no_loop, svg):
        assert Post.objects.get(pk=post.pk).moves is False
        assert not PostImageJob.objects.filter(post=post, kind=ImageKind.ANIM).exists()
        assert not PostImage.objects.filter(post=post, kind=ImageKind.ANIM).exists()
    # One that keeps drawing the same picture is captured frame by frame, found still, and stores nothing.
    assert PostImageJob.objects.get(post=same, kind=ImageKind.ANIM).status == JobStatus.SUCCESS
    assert Post.objects.get(pk=same.pk).moves is False
    assert not PostImage.objects.filter(post=same, kind=ImageKind.ANIM).exists()

    response = client.get(image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert "immutable" in response["Cache-Control"]
    assert client.get(image.url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    detail = client.get(f"/api/posts/{moving.pk}").json()
    listed = next(item for item in detail["images"] if item["kind"] == "anim")
    assert (listed["frames"], listed["duration_ms"], listed["bytes"]) == (10, 1000, image.bytes)
    assert (detail["anim_start"], detail["moves"]) == (0.5, True)


# Shadertoy's habit: the picture is a function of iTime, drawn every frame by the harness itself.
SHADERTOY_MOVING = """
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
  vec2 uv = fragCoord / iResolution.xy;
  fragColor = vec4(0.5 + 0.5 * cos(iTime + uv.xyx + vec3(0, 2, 4)), 1.0);
}
"""
# The Book of Shaders' first examples: no time, the same picture in every frame.
BOOK_OF_SHADERS_STILL = """
#ifdef GL_ES
precision mediump float;
#endif
uniform vec2 u_resolution;
uniform float u_time;
void main() {
  vec2 st = gl_FragCoord.xy / u_resolution;
  gl_FragColor = vec4(st.x, st.y, 0.5, 1.0);
}
"""


def first_frame(webp):
    image = Image.open(io.BytesIO(webp))
    image.seek(0)
    return image.convert("RGB")


def test_a_shader_that_reads_its_time_is_animated_and_one_that_does_not_is_still(run_queue, settings):
    settings.CAPTURE_ANIM_SECONDS = 1
    settings.CAPTURE_ANIM_FPS = 5
    moving = make_post("shader", SHADERTOY_MOVING)
    still = make_post("shader", BOOK_OF_SHADERS_STILL)  # declares u_time but never reads it

    run_queue()

    animation = PostImage.objects.get(post=moving, kind=ImageKind.ANIM)
    assert (animation.frames, Post.objects.get(pk=moving.pk).moves) == (5, True)
    assert Post.objects.get(pk=still.pk).moves is False
    assert not PostImageJob.objects.filter(post=still, kind=ImageKind.ANIM).exists()


def test_an_animation_from_0_starts_at_the_first_drawn_frame_not_a_blank_one(run_queue, settings):
    settings.CAPTURE_ANIM_SECONDS = 1
    settings.CAPTURE_ANIM_FPS = 5
    post = make_post("canvas", MOVING)  # anim_start 0: before its first frame it has drawn nothing

    run_queue()

    animation = PostImage.objects.get(post=post, kind=ImageKind.ANIM)
    assert animation.capture_time == pytest.approx(1 / 60)
    assert first_frame(animation.data).getpixel((300, 20)) == (0, 0, 0)  # its black background, drawn


def test_no_animation_is_queued_while_animations_are_off(run_queue, settings):
    settings.CAPTURE_ANIM_SECONDS = 0
    moving = make_post("canvas", MOVING)
    still = make_post("canvas", STILL_CANVAS)

    assert "4 stored" in run_queue()

    assert not PostImageJob.objects.filter(kind=ImageKind.ANIM).exists()
    assert Post.objects.get(pk=still.pk).moves is False  # what the thumbnail showed is still recorded
    assert Post.objects.get(pk=moving.pk).moves is None


def test_an_animation_is_stored_as_webp_in_each_backend_without_variants(run_queue, image_backend, client, settings):  # noqa: F811
    settings.CAPTURE_ANIM_SECONDS = 1
    settings.CAPTURE_ANIM_FPS = 5
    post = make_post("canvas", MOVING)

    run_queue()

    image = PostImage.objects.get(post=post, kind=ImageKind.ANIM)
    assert (image.storage, image.mime) == (image_backend, "image/webp")
    assert not PostImageVariant.objects.filter(post=post, kind=ImageKind.ANIM).exists()
    data = storage.read_bytes(image)
    assert durations(data) == [200] * 5
    if image_backend != "db":
        assert image.object_name.endswith(".webp")
    status, body, headers = fetch(client, image.url)
    assert (status, body) == (200, data)
    assert "immutable" in headers["Cache-Control"]
    # The feed names the same URL.
    assert f'data-anim="{image.url.replace("&", "&amp;")}"' in client.get("/").content.decode()


def test_an_animation_gives_way_to_a_new_posts_images_and_is_captured_again_after(transactional_db, capture_settings):
    capture_settings.CAPTURE_ANIM_SECONDS = 10  # 150 frames: seconds of capturing
    moving = make_post("canvas", MOVING)
    watching = Worker(watch=True, interval=0.2)
    thread = threading.Thread(target=watching.run)
    thread.start()
    try:
        wait_for(lambda: PostImageJob.objects.running().filter(post=moving, kind=ImageKind.ANIM).exists())
        newcomer = unlocked(lambda: make_post("svg", ANIMATED_SVG))
        wait_for(lambda: PostImage.objects.filter(post=moving, kind=ImageKind.ANIM).exists())
    finally:
        watching.stop()
        thread.join(60)

    # The new post's images were stored while the animation waited, then the animation from the start.
    animation = PostImage.objects.get(post=moving, kind=ImageKind.ANIM)
    for image in PostImage.objects.filter(post=newcomer):
        assert image.created_at < animation.created_at
    assert animation.frames == 150
    job = PostImageJob.objects.get(post=moving, kind=ImageKind.ANIM)
    assert (job.status, job.attempts) == (JobStatus.SUCCESS, 1)  # the attempt stopped for the new post is uncounted
    assert watching.outcomes[Outcome.YIELDED] >= 1


def unlocked(query, timeout=60):
    """Run a query beside the worker's thread: SQLite's shared in-memory test database answers
    "table is locked" while the worker writes, which only means "again, in a moment"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return query()
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def wait_for(condition, timeout=180):
    deadline = time.monotonic() + timeout
    while not unlocked(condition):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)

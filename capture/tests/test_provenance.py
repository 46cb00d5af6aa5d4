"""What each stored image records about how it was made, and the worker registry a capture run keeps."""

import re

from capture.tests.conftest import make_post
from posts.models import CaptureWorker, PostImage
from posts.render.scripts import harness_version

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="4" height="3" fill="#c33"/></svg>'
PREVIEW_EARLY = """
let frame = 0;
requestAnimationFrame(function draw() {
  frame++;
  ctx.fillStyle = "#0a0";
  ctx.fillRect(0, 0, width, height);
  if (frame === 3) capturePreview();
  requestAnimationFrame(draw);
});
"""


def test_each_image_records_the_browser_harness_size_and_time_that_made_it(run_queue):
    post = make_post("svg", SVG, capture_time=2.5)

    run_queue()

    thumb = PostImage.objects.get(post=post, kind="thumb")
    og = PostImage.objects.get(post=post, kind="og")
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", thumb.chromium_version)
    assert thumb.webgl_renderer  # SwiftShader here; whatever the GPU says elsewhere
    assert thumb.harness_version == harness_version("svg") != harness_version("three")
    assert (thumb.capture_size, og.capture_size) == ("640x480", "1200x630")
    assert thumb.capture_time == 2.5
    assert thumb.capture_ms > 0
    assert not CaptureWorker.objects.exists()  # a worker leaves the registry when it stops


def test_the_recorded_time_is_where_capture_preview_stopped_the_clock(run_queue):
    post = make_post("canvas", PREVIEW_EARLY, capture_time=5)

    run_queue()

    image = PostImage.objects.get(post=post, kind="thumb")
    assert 0 < image.capture_time < 0.2
    assert image.harness_version == harness_version("canvas")


def test_the_harness_version_changes_with_the_files_that_render_a_post(settings, tmp_path):
    before = harness_version("shader")
    template = tmp_path / "posts" / "render.html"
    template.parent.mkdir()
    template.write_text("{# an edited harness page #}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    assert harness_version("shader") != before

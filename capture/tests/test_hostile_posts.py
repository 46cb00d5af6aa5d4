"""A post that loops in the GPU, hangs, hoards memory or looks for secrets harms only itself.

Real Chromium and the real worker: each test runs the post the way `capture_queue` does.
"""

import threading

import pytest
from django.utils import timezone

from capture.browser import PostError, process_tree
from capture.tests.conftest import BrowserThread, close_to, decode, make_post
from posts import jobs
from posts.models import ImageKind, JobPriority, JobStatus, PostImageJob

pytestmark = pytest.mark.browser

GREEN = (0, 255, 0)
FINE_SHADER = "void mainImage(out vec4 c, in vec2 p) { c = vec4(0.0, 1.0, 0.0, 1.0); }"
# Two ways people write a loop that never ends in a shader: GLSL ES 3.00 and ES 1.00.
WEDGING_SHADERS = {
    "while-true": """#version 300 es
precision highp float;
out vec4 colour;
void main() {
  float x = 1.0;
  while (true) { x += 1.; if (x < 0.) break; }
  colour = vec4(x, 0.0, 0.0, 1.0);
}""",
    "billion-iterations": """void mainImage(out vec4 c, in vec2 p) {
  float x = 0.0;
  for (int i = 0; i < 1000000000; i++) { x += sin(float(i) + p.x); }
  c = vec4(x, 0.0, 0.0, 1.0);
}""",
}
# Hangs the loop guard cannot see (no loop in the post's code): catastrophic backtracking.
HANGING_CANVAS = 'const busy = /^(a+)+$/.test("a".repeat(60) + "!");\nctx.fillRect(0, 0, width, height);'


@pytest.fixture(autouse=True)
def no_retry_within_the_run(monkeypatch):
    """A retry's backoff outlasts a test's run of the queue, so each run shows one attempt per job."""
    monkeypatch.setattr(jobs, "BACKOFF_BASE_SECONDS", 3600)


def thumb_only(post):
    PostImageJob.objects.filter(post=post, kind=ImageKind.OG).delete()
    return PostImageJob.objects.get(post=post)


def reload(job):
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("shader", WEDGING_SHADERS.values(), ids=WEDGING_SHADERS.keys())
def test_a_shader_that_never_ends_does_not_wedge_the_next_capture(run_queue, settings, shader):
    settings.CAPTURE_TIMEOUT_SECONDS = 6
    wedging = thumb_only(make_post("shader", shader))
    fine = thumb_only(make_post("shader", FINE_SHADER))

    run_queue()

    assert reload(fine).status == JobStatus.SUCCESS, (fine.last_error, reload(wedging).last_error)
    assert fine.attempts == 1
    wedged = reload(wedging)
    assert "still running in the GPU process" in wedged.last_error
    assert (wedged.attempts, wedged.priority) == (1, JobPriority.BACKFILL)  # once more, behind everyone


def test_a_hanging_post_is_its_own_failure_tried_once_more_behind_the_others(run_queue, settings):
    settings.CAPTURE_TIMEOUT_SECONDS = 3
    hanging = thumb_only(make_post("canvas", HANGING_CANVAS))
    queued_behind = thumb_only(make_post("canvas", 'ctx.fillStyle = "#0f0"; ctx.fillRect(0, 0, width, height);'))

    run_queue()

    assert (reload(queued_behind).status, queued_behind.attempts) == (JobStatus.SUCCESS, 1)
    hanging = reload(hanging)
    assert (hanging.status, hanging.attempts, hanging.priority) == (JobStatus.PENDING, 1, JobPriority.BACKFILL)
    assert "the post's code did not finish (tried once more later, behind other captures)" in hanging.last_error
    # A new post queued meanwhile still goes first, even once the hanging post is due again.
    PostImageJob.objects.filter(pk=hanging.pk).update(run_after=timezone.now())
    newer = thumb_only(make_post("svg", '<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>'))

    run_queue()

    hanging = reload(hanging)
    assert (hanging.status, hanging.attempts) == (JobStatus.FAILED, 2)
    assert hanging.last_error.endswith("(not retried)")
    assert reload(newer).status == JobStatus.SUCCESS
    assert newer.finished_at < hanging.finished_at


def test_a_post_that_ran_out_of_time_sends_its_other_image_behind_the_others_too(run_queue, settings):
    settings.CAPTURE_TIMEOUT_SECONDS = 3
    hanging = make_post("canvas", HANGING_CANVAS)
    queued_behind = thumb_only(make_post("canvas", 'ctx.fillStyle = "#0f0"; ctx.fillRect(0, 0, width, height);'))

    run_queue()

    thumb, og = (PostImageJob.objects.get(post=hanging, kind=kind) for kind in (ImageKind.THUMB, ImageKind.OG))
    assert thumb.priority == og.priority == JobPriority.BACKFILL
    # Its OG card waited for the post queued behind it instead of costing it another timeout.
    assert reload(queued_behind).status == JobStatus.SUCCESS
    assert og.started_at > queued_behind.finished_at


def test_an_infinite_loop_caught_by_the_loop_guard_fails_at_once_with_its_line(run_queue):
    looping = thumb_only(make_post("canvas", "let n = 0;\nwhile (true) { n += 1; }"))

    run_queue()

    looping = reload(looping)
    assert (looping.status, looping.attempts) == (JobStatus.FAILED, 1)
    assert "infinite loop at line 2" in looping.last_error


# Memory: what one capture may take is bounded per process (CAPTURE_MEMORY_MB), whatever allocates it.
MEMORY_HOGS = {
    "array-buffers-3-gib": "const keep = [];\n"
    "for (let i = 0; i < 24; i++) { const b = new Uint8Array(128 * 2 ** 20); b.fill(i + 1); keep.push(b); }\n"
    'ctx.fillStyle = "#0f0"; ctx.fillRect(0, 0, width, height);',
    "canvas-pixels-3-gib": "const keep = [];\n"
    "for (let i = 0; i < 48; i++) {\n"
    '  const c = document.createElement("canvas"); c.width = c.height = 4096;\n'
    '  const x = c.getContext("2d");\n'
    '  x.fillStyle = "#123456"; x.fillRect(0, 0, 4096, 4096); x.getImageData(0, 0, 1, 1);\n'
    "  keep.push(c);\n"
    "}\n"
    'ctx.fillStyle = "#0f0"; ctx.fillRect(0, 0, width, height);',
    "webgl-textures-2-gib": 'const gl = document.createElement("canvas").getContext("webgl2");\n'
    "const pixels = new Uint8Array(4096 * 4096 * 4).fill(7);\n"
    "for (let i = 0; i < 32; i++) {\n"
    "  gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());\n"
    "  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, 4096, 4096, 0, gl.RGBA, gl.UNSIGNED_BYTE, pixels);\n"
    "}\n"
    "gl.finish();\n"
    'ctx.fillStyle = "#0f0"; ctx.fillRect(0, 0, width, height);',
}
TEST_MEMORY_MB = 512


class PeakMemory:
    """The largest resident size of a process tree, sampled every 50 ms in a thread."""

    def __init__(self, root):
        self.root = root
        self.peak_mb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.wait(0.05):
            total = 0
            for pid in process_tree(self.root):
                try:
                    with open(f"/proc/{pid}/status") as status:
                        total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
                except (OSError, StopIteration):
                    continue
            self.peak_mb = max(self.peak_mb, total // 1024)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self.peak_mb


@pytest.fixture
def small_memory_browser(settings):
    settings.CAPTURE_MEMORY_MB = TEST_MEMORY_MB
    browser = BrowserThread()
    yield browser
    browser.close()


@pytest.mark.parametrize("code", MEMORY_HOGS.values(), ids=MEMORY_HOGS.keys())
def test_a_capture_cannot_take_more_memory_than_its_budget_and_the_next_one_works(db, small_memory_browser, code):
    hog = make_post("canvas", code)
    fine = make_post("canvas", 'ctx.fillStyle = "#0f0"; ctx.fillRect(0, 0, width, height);')
    root = small_memory_browser.run(small_memory_browser.browser.pid("browser"))
    memory = PeakMemory(root)

    try:
        small_memory_browser.capture(hog, timeout=30)
    except PostError as error:  # the allocation failed in the post's code, or its page crashed
        assert "Array buffer allocation failed" in str(error) or "MB of memory" in str(error)
    finally:
        peak = memory.stop()

    # Browser, renderer and GPU process, each under the cap (the post asked for 2–3 GiB).
    assert peak < 3 * TEST_MEMORY_MB
    assert close_to(decode(small_memory_browser.capture(fine)).getpixel((320, 240)), GREEN)


def test_array_buffers_past_the_budget_fail_the_post_with_a_clear_error(db, small_memory_browser):
    hog = make_post("canvas", MEMORY_HOGS["array-buffers-3-gib"])

    with pytest.raises(PostError, match="Array buffer allocation failed"):
        small_memory_browser.capture(hog, timeout=30)


SECRETS = {
    "DATABASE_URL": "mysql://worker:hunter2-db@127.0.0.1/imagesite",
    "DJANGO_SECRET_KEY": "canary-secret-key-hunter2",
    "DB_PASSWORD": "hunter2-db-password",
    "AWS_SECRET_ACCESS_KEY": "hunter2-aws",
}


def test_chromium_sees_none_of_the_workers_environment_but_what_it_needs(db, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    browser = BrowserThread()
    try:
        post = make_post("canvas", 'ctx.fillStyle = "#0f0"; ctx.fillRect(0, 0, width, height);')
        browser.capture(post)  # a renderer and a GPU process are running now, or have been
        processes = browser.run(browser.browser.processes())
        pids = set(process_tree(next(p["id"] for p in processes if p["type"] == "browser")))
        assert {p["type"] for p in processes} >= {"browser", "GPU"}
        environments = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/environ", "rb") as environ:
                    environments.append(environ.read().decode("utf-8", "replace"))
            except OSError:
                continue
    finally:
        browser.close()

    # Chromium writes its process titles over its environment's memory; what stays readable is the
    # launcher's (Debian's wrapper script), which every Chromium process inherited.
    assert any("PATH=" in environment for environment in environments)
    for environment in environments:
        for name, value in SECRETS.items():
            assert f"{name}=" not in environment
            assert value not in environment

"""Posts in the styles people paste (posts/tests/fidelity), captured the way the worker captures them."""

import pytest

from capture.browser import PostError
from capture.tests.conftest import close_to, decode
from posts import services
from posts.images.storage import image_fields
from posts.models import LAST_ERROR_LENGTH, JobStatus, PostImageJob
from posts.tests.fidelity import EXAMPLES

pytestmark = pytest.mark.browser


def create(example):
    return services.post_create(
        author=None,
        title=example.file,
        render_model=example.render_model,
        code=example.code,
        html=example.html,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.file)
def test_each_habit_is_captured_with_the_pixels_its_author_saw(db, capture_browser, example):
    png = capture_browser.capture(create(example), size=example.size)

    image = decode(png)
    assert image.size == example.size
    assert not image_fields(png)["is_flat"]  # the fidelity benchmark counts a flat capture as blank
    width, height = example.size
    seen = [image.getpixel((round(x * (width - 1)), round(y * (height - 1)))) for x, y, _ in example.checks]
    assert all(close_to(colour, expected, 16) for colour, (_, _, expected) in zip(seen, example.checks, strict=True)), (
        seen
    )


DERIVED_FROM_PIXELS = [
    "gradient-640x480.svg",
    "white-spinner.svg",
    "fixed-400.canvas.js",
    "white-particles.canvas.js",
    "fixed-360.three.js",
    "glsl-sandbox-backbuffer.glsl",
]


@pytest.mark.parametrize("file", DERIVED_FROM_PIXELS)
def test_what_is_derived_from_the_art_captures_the_same_bytes_twice(db, capture_browser, file):
    (example,) = [example for example in EXAMPLES if example.file == file]
    post = create(example)

    first = capture_browser.capture(post, size=(1200, 630))
    second = capture_browser.capture(post, size=(1200, 630))

    assert first == second


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "#version 330 core\nout vec4 color;\n\nvoid main() {\n    float glow = 1;\n    color = vec4(glow);\n}\n",
            [
                "ERROR: line 5: '=' : cannot convert from 'const int' to 'highp float'",
                "GLSL ES never turns an int into a float by itself: write 1.0 rather than 1, or float(n).",
                'Line 1: "#version 330 core" was run as GLSL ES 3.00',
            ],
        ),
        (
            "#version 200\nvoid main() { gl_FragColor = vec4(1.0); }",
            ['compile: Line 1: "#version 200" is not a GLSL version WebGL can run: write "#version 300 es"'],
        ),
        (
            "precision mediump float;\nuniform float time = 0.5;\nvoid main() { gl_FragColor = vec4(time); }",
            ["line 2:", "GLSL ES uniforms cannot be given a value in the shader: make it a const."],
        ),
        (
            "float wave(vec2 p) { return sin(p.x); }\nvoid draw() { gl_FragColor = vec4(wave(gl_FragCoord.xy)); }",
            ["The shader needs a mainImage(out vec4, in vec2) (Shadertoy) or a main()"],
        ),
    ],
    ids=["desktop-int-to-float", "unknown-version", "uniform-with-a-value", "no-entry-point"],
)
def test_a_shader_at_fault_fails_at_once_naming_the_line_and_the_fix(db, capture_browser, code, expected):
    post = services.post_create(author=None, title="broken", render_model="shader", code=code)

    with pytest.raises(PostError) as failure:
        capture_browser.capture(post)

    message = str(failure.value)
    assert all(part in message for part in expected), message
    assert len(message) <= LAST_ERROR_LENGTH


def test_the_worker_records_a_desktop_shaders_fault_once_with_its_line(run_queue):
    post = services.post_create(
        author=None, title="desktop", render_model="shader", code="#version 150\nout vec4 c;\nvoid main() { c = 1; }"
    )

    run_queue()

    for job in PostImageJob.objects.filter(post=post):
        assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
        assert job.last_error.startswith("compile: ERROR: line 3: ")

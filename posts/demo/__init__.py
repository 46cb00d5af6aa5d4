"""Demo posts, written for this project: a few of each render model, one file each beside this module.

Each is strongly coloured in a known way so that render and capture tests can check pixels:
`centre` is the colour at the middle of any capture (thumb 640x480 or OG 1200x630), and
`colours` says what is where. The flat ones are exact; the three.js ones are lit (and the p5 WEBGL
one shaded), so their centre is what a capture at 0.8 s measured (Chromium's software GL), a live
frame differs a little.
"""

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from posts import services
from posts.models import Post

SOURCES = Path(__file__).resolve().parent
DEMO_USERNAME = "demo"


@dataclass(frozen=True)
class Demo:
    title: str
    render_model: str
    file: str
    description: str
    centre: tuple[int, int, int]
    colours: str

    @property
    def code(self):
        return (SOURCES / self.file).read_text(encoding="utf-8")


DEMOS = [
    Demo(
        "Sunset",
        "svg",
        "sunset.svg",
        "An SVG with an XML prolog and DOCTYPE, a gradient sky, a blurred glow, masked ripples and text.",
        (255, 212, 0),
        "centre: the yellow sun #ffd400; top: purple sky #2b1055; bottom fifth: dark blue sea #0b3d91.",
    ),
    Demo(
        "Bauhaus",
        "svg",
        "bauhaus.svg",
        "Flat shapes on a cream page, in the plainest SVG.",
        (214, 40, 40),
        "centre: red square #d62828; background cream #f4ecd8; blue circle top left, black bar right.",
    ),
    Demo(
        "Orbits",
        "canvas",
        "orbits.canvas.js",
        "MDN-style Canvas 2D: finds its canvas by id, animates with requestAnimationFrame, "
        "calls capturePreview() at 0.5 s.",
        (224, 40, 46),
        "centre: red sun #e0282e; background black with grey stars; white planets on faint orbits.",
    ),
    Demo(
        "Spiral",
        "canvas",
        "spiral.canvas.js",
        "Canvas 2D drawn straight onto the given globals canvas, ctx, width and height.",
        (29, 78, 216),
        "centre: blue disc #1d4ed8; background white; a rainbow spiral of dots around the disc.",
    ),
    Demo(
        "Green cube",
        "three",
        "cube.three.js",
        "three.js: a renderer on the given canvas, a lit MeshStandardMaterial cube, setAnimationLoop.",
        (30, 161, 77),
        "centre: the lit green cube (#22c55e, green channel far above red and blue); background navy #10233f.",
    ),
    Demo(
        "Orange gem",
        "three",
        "gem.three.js",
        "three.js: the renderer appends its own canvas; a flat-shaded gem turned by a requestAnimationFrame loop.",
        (200, 95, 2),
        "centre: the lit orange gem (#ff7a00, red above green above blue); background dark grey #202020.",
    ),
    Demo(
        "Noise flow",
        "p5",
        "flow.p5.js",
        "p5.js (1.x) in global mode, as pasted from the p5 editor: a fixed 600x600 canvas, "
        "particles steered by noise() leaving trails, an amber sun on top.",
        (255, 176, 0),
        "centre: amber sun #ffb000; background navy #0c1228 with blue-to-lilac trails; the frame's "
        "sides continue the canvas's edges.",
    ),
    Demo(
        "Shaded orbit",
        "p5",
        "glow.p5.js",
        "p5.js 2.x in instance mode: a WEBGL canvas, a shader made with createShader(), "
        "a sphere and a torus turned by millis().",
        (0, 204, 255),
        "centre: the sphere facing the camera, cyan #00ccff; violet at its rims and on the torus; background #0b0d1a.",
    ),
    Demo(
        "Plasma rings",
        "shader",
        "plasma.shadertoy.glsl",
        "A Shadertoy shader: mainImage with iResolution and iTime.",
        (255, 0, 255),
        "centre: magenta #ff00ff; fading through moving rings to dark violet at the edges.",
    ),
    Demo(
        "Teal waves",
        "shader",
        "waves.book.glsl",
        "A Book of Shaders shader (WebGL1 style): main() with u_resolution, u_time and gl_FragColor.",
        (0, 255, 255),
        "centre: cyan disc #00ffff; around it diagonal teal waves (dark, blue-green).",
    ),
    Demo(
        "Golden rays",
        "shader",
        "rays.es300.glsl",
        "A #version 300 es shader: main() writing its own out vec4, with u_resolution and u_time.",
        (255, 128, 0),
        "centre: orange disc #ff8000; around it alternating near-black and gold #d9a61a rays.",
    ),
]


def demo_user():
    user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def validated(demo):
    """The demo's fields, checked by the model's rules (the ones every way of posting applies), or ValidationError."""
    data = {"title": demo.title, "render_model": demo.render_model, "code": demo.code, "description": demo.description}
    Post(**data).full_clean(exclude=["author"])
    return data


@transaction.atomic
def seed_demo_posts():
    """Create the demo posts the demo user does not have yet (matched by title) and queue their images."""
    user = demo_user()
    existing = set(Post.objects.filter(author=user).values_list("title", flat=True))
    # Newest first in the feed: create in reverse so the feed shows DEMOS in order.
    missing = [demo for demo in reversed(DEMOS) if demo.title not in existing]
    return [services.post_create(author=user, **validated(demo)) for demo in missing]

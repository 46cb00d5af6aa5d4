"""Posts in the styles people paste, written for this project: every shader dialect and page habit
the harness recognises (docs/posting.md), one file each beside this module.

Each has pixels known at fractions of the frame (x, y from the top left), which hold in a capture
at `size` and in a live page of that size at any time. The capture and live tests check them;
`make bench` captures them all for the fidelity figures.
"""

from dataclasses import dataclass, field
from pathlib import Path

SOURCES = Path(__file__).resolve().parent
DARK = (0x0E, 0x10, 0x14)  # the site's background, under light art


@dataclass(frozen=True)
class Example:
    file: str
    render_model: str
    habit: str
    checks: list = field(default_factory=list)  # (x, y, (r, g, b)) with x, y fractions of the frame
    size: tuple = (640, 480)
    html_file: str = ""
    bom: bool = False
    live_after_ms: int = 0  # a live page shows the checked pixels once it has run this long
    live_checks: list = None  # what a live page shows instead, where that depends on its frame rate
    device_scale_factor: int = 1  # of the live page

    @property
    def code(self):
        return ("\ufeff" if self.bom else "") + (SOURCES / self.file).read_text(encoding="utf-8")

    @property
    def html(self):
        return (SOURCES / self.html_file).read_text(encoding="utf-8") if self.html_file else ""


EXAMPLES = [
    Example(
        "book-of-shaders.glsl",
        "shader",
        "a UTF-8 byte-order mark before a Book of Shaders shader",
        [(0.02, 0.5, (5, 51, 153)), (0.98, 0.5, (250, 51, 153)), (0.5, 0.5, (255, 255, 255))],
        bom=True,
    ),
    Example(
        "shadertoy-port.glsl",
        "shader",
        "Shadertoy code with a main() of its own, using iResolution, iTime and iDate undeclared",
        [(0.5, 0.03, (31, 76, 221)), (0.5, 0.97, (221, 88, 31))],
    ),
    Example(
        "glsl-sandbox.glsl",
        "shader",
        "GLSL Sandbox: time, mouse (the centre until it moves) and resolution, its extension line",
        [(0.5, 0.5, (255, 217, 0)), (0.03, 0.05, (13, 0, 64))],
    ),
    Example(
        "glsl-sandbox-surface.glsl",
        "shader",
        "GLSL Sandbox's surfacePosition varying",
        [
            (0.45, 0.5, (0, 230, 102)),
            (0.55, 0.5, (0, 115, 51)),
            (0.03, 0.05, (230, 230, 242)),
            (0.97, 0.95, (115, 115, 121)),
        ],
    ),
    Example(
        "glsl-sandbox-backbuffer.glsl",
        "shader",
        "GLSL Sandbox's backbuffer: the previous frame, so a moving dot leaves a trail",
        [(0.3, 0.5, (255, 255, 255)), (0.6, 0.5, (255, 255, 255)), (0.3, 0.2, (0, 0, 0))],
        live_after_ms=1200,
        # Live, the trail has gaps where frames were far apart (a busy machine draws few): the
        # capture, stepped every 1/60 s, checks the trail; live, the dot at rest after 1 s.
        live_checks=[(0.9, 0.5, (255, 255, 255)), (0.3, 0.2, (0, 0, 0))],
    ),
    Example(
        "glslcanvas-extras.glsl",
        "shader",
        "glslCanvas/glslViewer: u_date, u_delta, u_frame (used undeclared) and the v_texcoord varying",
        [(0.15, 0.5, (0, 255, 0)), (0.5, 0.5, (0, 0, 255)), (0.85, 0.1, (230, 0, 0)), (0.85, 0.9, (26, 0, 0))],
        live_after_ms=300,
    ),
    Example(
        "shadertoy-uniforms.glsl",
        "shader",
        "Shadertoy's whole single-pass set (iTimeDelta, iFrameRate, iChannelTime, iChannelResolution, "
        "iSampleRate, iChannel0-3) and HW_PERFORMANCE",
        [(0.25, 0.5, (204, 204, 204)), (0.75, 0.5, (204, 204, 204)), (0.25, 0.02, (253, 253, 253))],
        live_after_ms=300,
    ),
    Example(
        "derivatives.glsl",
        "shader",
        "WebGL1 fwidth() without the #extension line",
        [(0.5, 0.2, (255, 128, 0)), (0.5, 0.5, (26, 26, 31)), (0.03, 0.05, (26, 26, 31))],
    ),
    Example(
        "desktop-330.glsl",
        "shader",
        "desktop GLSL #version 330 core: its own out, an in vec2 from a vertex shader it does not have",
        [(0.5, 0.97, (0, 0, 0)), (0.01, 0.5, (255, 59, 73)), (0.5, 0.5, (0, 189, 188))],
    ),
    Example(
        "desktop-120.glsl",
        "shader",
        "desktop GLSL #version 120",
        [(0.25, 0.5, (0, 102, 255)), (0.75, 0.5, (255, 102, 0))],
    ),
    Example(
        "missing-version.glsl",
        "shader",
        "GLSL ES 3.00 without its #version 300 es line",
        [(0.05, 0.5, (0, 51, 255)), (0.95, 0.5, (255, 51, 0)), (0.4, 0.5, (128, 51, 128))],
    ),
    Example(
        "shadertoy-2015.glsl",
        "shader",
        "old Shadertoy: iGlobalTime and texture2D",
        [(0.02, 0.98, (5, 5, 128)), (0.98, 0.02, (250, 250, 128))],
    ),
    Example(
        "shadertoy-declared.glsl",
        "shader",
        "Shadertoy code declaring iResolution and iTime itself",
        [(0.02, 0.5, (0, 5, 77)), (0.98, 0.5, (0, 250, 77))],
    ),
    Example(
        "container-info.three.js",
        "three",
        "three.js examples' #container and #info, which the page does not have",
        [(0.5, 0.5, (255, 204, 0)), (0.02, 0.03, (16, 32, 48))],
    ),
    Example(
        "own-canvas-id.canvas.js",
        "canvas",
        "a canvas looked up by an id of its own (#myCanvas)",
        [(0.5, 0.5, (255, 111, 145)), (0.02, 0.03, (45, 27, 78))],
    ),
    Example(
        "canvas-webgl-class.three.js",
        "three",
        "three.js on a canvas looked up by its class (canvas.webgl)",
        [(0.5, 0.5, (68, 170, 136)), (0.02, 0.03, (0, 0, 0))],
    ),
    Example(
        "onload.canvas.js",
        "canvas",
        "window.onload making and appending its own canvas",
        [(0.5, 0.5, (244, 211, 94)), (0.02, 0.03, (11, 122, 117))],
    ),
    Example(
        "domcontentloaded.three.js",
        "three",
        "three.js started on DOMContentLoaded, appending its renderer's canvas",
        [(0.5, 0.5, (238, 51, 34)), (0.02, 0.03, (51, 17, 68))],
    ),
    Example(
        "white-spinner.svg",
        "svg",
        "light art on a transparent background (a white spinner)",
        [(0.5, 0.5, (255, 255, 255)), (0.03, 0.05, DARK), (0.97, 0.95, DARK)],
    ),
    Example(
        "white-particles.canvas.js",
        "canvas",
        "white strokes on a cleared, transparent canvas",
        [(0.5, 0.5, (255, 255, 255)), (0.03, 0.05, DARK), (0.97, 0.95, DARK)],
    ),
    Example(
        "poster-640x480.svg",
        "svg",
        "fixed-size (640x480) art with one-colour edges in a frame of another shape",
        [(0.03, 0.5, (27, 67, 50)), (0.97, 0.1, (27, 67, 50)), (0.5, 0.5, (27, 67, 50)), (0.5, 0.3, (149, 213, 178))],
        size=(1200, 630),
    ),
    Example(
        "gradient-640x480.svg",
        "svg",
        "fixed-size art whose edges differ, in a frame of another shape",
        [(0.03, 0.5, (255, 0, 102)), (0.97, 0.5, (51, 0, 255)), (0.5, 0.5, (255, 255, 255))],
        size=(1200, 630),
    ),
    Example(
        "fixed-400.canvas.js",
        "canvas",
        "a fixed-size (400x400) canvas in a frame of another shape",
        [(0.05, 0.5, (34, 34, 59)), (0.95, 0.5, (34, 34, 59)), (0.5, 0.5, (242, 233, 228))],
    ),
    Example(
        "fixed-360.three.js",
        "three",
        "a three.js renderer of a fixed size (360x360) in a frame of another shape",
        [(0.05, 0.5, (58, 12, 163)), (0.95, 0.5, (58, 12, 163)), (0.5, 0.5, (247, 37, 133))],
    ),
    Example(
        "device-pixel-ratio.canvas.js",
        "canvas",
        "a canvas of innerWidth x devicePixelRatio pixels, on a screen with two pixels per CSS pixel",
        [(0.97, 0.96, (252, 191, 73)), (0.5, 0.5, (0, 48, 73))],
        device_scale_factor=2,
    ),
    Example(
        "hud.canvas.js",
        "canvas",
        "a sketch posted with the HTML it was written with (the html field)",
        [(0.5, 0.5, (230, 57, 70)), (0.9, 0.9, (17, 17, 17))],
        html_file="hud.html",
    ),
    Example(
        "editor-default.p5.js",
        "p5",
        "p5 editor: global mode, a fixed 400x400 createCanvas, background(220) in draw()",
        [(0.5, 0.5, (255, 80, 0)), (0.5, 0.04, (220, 220, 220)), (0.03, 0.5, (220, 220, 220))],
    ),
    Example(
        "openprocessing-hsb.p5.js",
        "p5",
        "OpenProcessing: createCanvas(windowWidth, windowHeight), colorMode(HSB), noise() waves, trails",
        [(0.5, 0.65, (255, 213, 0)), (0.03, 0.97, (10, 31, 51)), (0.97, 0.97, (10, 31, 51))],
    ),
    Example(
        "instance-parent.p5.js",
        "p5",
        "instance mode, a 300x200 canvas put in a #sketch-holder the page does not have",
        [(0.5, 0.5, (255, 255, 255)), (0.1, 0.5, (0, 90, 60)), (0.5, 0.02, (0, 90, 60))],
    ),
    Example(
        "async-setup.p5.js",
        "p5",
        "p5.js 2.x: an async setup() that awaits a timer before the first draw()",
        [(0.5, 0.5, (0, 220, 180)), (0.03, 0.03, (30, 0, 90))],
    ),
    Example(
        "webgl-box.p5.js",
        "p5",
        "WEBGL mode with p5's lights and materials, a fixed 320x320 canvas",
        [(0.5, 0.5, (40, 120, 255)), (0.5, 0.03, (250, 240, 200)), (0.03, 0.5, (250, 240, 200))],
    ),
    Example(
        "preload-data.p5.js",
        "p5",
        "p5.js 1.x: preload() of an image the sketch carries as a data: URL",
        [(0.25, 0.5, (255, 0, 0)), (0.75, 0.5, (0, 255, 0))],
    ),
]

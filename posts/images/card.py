"""The text card served as a post's Open Graph image until the worker has captured the real one.

The title is drawn in a bold face that has Hangul (Noto Sans CJK KR from Debian's fonts-noto-cjk,
found at its known path or through fontconfig); characters that face lacks (Arabic, Thai, ...) are
drawn with whatever installed face fontconfig says has them, so a title is never a row of boxes
when the machine has a font for it.
"""

import functools
import hashlib
import io
import logging
import os
import re
import subprocess
import unicodedata
from bisect import bisect_right

import PIL
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

CARD_SIZE = (1200, 630)
CARD_VERSION = "1"  # change when the drawing changes, so ETags change with it
SITE_NAME = "imagesite"
PADDING = 72
TITLE_SIZES = (80, 68, 58, 50)
TITLE_MAX_LINES = 3
TITLE_LINE_HEIGHT = 1.22
BACKGROUND = (15, 17, 21)
TEXT = (240, 242, 247)
MUTED = (154, 163, 178)
MODEL_COLOURS = {
    "svg": (245, 158, 11),
    "canvas": (16, 185, 129),
    "three": (99, 102, 241),
    "shader": (236, 72, 153),
    "p5": (237, 34, 93),
}
# Debian/Ubuntu (fonts-noto-cjk), Fedora (google-noto-sans-cjk-fonts), Arch (noto-fonts-cjk).
KNOWN_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
HANGUL_SAMPLE = "한"
BOLD_WEIGHT = 200  # fontconfig's FC_WEIGHT_BOLD


@functools.cache
def installed_faces():
    """Every face fontconfig knows, as (file, index, weight, sorted charset ranges); () without fontconfig."""
    try:
        listing = subprocess.run(
            ["fc-list", "-f", "%{file}\t%{index}\t%{weight}\t%{charset}\n"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    faces = []
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[1].isdigit():
            continue
        ranges = []
        for item in parts[3].split():
            low, _, high = item.partition("-")
            ranges.append((int(low, 16), int(high or low, 16)))
        weight = int(parts[2]) if parts[2].isdigit() else 80
        faces.append((parts[0], int(parts[1]), weight, tuple(sorted(ranges))))
    # Bold faces first, then by path, so the choice is the same on every run.
    faces.sort(key=lambda face: (abs(face[2] - BOLD_WEIGHT), face[0], face[1]))
    return tuple(faces)


def covers(ranges, char):
    position = bisect_right(ranges, (ord(char), 0x10FFFF)) - 1
    return position >= 0 and ranges[position][0] <= ord(char) <= ranges[position][1]


def korean_face_index(path):
    """The index of the Korean face in a CJK collection (Han characters in Korean forms), else 0."""
    for index in range(16):
        try:
            name = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if name.endswith(" KR"):
            return index
    return 0


@functools.cache
def title_face():
    """(file, index) of a bold face with Hangul, or None when the machine has none."""
    for path in KNOWN_FONT_FILES:
        if os.path.exists(path):
            return path, korean_face_index(path)
    for path, index, _weight, ranges in installed_faces():
        if covers(ranges, HANGUL_SAMPLE):
            return path, index
    logger.warning("no font with Hangul found (install fonts-noto-cjk); OG cards use Pillow's built-in font")
    return None


@functools.lru_cache(maxsize=1024)
def face_for(char):
    """(file, index) of the face to draw a character with: the title face if it has it, else any that has."""
    primary = title_face()
    ranges_by_face = {(path, index): ranges for path, index, _weight, ranges in installed_faces()}
    if primary is None or primary not in ranges_by_face or covers(ranges_by_face[primary], char):
        return primary
    for path, index, _weight, ranges in installed_faces():
        if covers(ranges, char):
            return path, index
    return primary


@functools.lru_cache(maxsize=64)
def load_font(face, size):
    if face is None:
        return ImageFont.load_default(size)
    path, index = face
    return ImageFont.truetype(path, size, index=index)


def runs(text):
    """Split text into (face, text) runs that one face can draw."""
    result = []
    for char in text:
        # Spaces, combining marks and controls stay in the run around them, so an Arabic phrase
        # stays one run that the layout engine can order right to left.
        joins = result and unicodedata.category(char)[0] in "ZMC"
        face = result[-1][0] if joins else face_for(char)
        if result and result[-1][0] == face:
            result[-1][1] += char
        else:
            result.append([face, char])
    return [(face, part) for face, part in result]


def text_width(text, size):
    return sum(load_font(face, size).getlength(part) for face, part in runs(text))


def wrap(text, size, max_width):
    """Greedy word wrap; a word wider than a line (long CJK or Thai runs) breaks between characters."""
    lines, line = [], ""
    for token in re.findall(r"\S+\s*", text):
        if text_width(line + token.rstrip(), size) <= max_width:
            line += token
            continue
        if line:
            lines.append(line.rstrip())
            line = ""
        for char in token:
            if line and text_width(line + char, size) > max_width and not char.isspace():
                lines.append(line.rstrip())
                line = ""
            line += char
    if line.strip():
        lines.append(line.rstrip())
    return lines


def ellipsize(text, size, max_width):
    while text and text_width(text + "…", size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def fit_title(title, max_width):
    """The largest size at which the title fits in the allowed lines, ellipsised at the smallest size."""
    for size in TITLE_SIZES:
        lines = wrap(title, size, max_width)
        if len(lines) <= TITLE_MAX_LINES:
            return size, lines
    size = TITLE_SIZES[-1]
    lines = wrap(title, size, max_width)
    return size, lines[: TITLE_MAX_LINES - 1] + [ellipsize(lines[TITLE_MAX_LINES - 1], size, max_width)]


def draw_runs(draw, xy, text, size, fill):
    """Draw text run by run on one baseline, so glyphs from different faces line up."""
    x, y = xy
    for face, part in runs(text):
        font = load_font(face, size)
        draw.text((x, y), part, font=font, fill=fill, anchor="ls")
        x += font.getlength(part)
    return x


def background(accent):
    """A dark canvas with a soft glow of the render model's colour in the lower right."""
    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, BACKGROUND)
    glow = Image.radial_gradient("L").resize((1100, 1100)).point(lambda v: max(0, 150 - v) * 255 // 150)
    layer = Image.new("RGB", glow.size, accent)
    image.paste(layer, (width - 600, height - 420), glow.point(lambda v: v * 45 // 100))
    return image


def normalise(text):
    return " ".join(text.split())


def card_etag(*, title, render_model, render_model_label, author):
    """The value of a strong ETag computed from what the card shows, so a revalidation never has to draw it."""
    parts = [CARD_VERSION, PIL.__version__, repr(title_face()), title, render_model, render_model_label, author or ""]
    return "card-" + hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


@functools.lru_cache(maxsize=128)
def render_card(*, title, render_model, render_model_label, author):
    """The 1200×630 PNG card: site name, title (wrapped, ellipsised), render model and author."""
    accent = MODEL_COLOURS.get(render_model, MUTED)
    image = background(accent)
    draw = ImageDraw.Draw(image)
    width, height = CARD_SIZE
    max_width = width - 2 * PADDING

    draw.rounded_rectangle((PADDING, PADDING - 6, PADDING + 30, PADDING + 24), radius=8, fill=accent)
    draw_runs(draw, (PADDING + 46, PADDING + 22), SITE_NAME, 34, TEXT)

    size, lines = fit_title(normalise(title) or "…", max_width)
    line_height = round(size * TITLE_LINE_HEIGHT)
    region_top, region_bottom = 150, height - PADDING - 80
    top = region_top + (region_bottom - region_top - len(lines) * line_height) // 2
    for number, line in enumerate(lines, start=1):
        draw_runs(draw, (PADDING, top + number * line_height - round(size * 0.3)), line, size, TEXT)

    label_size = 30
    label_width = text_width(render_model_label, label_size)
    baseline = height - PADDING
    draw.rounded_rectangle(
        (PADDING, baseline - 40, PADDING + label_width + 40, baseline + 14), radius=27, outline=accent, width=3
    )
    x = draw_runs(draw, (PADDING + 20, baseline - 2), render_model_label, label_size, accent)
    if author:
        room = max_width - (x - PADDING) - 60
        byline = normalise(author)
        if text_width(byline, label_size) > room:
            byline = ellipsize(byline, label_size, room)
        draw_runs(draw, (x + 50, baseline - 2), byline, label_size, MUTED)

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()

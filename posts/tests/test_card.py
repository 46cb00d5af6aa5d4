import io
import os

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from posts.images import card

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # has no Hangul
CARD = {"title": "Red circle", "render_model": "svg", "render_model_label": "SVG", "author": "ada"}


def decode(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def glyph(font, char):
    image = Image.new("L", (120, 120))
    ImageDraw.Draw(image).text((10, 10), char, font=font, fill=255)
    return image


def title_region(image):
    return image.crop((card.PADDING, 150, card.CARD_SIZE[0] - card.PADDING, 480)).convert("L")


def test_card_is_a_1200_by_630_png():
    image = decode(card.render_card(**CARD))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_title_face_is_found_and_has_hangul():
    face = card.title_face()
    assert face is not None, "install a font with Hangul (Debian: fonts-noto-cjk)"
    font = ImageFont.truetype(face[0], 80, index=face[1])
    # Missing glyphs all draw the same .notdef box; real syllables differ from each other.
    assert glyph(font, "한").tobytes() != glyph(font, "글").tobytes()
    assert glyph(font, "한").getbbox() is not None


def test_a_face_without_hangul_would_draw_the_same_box_for_every_syllable():
    """The check above can fail: this is what tofu looks like to it."""
    if not os.path.exists(DEJAVU):
        pytest.skip("DejaVu Sans Bold is not installed")
    font = ImageFont.truetype(DEJAVU, 80)
    assert glyph(font, "한").tobytes() == glyph(font, "글").tobytes()


def test_korean_title_is_drawn_with_real_glyphs(monkeypatch):
    korean = {**CARD, "title": "빛의 파동과 별빛"}
    real = title_region(decode(card.render_card(**korean)))
    if not os.path.exists(DEJAVU):
        pytest.skip("DejaVu Sans Bold is not installed")
    # The same card drawn with a face that lacks Hangul (and no fallback): a row of boxes.
    monkeypatch.setattr(card, "title_face", lambda: (DEJAVU, 0))
    monkeypatch.setattr(card, "installed_faces", lambda: ())
    card.face_for.cache_clear()
    card.load_font.cache_clear()
    try:
        tofu = title_region(decode(card.render_card.__wrapped__(**korean)))
    finally:
        card.face_for.cache_clear()
    assert real.getbbox() is not None  # something was drawn
    assert ImageChops.difference(real, tofu).getbbox() is not None


def test_long_title_is_wrapped_to_three_lines_and_ellipsised():
    title = "A very long title " * 20
    max_width = card.CARD_SIZE[0] - 2 * card.PADDING
    size, lines = card.fit_title(title.strip(), max_width)
    assert size == card.TITLE_SIZES[-1]
    assert len(lines) == card.TITLE_MAX_LINES
    assert lines[-1].endswith("…")
    assert all(card.text_width(line, size) <= max_width for line in lines)


def test_short_title_gets_the_largest_size():
    size, lines = card.fit_title("Red circle", 1000)
    assert (size, lines) == (card.TITLE_SIZES[0], ["Red circle"])


def test_a_word_wider_than_the_line_breaks_between_characters():
    lines = card.wrap("가나다라마바사아자차카타파하" * 4, 80, 600)
    assert len(lines) > 1
    assert "".join(lines) == "가나다라마바사아자차카타파하" * 4


def test_characters_the_title_face_lacks_come_from_a_face_that_has_them():
    faces = card.installed_faces()
    arabic = "م"
    if not any(card.covers(ranges, arabic) for _path, _index, _weight, ranges in faces):
        pytest.skip("no installed font has Arabic")
    face = card.face_for(arabic)
    assert face != card.title_face()
    assert any((path, index) == face and card.covers(ranges, arabic) for path, index, _weight, ranges in faces)


def test_card_etag_follows_what_the_card_shows():
    assert card.card_etag(**CARD) == card.card_etag(**CARD)
    assert card.card_etag(**CARD) != card.card_etag(**{**CARD, "title": "Blue circle"})
    assert card.card_etag(**CARD) != card.card_etag(**{**CARD, "render_model": "shader"})

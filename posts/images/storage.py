import hashlib
import io

from PIL import Image

from posts.models import PostImage


def image_fields(data):
    """The stored columns of a PNG (or any Pillow-readable image): size, hash, flatness."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        mime = Image.MIME.get(image.format, "application/octet-stream")
        extrema = image.convert("RGBA").getextrema()
    is_flat = all(low == high for low, high in extrema)
    return {
        "mime": mime,
        "width": width,
        "height": height,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
        "is_flat": is_flat,
    }


def save_image(*, post, kind, data, **provenance):
    """Store a captured image of a post, replacing the previous one of that kind.

    `provenance`: what made it (PostImage's chromium_version, webgl_renderer, harness_version,
    capture_size, capture_time, capture_ms); what is not given is stored blank.
    """
    blank = {"chromium_version": "", "webgl_renderer": "", "harness_version": "", "capture_size": ""}
    defaults = {**blank, "capture_time": None, "capture_ms": None, **provenance, **image_fields(data)}
    image, _ = PostImage.objects.update_or_create(post=post, kind=kind, defaults=defaults)
    return image

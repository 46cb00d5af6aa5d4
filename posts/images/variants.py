"""The smaller formats made from each capture: WebP and (where Pillow has it) AVIF, at 1× and 2×.

The qualities were chosen by `make bench` (bench/images_bench.py): the lowest whose PSNR against
the captured PNG stays above VISIBLE_LOSS_PSNR on every demo and benchmark post.
"""

import functools
import hashlib
import io
import math
import statistics

from PIL import Image, ImageChops, ImageStat, features

from posts.models import ImageKind

WEBP_QUALITY = 80
AVIF_QUALITY = 60
# A lossy encoding whose PSNR (dB) against its PNG is below this is encoded again at full
# fidelity (WebP lossless, AVIF 4:4:4 at high quality): thin coloured lines lose their colour to
# 4:2:0 chroma subsampling at any quality. Above it no difference shows on a careful look.
VISIBLE_LOSS_PSNR = 40.0
# libavif's effort (0 slowest - 10): 8 encodes in a third of the CPU of 6 for about a tenth more bytes.
AVIF_SPEED = 8
# The kinds that get a 2× variant: the feed shows thumbnails on high-density screens; og:image stays 1×.
KINDS_WITH_2X = {ImageKind.THUMB}
# A capture whose PNG is heavier than this is grain or noise (the demo and benchmark posts' largest
# is 52 KiB; full-frame noise is 900 KiB at 1x, 3 MB at 2x): its lossy encodings are kept whatever
# their PSNR (noise is noise to the eye) and it gets no 2x, so a feed card stays light.
HEAVY_PNG_BYTES = 256 * 1024


@functools.cache
def formats():
    """(mime, Pillow format, lossy options, full-fidelity options) of each format this Pillow writes, best first."""
    found = []
    if features.check("avif"):
        found.append(
            (
                "image/avif",
                "AVIF",
                {"quality": AVIF_QUALITY, "speed": AVIF_SPEED},
                {"quality": 90, "subsampling": "4:4:4", "speed": AVIF_SPEED},
            )
        )
    if features.check("webp"):
        found.append(("image/webp", "WEBP", {"quality": WEBP_QUALITY, "method": 4}, {"lossless": True, "method": 4}))
    return tuple(found)


def encode(image, pillow_format, options):
    buffer = io.BytesIO()
    image.save(buffer, pillow_format, **options)
    return buffer.getvalue()


def fields(data, mime, size, scale):
    return {
        "mime": mime,
        "width": size[0],
        "height": size[1],
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
        "scale": scale,
    }


def downscale(data, size):
    """A PNG resized to `size` (the 1× thumbnail from the 2× capture), with Lanczos filtering."""
    with Image.open(io.BytesIO(data)) as image:
        small = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "PNG")
    return buffer.getvalue()


def derive(data, *, kind, data_2x=None):
    """The variants of a capture: each format at 1×, and the 2× PNG and its formats when the worker took one.

    A format is kept only where it shows the capture without visible loss and is smaller than
    the PNG; otherwise the browser (and the endpoint) falls back to the next format or the PNG.
    A heavy capture (HEAVY_PNG_BYTES) keeps its lossy encodings and gets no 2×.
    """
    heavy = len(data) > HEAVY_PNG_BYTES
    sources = [(data, 1)]
    if data_2x is not None and kind in KINDS_WITH_2X and not heavy:
        sources.append((data_2x, 2))
    result = []
    for source, scale in sources:
        with Image.open(io.BytesIO(source)) as image:
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            if scale != 1:
                result.append(fields(source, "image/png", image.size, scale))
            for mime, pillow_format, lossy, faithful in formats():
                encoded = encode(image, pillow_format, lossy)
                if not heavy and psnr(source, encoded) < VISIBLE_LOSS_PSNR:
                    encoded = encode(image, pillow_format, faithful)
                    if pillow_format != "WEBP" and psnr(source, encoded) < VISIBLE_LOSS_PSNR:
                        continue
                if len(encoded) < len(source):
                    result.append(fields(encoded, mime, image.size, scale))
    return result


def psnr(a_bytes, b_bytes):
    """Peak signal-to-noise ratio (dB) of two images over RGB, the second scaled to the first; inf if equal."""
    a = Image.open(io.BytesIO(a_bytes)).convert("RGB")
    b = Image.open(io.BytesIO(b_bytes)).convert("RGB")
    if a.size != b.size:
        b = b.resize(a.size, Image.Resampling.LANCZOS)
    mse = statistics.fmean(rms**2 for rms in ImageStat.Stat(ImageChops.difference(a, b)).rms)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)

"""An animated preview: PNG frames captured on the virtual clock, encoded as one looping animated WebP."""

import io

from PIL import Image

from capture.browser import PostError

# libwebp's effort (0-6): fixed, so the same frames always give the same bytes.
WEBP_METHOD = 4
# Over its byte budget, an animation is encoded again at a third less quality each time, down to this.
LOWEST_QUALITY = 10


class TooLarge(PostError):
    """Frames that stay over the byte budget even at the lowest quality (noise, grain): no animation."""


def frame_durations(frames, fps):
    """Each frame's display time in whole milliseconds, rounded so frame i starts at round(i * 1000 / fps)."""
    return [round((i + 1) * 1000 / fps) - round(i * 1000 / fps) for i in range(frames)]


def encode(pngs, *, fps, quality, max_bytes):
    """The frames as a looping lossy animated WebP, or None when every frame is the same (the post does not move).

    At `quality`, or at the highest lower quality that fits in `max_bytes`: a feed card fetches its
    animation on hover, and one post of full-frame noise must not cost a visitor megabytes.
    """
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    first = images[0].tobytes()
    if all(image.tobytes() == first for image in images[1:]):
        return None
    while True:
        webp = encode_webp(images, fps=fps, quality=quality)
        if len(webp) <= max_bytes:
            return webp
        if quality <= LOWEST_QUALITY:
            raise TooLarge(
                f"the animated preview weighs {len(webp) // 1024} KB even at quality {quality}, over the "
                f"{max_bytes // 1024} KB budget (CAPTURE_ANIM_MAX_BYTES): the feed shows the still thumbnail"
            )
        quality = max(LOWEST_QUALITY, quality * 2 // 3)


def encode_webp(images, *, fps, quality):
    out = io.BytesIO()
    images[0].save(
        out,
        format="WEBP",
        save_all=True,
        append_images=images[1:],
        duration=frame_durations(len(images), fps),
        loop=0,
        lossless=False,
        quality=quality,
        method=WEBP_METHOD,
        # Every frame a frame of its own (no merging of identical ones), so the count and timing are exact.
        allow_mixed=False,
        minimize_size=False,
    )
    return out.getvalue()

"""An animated preview: PNG frames captured on the virtual clock, encoded as one looping animated WebP."""

import io

from PIL import Image

# libwebp's effort (0-6): fixed, so the same frames always give the same bytes.
WEBP_METHOD = 4


def frame_durations(frames, fps):
    """Each frame's display time in whole milliseconds, rounded so frame i starts at round(i * 1000 / fps)."""
    return [round((i + 1) * 1000 / fps) - round(i * 1000 / fps) for i in range(frames)]


def encode(pngs, *, fps, quality):
    """The frames as a looping lossy animated WebP, or None when every frame is the same (the post does not move)."""
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    first = images[0].tobytes()
    if all(image.tobytes() == first for image in images[1:]):
        return None
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

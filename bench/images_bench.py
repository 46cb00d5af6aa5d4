"""Bytes per thumbnail: PNG vs WebP vs AVIF, the quality of each, and how to capture the 2× thumbnail.

The posts are the demo posts (posts/demo) and the fidelity benchmark's (posts/tests/fidelity),
captured by the worker's CaptureBrowser on a scratch SQLite database three ways, in interleaved
rounds: today's thumbnail (640×480 at device scale factor 1), the 2× one the worker takes (the
same layout at device scale factor 2) and the alternative (a 1280×960 viewport at factor 1).
"Looks right" is the PSNR of each 2× capture, scaled down, against today's thumbnail: the same
picture scores high, a different composition low. Every WebP and AVIF quality in the sweep is
scored by its PSNR against the PNG it was made from; posts/images/variants.py uses the lowest
quality whose worst post stays above VISIBLE_LOSS_PSNR. The feed's card is what a browser that
takes AVIF (every current one) downloads: the AVIF, 1× and 2×, against today's PNG.
"""

import asyncio
import io
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.capture_bench import setup_django

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "images.json"
WEBP_QUALITIES = (70, 75, 80, 85, 90, 95)
AVIF_QUALITIES = (50, 60, 70, 80, 90)
TARGET_CARD_SHARE = 0.40


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def capture_all(posts, modes, rounds):
    """{(post title, mode): {"png", "ms"}} with the median time of `rounds` interleaved rounds."""
    from django.conf import settings

    from capture.browser import CaptureBrowser, CaptureError
    from capture.serve import harness_document, harness_url

    browser = CaptureBrowser()
    await browser.start()
    results = {}
    try:
        for _ in range(rounds):
            for post in posts:
                document = await asyncio.to_thread(harness_document, post.pk)
                for mode, (size, scale) in modes.items():
                    started = time.monotonic()
                    try:
                        png = await browser.capture(
                            url=harness_url(post.pk),
                            document=document,
                            size=size,
                            capture_time=post.capture_time,
                            timeout=settings.CAPTURE_TIMEOUT_SECONDS,
                            scale=scale,
                        )
                    except CaptureError as exc:
                        print(f"  {post.title} {mode}: {exc}")
                        continue
                    entry = results.setdefault((post.title, mode), {"png": png, "ms": []})
                    entry["ms"].append((time.monotonic() - started) * 1000)
    finally:
        await browser.close()
    return results


def encode(png, pillow_format, quality):
    from PIL import Image

    from posts.images import variants

    options = dict(next(lossy for _, f, lossy, _ in variants.formats() if f == pillow_format), quality=quality)
    with Image.open(io.BytesIO(png)) as image:
        return variants.encode(image.convert("RGB"), pillow_format, options)


def stats(values):
    return {"median": statistics.median(values), "p95": percentile(values, 0.95), "min": min(values)}


def main(argv=None):
    tmp = Path(tempfile.mkdtemp(prefix="imagesite-images-bench-"))
    setup_django(f"sqlite:///{tmp / 'bench.sqlite3'}")
    from django.conf import settings
    from PIL import features

    from posts import services
    from posts.demo import DEMOS
    from posts.images import variants
    from posts.tests.fidelity import EXAMPLES

    sources = [
        (f"demo/{d.slug}" if hasattr(d, "slug") else f"demo/{d.title}", d.render_model, d.code, "") for d in DEMOS
    ]
    sources += [(f"fidelity/{e.file}", e.render_model, e.code, e.html) for e in EXAMPLES]
    posts = [
        services.post_create(author=None, title=title, render_model=model, code=code, html=html)
        for title, model, code, html in sources
    ]
    width, height = settings.CAPTURE_THUMB_SIZE
    modes = {"1x": ((width, height), 1), "dsf2": ((width, height), 2), "viewport2x": ((width * 2, height * 2), 1)}
    captures = asyncio.run(capture_all(posts, modes, rounds=2))

    rows = []
    for post in posts:
        if not all((post.title, mode) in captures for mode in modes):
            continue
        today = captures[post.title, "1x"]["png"]
        dsf2 = captures[post.title, "dsf2"]["png"]
        thumb = variants.downscale(dsf2, (width, height))  # the 1x the worker stores now
        row = {
            "post": post.title,
            "ms": {mode: statistics.median(captures[post.title, mode]["ms"]) for mode in modes},
            "looks_right_psnr": {
                mode: variants.psnr(today, captures[post.title, mode]["png"]) for mode in ("dsf2", "viewport2x")
            },
            "png_today": len(today),
            "png_1x": len(thumb),
            "png_2x": len(dsf2),
            "webp": {},
            "avif": {},
        }
        for quality in WEBP_QUALITIES:
            data = encode(thumb, "WEBP", quality)
            row["webp"][quality] = {"bytes": len(data), "psnr": variants.psnr(thumb, data)}
        if features.check("avif"):
            for quality in AVIF_QUALITIES:
                data = encode(thumb, "AVIF", quality)
                row["avif"][quality] = {"bytes": len(data), "psnr": variants.psnr(thumb, data)}
        # What the worker stores, and what a browser that takes AVIF downloads: the first format kept.
        started = time.monotonic()
        derived = variants.derive(thumb, kind="thumb", data_2x=dsf2)
        row["encode_ms"] = (time.monotonic() - started) * 1000
        for scale, png in ((1, thumb), (2, dsf2)):
            kept = {v["mime"]: v for v in derived if v["scale"] == scale}
            card = next((kept[m] for m in ("image/avif", "image/webp") if m in kept), None)
            row[f"card_{scale}x"] = {
                "format": card["mime"] if card else "image/png",
                "bytes": card["bytes"] if card else len(png),
            }
            row[f"card_{scale}x"]["psnr"] = variants.psnr(png, card["data"]) if card else math.inf
        rows.append(row)
        webp = row["webp"][variants.WEBP_QUALITY]["bytes"] / 1024
        avif = row["avif"].get(variants.AVIF_QUALITY, {}).get("bytes", 0) / 1024
        look = row["looks_right_psnr"]
        print(
            f"{post.title:<44} PNG {len(today) / 1024:7.1f} KiB  WebP {webp:6.1f}  AVIF {avif:6.1f}"
            f"  look dsf2 {look['dsf2']:5.1f} dB viewport {look['viewport2x']:5.1f} dB"
        )

    def sweep(fmt, qualities):
        return {
            quality: {
                "bytes": stats([r[fmt][quality]["bytes"] for r in rows]),
                "psnr": stats([r[fmt][quality]["psnr"] for r in rows]),
            }
            for quality in qualities
            if all(quality in r[fmt] for r in rows)
        }

    png_today = stats([r["png_today"] for r in rows])
    summary = {
        "posts": len(rows),
        "png_today_bytes": png_today,
        "png_1x_bytes": stats([r["png_1x"] for r in rows]),
        "png_2x_bytes": stats([r["png_2x"] for r in rows]),
        "webp": sweep("webp", WEBP_QUALITIES),
        "avif": sweep("avif", AVIF_QUALITIES),
        "chosen": {
            "webp": variants.WEBP_QUALITY,
            "avif": variants.AVIF_QUALITY,
            "psnr_floor": variants.VISIBLE_LOSS_PSNR,
        },
        "capture_ms": {mode: stats([r["ms"][mode] for r in rows]) for mode in modes},
        "looks_right_psnr": {m: stats([r["looks_right_psnr"][m] for r in rows]) for m in ("dsf2", "viewport2x")},
    }
    card_1x = [r["card_1x"]["bytes"] / r["png_today"] for r in rows]
    card_2x = [r["card_2x"]["bytes"] / r["png_today"] for r in rows]
    summary["feed_card"] = {
        "formats_1x": dict(Counter(r["card_1x"]["format"] for r in rows)),
        "bytes_1x": stats([r["card_1x"]["bytes"] for r in rows]),
        "bytes_2x": stats([r["card_2x"]["bytes"] for r in rows]),
        "psnr_1x": stats([r["card_1x"]["psnr"] for r in rows]),
        "share_of_png_1x": stats(card_1x),
        "share_of_png_2x_screens": stats(card_2x),
        "target": TARGET_CARD_SHARE,
        "met": statistics.median(card_1x) < TARGET_CARD_SHARE,
    }
    summary["encode_ms"] = stats([r["encode_ms"] for r in rows])
    for fmt in ("webp", "avif"):
        for q, entry in summary[fmt].items():
            size, quality_db = entry["bytes"], entry["psnr"]
            print(
                f"{fmt} q={q:<3} median {size['median'] / 1024:6.1f} KiB p95 {size['p95'] / 1024:6.1f} KiB"
                f"  PSNR median {quality_db['median']:5.1f} min {quality_db['min']:5.1f} dB"
            )
    card = summary["feed_card"]
    print(
        f"PNG today: median {png_today['median'] / 1024:.1f} KiB, p95 {png_today['p95'] / 1024:.1f} KiB; "
        f"feed card {card['formats_1x']}: median {card['bytes_1x']['median'] / 1024:.1f} KiB, "
        f"p95 {card['bytes_1x']['p95'] / 1024:.1f} KiB, PSNR min {card['psnr_1x']['min']:.1f} dB; "
        f"median {statistics.median(card_1x):.0%} of the PNG at 1x, "
        f"{statistics.median(card_2x):.0%} on 2x screens (goal < {TARGET_CARD_SHARE:.0%}); "
        f"variants encoded in {summary['encode_ms']['median']:.0f} ms median per thumbnail (1x + 2x)"
    )
    for mode in ("1x", "dsf2", "viewport2x"):
        ms = summary["capture_ms"][mode]
        print(f"capture {mode:<10} median {ms['median']:6.0f} ms p95 {ms['p95']:6.0f} ms")
    for mode in ("dsf2", "viewport2x"):
        entry = summary["looks_right_psnr"][mode]
        print(
            f"2x by {mode:<10} vs today's thumbnail: PSNR median {entry['median']:5.1f} dB, min {entry['min']:5.1f} dB"
        )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    RESULTS.write_text(json.dumps({"machine": machine, "rows": rows, "summary": summary}, indent=2, default=str))
    print(f"figures written to {RESULTS.relative_to(BASE_DIR)}")
    return 0 if summary["feed_card"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())

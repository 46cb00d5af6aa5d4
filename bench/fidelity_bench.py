"""Fidelity: the share of pasted-style posts captured non-blank, and the share captured the same twice.

The posts are ours (posts/tests/fidelity: every shader dialect and page habit the harness
recognises), captured by the worker's CaptureBrowser at both image sizes, in two rounds (every
post once, then every post again), on a scratch SQLite database. Non-blank: the capture succeeded
and is not one flat colour. Deterministic: the two rounds gave the same bytes.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.capture_bench import setup_django

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "fidelity.json"


async def capture_all(posts, sizes, rounds):
    """Every (post, size) captured `rounds` times, round after round: {(file, size): [png or error]}."""
    from django.conf import settings

    from capture.browser import CaptureBrowser, CaptureError
    from capture.serve import harness_document, harness_url

    browser = CaptureBrowser()
    await browser.start()
    outcomes = {}
    try:
        for _ in range(rounds):
            for example, post in posts:
                document = await asyncio.to_thread(harness_document, post.pk)
                for size in sizes:
                    started = time.monotonic()
                    try:
                        png = await browser.capture(
                            url=harness_url(post.pk),
                            document=document,
                            size=size,
                            capture_time=post.capture_time,
                            timeout=settings.CAPTURE_TIMEOUT_SECONDS,
                        )
                        outcome = {"png": png}
                    except CaptureError as exc:
                        outcome = {"error": str(exc)}
                    outcome["ms"] = (time.monotonic() - started) * 1000
                    outcomes.setdefault((example.file, size), []).append(outcome)
    finally:
        await browser.close()
    return outcomes


def judge(captures):
    """One (post, size): captured non-blank, the same bytes every round, and why not."""
    from posts.images.storage import image_fields

    errors = [c["error"] for c in captures if "error" in c]
    pngs = [c["png"] for c in captures if "png" in c]
    flat = any(image_fields(png)["is_flat"] for png in pngs)
    return {
        "non_blank": not errors and not flat,
        "deterministic": not errors and len(set(pngs)) == 1,
        "error": errors[0] if errors else ("one flat colour" if flat else None),
        "ms": statistics.median(c["ms"] for c in captures),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="captures of each post and size (default 2)")
    parser.add_argument("--render-model", help="only the posts of this render model, e.g. p5 (default: all)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="imagesite-fidelity-bench-"))
    setup_django(f"sqlite:///{tmp / 'bench.sqlite3'}")
    from django.conf import settings

    from posts import services
    from posts.tests.fidelity import EXAMPLES

    posts = [
        (
            example,
            services.post_create(
                author=None,
                title=example.file,
                render_model=example.render_model,
                code=example.code,
                html=example.html,
            ),
        )
        for example in EXAMPLES
        if args.render_model in (None, example.render_model)
    ]
    sizes = [settings.CAPTURE_THUMB_SIZE, settings.CAPTURE_OG_SIZE]
    outcomes = asyncio.run(capture_all(posts, sizes, args.rounds))

    results = []
    for example, _ in posts:
        for size in sizes:
            verdict = judge(outcomes[example.file, size])
            shown = "x".join(map(str, size))
            results.append({"file": example.file, "habit": example.habit, "size": shown, **verdict})
            mark = "ok" if verdict["non_blank"] and verdict["deterministic"] else "FAIL"
            print(f"{mark:<5}{example.file:<34}{shown:>9}{verdict['ms']:>8.0f} ms  {verdict['error'] or ''}")
    total = len(results)
    summary = {
        "posts": len(posts),
        "captures": total * args.rounds,
        "non_blank_share": sum(r["non_blank"] for r in results) / total,
        "deterministic_share": sum(r["deterministic"] for r in results) / total,
        "median_ms": statistics.median(r["ms"] for r in results),
    }
    print(
        f"{summary['posts']} posts x {len(sizes)} sizes x {args.rounds} rounds: "
        f"non-blank {summary['non_blank_share']:.1%}, deterministic {summary['deterministic_share']:.1%}, "
        f"median capture {summary['median_ms']:.0f} ms"
    )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    RESULTS.write_text(
        json.dumps({"machine": machine, "args": vars(args), "results": results, "summary": summary}, indent=2)
    )
    print(f"figures written to {RESULTS.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

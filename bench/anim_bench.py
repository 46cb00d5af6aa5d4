"""Animated previews: CPU-seconds and bytes per animation by render model, next to the thumbnail's.

The demo posts of each render model (posts/demo.py), captured by capture_queue in its own process
on a scratch SQLite database: first their thumbnails alone, then their animations alone (the
settings' defaults: CAPTURE_ANIM_SECONDS at CAPTURE_ANIM_FPS, CAPTURE_ANIM_QUALITY). CPU is the
worker's and every process under it (Chromium's), less an empty run's of the same round (the
browser's launch), per capture; rounds are interleaved, and the medians are the figures to quote.
Bytes are of the stored images. Results go to bench/results/anim.json.
"""

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.capture_bench import MODELS, percentile, setup_django

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "anim.json"
ROUNDS = 3


def cpu_of_queue(env):
    """CPU-seconds of one capture_queue run over what is queued (the worker and all its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "manage.py", "capture_queue", "--skip-checks"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    failed = re.search(r" (\d+) failed", result.stdout)
    if result.returncode or not failed or failed[1] != "0":
        raise SystemExit(f"bench: capture_queue failed:\n{result.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    with tempfile.TemporaryDirectory() as scratch:
        database_url = f"sqlite:///{scratch}/bench.sqlite3"
        setup_django(database_url)
        env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "imagesite.settings"}
        return measure(env)


def measure(env):
    from django.conf import settings

    from posts import jobs, services
    from posts.demo import DEMOS
    from posts.models import ImageKind, Post, PostImage, PostImageJob

    cpu = {model: {"thumb": [], "anim": []} for model in MODELS}
    empty = []
    for round_number in range(ROUNDS):
        empty.append(cpu_of_queue(env))
        for model in MODELS:
            demos = [demo for demo in DEMOS if demo.render_model == model]
            posts = [
                services.post_create(
                    author=None, title=f"anim {round_number} {model} {n}", render_model=model, code=demo.code
                )
                for n, demo in enumerate(demos)
            ]
            ids = [post.pk for post in posts]
            PostImageJob.objects.filter(post_id__in=ids, kind=ImageKind.OG).delete()
            Post.objects.filter(pk__in=ids).update(moves=False)  # the thumbnails alone: queue no animation
            cpu[model]["thumb"].append((cpu_of_queue(env) - empty[-1]) / len(posts))
            Post.objects.filter(pk__in=ids).update(moves=None)
            for post in Post.objects.filter(pk__in=ids):
                jobs.enqueue_anim(post)
            cpu[model]["anim"].append((cpu_of_queue(env) - empty[-1]) / len(posts))
    launch = statistics.median(empty)

    report = {"launch_cpu_s": round(launch, 2), "budget_bytes": settings.CAPTURE_ANIM_MAX_BYTES, "models": {}}
    print(f"anim bench: {ROUNDS} rounds; an empty worker run (the browser's launch) costs {launch:.2f} CPU-s")
    print(f"{'model':8} {'thumb CPU-s':>11} {'anim CPU-s':>10} {'thumb KB med/p95':>17} {'anim KB med/p95':>16} moving")
    all_anims = []
    for model in MODELS:
        images = PostImage.objects.filter(post__render_model=model)
        thumbs = list(images.filter(kind=ImageKind.THUMB).values_list("bytes", flat=True))
        anims = list(images.filter(kind=ImageKind.ANIM).values_list("bytes", flat=True))
        all_anims += anims
        moving = f"{Post.objects.filter(render_model=model, moves=True).count()}/{len(thumbs)}"
        row = {
            "thumb_cpu_s": round(statistics.median(cpu[model]["thumb"]), 2),
            "anim_cpu_s": round(statistics.median(cpu[model]["anim"]), 2),
            "thumb_bytes": [statistics.median(thumbs), percentile(thumbs, 0.95)],
            "anim_bytes": [statistics.median(anims), percentile(anims, 0.95)] if anims else None,
            "moving": moving,
        }
        report["models"][model] = row
        anim_kb = "—" if not anims else f"{row['anim_bytes'][0] / 1000:.0f}/{row['anim_bytes'][1] / 1000:.0f}"
        print(
            f"{model:8} {row['thumb_cpu_s']:>11.2f} {row['anim_cpu_s']:>10.2f} "
            f"{row['thumb_bytes'][0] / 1000:>8.0f}/{row['thumb_bytes'][1] / 1000:<8.0f} {anim_kb:>16} {moving}"
        )
    if all_anims:
        report["anim_bytes"] = [statistics.median(all_anims), percentile(all_anims, 0.95)]
        over = sum(size > settings.CAPTURE_ANIM_MAX_BYTES for size in all_anims)
        print(
            f"all animations: median {report['anim_bytes'][0] / 1000:.0f} KB,"
            f" p95 {report['anim_bytes'][1] / 1000:.0f} KB;"
            f" {over} of {len(all_anims)} over the {settings.CAPTURE_ANIM_MAX_BYTES / 2**20:.1f} MB budget"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    return 0

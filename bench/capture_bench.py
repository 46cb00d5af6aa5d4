"""Capture throughput and upload-to-thumbnail latency of capture_queue, next to the seed's method.

The seed's method, measured in the same run on the same Chromium: a browser launched per capture,
set_content of the harness page, a fixed 800 ms wait, one screenshot. Everything runs on a scratch
SQLite database; rounds are interleaved because the machine is shared and noisy, and the medians
are the figures to quote. `--against PATH` (or NAME=PATH, repeatable) also runs other checkouts'
workers (e.g. main) in the same rounds, so a change to the worker is measured as paired, interleaved runs.
"""

import argparse
import json
import os
import platform
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "capture.json"
MODELS = ["svg", "canvas", "three", "shader", "p5"]
TARGET_RATIO = 10
TARGET_LATENCY_P95 = 3.0
SEED_WAIT_MS = 800
JOB_LINE = re.compile(r"^(\S+ \S+) \w+ capture\.worker: post=(\S+) kind=(\w+) outcome=(\w+) attempt=\d+ ms=(\d+)")
STARTED_LINE = re.compile(r"^(\S+ \S+) INFO capture\.worker: worker \S+ started")
# The logger names of the worker before it was one module (capture.worker.job, capture.worker.loop).
OLD_LOGGER = re.compile(r" capture\.worker\.(job|loop): ")


def log_time(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagesite.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_posts(model, count, tag):
    """Posts of one render model, copied from the demo posts (each new post has its own seed)."""
    from posts import services
    from posts.demo import DEMOS

    demos = [demo for demo in DEMOS if demo.render_model == model]
    return [
        services.post_create(
            author=None, title=f"bench {tag} {model} {n}", render_model=model, code=demos[n % len(demos)].code
        )
        for n in range(count)
    ]


def run_queue(env, *args, checkout=BASE_DIR):
    """Run capture_queue once over what is queued; return captures, per-capture ms and steady-state seconds."""
    command = [sys.executable, "manage.py", "capture_queue", "--skip-checks", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=1800)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the worker and every process under it (Playwright's driver, Chromium's), all reaped by now.
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [OLD_LOGGER.sub(" capture.worker: ", line) for line in result.stderr.splitlines()]
    jobs = [match.groups() for match in map(JOB_LINE.match, lines) if match]
    started = [log_time(match[1]) for match in map(STARTED_LINE.match, lines) if match]
    failed = [job for job in jobs if job[3] not in {"success", "flat"}]
    if result.returncode or not started or not jobs or failed:
        raise SystemExit(f"bench: capture_queue did not capture everything:\n{result.stderr[-3000:]}")
    # From the worker's start (browser up) to its last capture: the rate a running worker sustains.
    seconds = log_time(jobs[-1][0]) - started[0]
    return {"captures": len(jobs), "seconds": seconds, "ms": [int(job[4]) for job in jobs], "cpu_s": cpu_seconds}


def worker(env, model, count, tag, *, concurrency, checkout):
    make_posts(model, count, tag)
    return run_queue(env, "--concurrency", str(concurrency), checkout=checkout)


def seed_documents(model, count, tag):
    """The harness page of each post (live mode, as the seed loaded it), for set_content."""
    from capture.serve import RENDER_ORIGIN
    from posts.render.document import render_document

    documents = []
    for post in make_posts(model, count, f"{tag}-seed"):
        html = render_document(post).content.decode()
        # set_content leaves the page at about:blank: resolve the harness's /static/ URLs against our origin.
        documents.append(html.replace("<head>", f'<head><base href="{RENDER_ORIGIN}/">', 1))
    return documents


def seed(documents, sizes):
    """The seed's capture: launch a browser, set_content, wait 800 ms, screenshot, close; seconds per capture."""
    from playwright.sync_api import sync_playwright

    from capture.browser import find_chromium
    from capture.serve import StaticFiles

    static = StaticFiles()

    def serve_static(route):
        # The harness's scripts, from memory as the worker serves them (the seed fetched them from its server).
        found = static.get(route.request.url.split("render.imagesite.invalid", 1)[-1].split("?")[0])
        if found is None:
            route.abort()
        else:
            route.fulfill(status=found.status, headers=found.headers, body=found.body)

    seconds = []
    with sync_playwright() as playwright:
        executable = find_chromium(playwright, headless_shell=True)
        for html in documents:
            for width, height in sizes:
                started = time.monotonic()
                browser = playwright.chromium.launch(executable_path=executable)
                page = browser.new_page(viewport={"width": width, "height": height})
                page.route("**/*", serve_static)
                page.set_content(html)
                page.wait_for_timeout(SEED_WAIT_MS)
                page.screenshot(type="png")
                browser.close()
                seconds.append(time.monotonic() - started)
    return {"captures": len(seconds), "seconds": sum(seconds), "ms": [s * 1000 for s in seconds]}


def latency(env, uploads, tmp):
    """Seconds from a post being created (what POST /api/posts does) to its thumbnail being stored.

    One upload at a time, at a random moment of the worker's poll interval once the previous post's
    thumbnail and OG card are stored: often while its animation is being captured, which gives way.
    """
    from posts.models import PostImage

    log = open(tmp / "watch.log", "w")
    command = [sys.executable, "manage.py", "capture_queue", "--skip-checks", "--watch", "--interval", "1"]
    worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "started" not in (tmp / "watch.log").read_text():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"bench: the watching worker did not start:\n{(tmp / 'watch.log').read_text()}")
            time.sleep(0.1)
        rng = random.Random(1)
        seconds = []
        for n in range(uploads):
            time.sleep(rng.uniform(0, 1))
            started = time.monotonic()
            (post,) = make_posts(MODELS[n % len(MODELS)], 1, f"latency-{n}")
            thumb = None
            while PostImage.objects.filter(post=post).count() < 2:
                if thumb is None and PostImage.objects.filter(post=post, kind="thumb").exists():
                    thumb = time.monotonic() - started
                if time.monotonic() - started > 60:
                    raise SystemExit(f"bench: no images after 60 s:\n{(tmp / 'watch.log').read_text()[-3000:]}")
                time.sleep(0.02)
            seconds.append(thumb if thumb is not None else time.monotonic() - started)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        log.close()
    return seconds


def per_minute(*results):
    """Captures per minute over one or more runs taken together (a mixed set when one run per model)."""
    return 60 * sum(r["captures"] for r in results) / sum(r["seconds"] for r in results)


def summarize(rounds, latencies):
    configs = list(rounds[0])
    summary = {"per_model": {}, "mixed_per_minute": {}, "ratio": {}}
    for config in configs:
        for model in MODELS:
            runs = [r[config][model] for r in rounds]
            ms = [value for run in runs for value in run["ms"]]
            summary["per_model"].setdefault(model, {})[config] = {
                "per_minute": statistics.median(per_minute(run) for run in runs),
                "p50_ms": percentile(ms, 0.5),
                "p95_ms": percentile(ms, 0.95),
                # Includes the worker's start (Python, Django, a browser launch): compare models, not runs.
                "cpu_ms_per_capture": statistics.median(1000 * run["cpu_s"] / run["captures"] for run in runs)
                if all("cpu_s" in run for run in runs)
                else None,
            }
        # A mixed set: the same number of captures of each model, one after another.
        summary["mixed_per_minute"][config] = statistics.median(per_minute(*r[config].values()) for r in rounds)
    if "seed" in configs:
        for config in configs:
            summary["ratio"][config] = summary["mixed_per_minute"][config] / summary["mixed_per_minute"]["seed"]
    for config in configs:
        name, concurrency = config.rsplit("_", 1) if "_" in config else (config, "")
        if name != "ours" and f"ours_{concurrency}" in configs:
            # Paired: each round's mixed rate against the other checkout's in the same round.
            ratios = [per_minute(*r[f"ours_{concurrency}"].values()) / per_minute(*r[config].values()) for r in rounds]
            summary["ratio"][f"ours_{concurrency}/{name}"] = statistics.median(ratios)
    if latencies:
        summary["latency_s"] = {
            "p50": percentile(latencies, 0.5),
            "p95": percentile(latencies, 0.95),
            "n": len(latencies),
        }
    return summary


def cpu_ms(cell):
    return cell.get("cpu_ms_per_capture") or 0  # the seed's method runs in this process: not measured


def print_table(summary):
    configs = list(summary["mixed_per_minute"])
    print(f"{'captures/min, p50/p95 ms, CPU ms':<32}" + "".join(f"{config:>30}" for config in configs))
    for model in MODELS:
        cells = [summary["per_model"][model][config] for config in configs]
        print(
            f"{model:<32}"
            + "".join(
                f"{c['per_minute']:>8.0f} {c['p50_ms']:>6.0f}/{c['p95_ms']:<6.0f} {cpu_ms(c):>6.0f}  " for c in cells
            )
        )
    print(f"{'mixed set':<32}" + "".join(f"{summary['mixed_per_minute'][c]:>28.0f}  " for c in configs))
    for name, ratio in summary["ratio"].items():
        print(f"ratio {name}: {ratio:.2f}")
    if "seed" in configs:
        print(f"target: >= {TARGET_RATIO}x the seed's captures/min over the mixed set")
    if "latency_s" in summary:
        lat = summary["latency_s"]
        print(
            f"upload -> thumbnail with --watch --interval 1: p50 {lat['p50']:.2f} s, p95 {lat['p95']:.2f} s"
            f" over {lat['n']} uploads (target p95 < {TARGET_LATENCY_P95:g} s)"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--posts", type=int, default=5, help="posts per render model and round, 2 captures each (default 5)"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 2], help="worker concurrencies to run (default: 1 2)"
    )
    parser.add_argument("--seed-posts", type=int, default=1, help="posts per model and round for the seed (default 1)")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed's method (default: run it)")
    parser.add_argument("--uploads", type=int, default=20, help="uploads for the latency measurement (default 20)")
    parser.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="[NAME=]PATH",
        help="another checkout whose worker runs in the same rounds, as NAME_c<N> (default name: base); repeatable",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"where the JSON goes (default: {RESULTS})")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="imagesite-capture-bench-"))
    setup_django(f"sqlite:///{tmp / 'bench.sqlite3'}")
    from django.conf import settings
    from django.db import connections

    # Throughput is of thumbnails and OG cards, what the seed's method makes (animations have their own
    # benchmark, anim_bench); the latency runs as deployed, animations on, which new posts must not wait for.
    env = {**os.environ, "LOG_LEVEL": "INFO"}
    throughput_env = {**env, "CAPTURE_ANIM_SECONDS": "0"}
    sizes = [settings.CAPTURE_THUMB_SIZE, settings.CAPTURE_OG_SIZE]
    checkouts = {"ours": BASE_DIR}
    for against in args.against:
        name, _, path = against.rpartition("=")
        checkouts[name or "base"] = Path(path).resolve()
    configs = [(name, c) for c in args.concurrency for name in checkouts]
    rounds, loads = [], []
    for number in range(1, args.rounds + 1):
        result = {f"{name}_c{c}": {} for name, c in configs} | ({} if args.no_seed else {"seed": {}})
        # Alternate which checkout goes first, so a drift in the machine's load favours neither.
        order = configs if number % 2 else [(name, c) for c in args.concurrency for name in reversed(checkouts)]
        for model in MODELS:
            tag = f"r{number}"
            for name, c in order:
                result[f"{name}_c{c}"][model] = worker(
                    throughput_env, model, args.posts, f"{tag}-{name}-c{c}", concurrency=c, checkout=checkouts[name]
                )
            if not args.no_seed:
                documents = seed_documents(model, args.seed_posts, tag)
                connections.close_all()
                result["seed"][model] = seed(documents, sizes)
        rounds.append(result)
        loads.append(os.getloadavg()[0])
        rates = ", ".join(f"{config} {per_minute(*runs.values()):.0f}" for config, runs in result.items())
        print(f"round {number}: mixed captures/min: {rates} (load {loads[-1]:.1f})", flush=True)
    latencies = latency(env, args.uploads, tmp) if args.uploads else []
    summary = summarize(rounds, latencies)
    print_table(summary)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}
    machine["load_per_round"] = loads
    arguments = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    args.output.write_text(
        json.dumps({"machine": machine, "args": arguments, "rounds": rounds, "summary": summary}, indent=2)
    )
    print(f"figures written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

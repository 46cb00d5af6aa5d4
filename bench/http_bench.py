"""Requests per second of the image endpoint and the listing, as ratios to a minimal view in the same gunicorn.

Rounds are interleaved because the machine is shared and noisy; the medians are the figures to quote.
"""

import argparse
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "http.json"
POSTS = 24
TARGETS = {"image_200": 0.7, "image_304": 0.9, "listing": 0.5}


def noise_png(seed):
    """A 640x480 PNG of blocky noise, about 50 KB: noise, so that it does not compress to nothing."""
    from PIL import Image

    rng = random.Random(seed)
    small = Image.frombytes("RGB", (112, 84), rng.randbytes(112 * 84 * 3))
    buffer = io.BytesIO()
    small.resize((640, 480), Image.NEAREST).save(buffer, "PNG")
    return buffer.getvalue()


def create_posts():
    """Migrate and add posts with authors and thumbnails; return what to delete afterwards and one image."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from posts import services
    from posts.images import storage

    call_command("migrate", verbosity=0, interactive=False)
    tag = secrets.token_hex(4)
    authors = [get_user_model().objects.create_user(f"bench-{tag}-{n}") for n in range(4)]
    posts = []
    for n in range(POSTS):
        post = services.post_create(
            author=authors[n % len(authors)], title=f"Bench post {n}", render_model="svg", code="<svg/>"
        )
        image = storage.save_image(post=post, kind="thumb", data=noise_png(n))
        posts.append(post)
    connections.close_all()
    return authors, posts, image


def delete_posts(authors, posts):
    from django.db import connections

    for post in posts:
        post.delete()
    for author in authors:
        author.delete()
    connections.close_all()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def start_gunicorn(env, port, workers, threads, log):
    command = [
        *(sys.executable, "-m", "gunicorn", "imagesite.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)),
        *("--worker-class", "gthread" if threads > 1 else "sync", "--error-logfile", str(log)),
    ]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if fetch(f"http://127.0.0.1:{port}/bench/minimal")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"bench: gunicorn did not start; see {log}")


def check_endpoints(endpoints):
    """Make sure each URL answers what it is meant to measure, so a fast error page is never counted."""
    for name, (url, headers, status, min_bytes) in endpoints.items():
        got, body = fetch(url, dict(h.split(": ", 1) for h in headers))
        if got != status or len(body) < min_bytes:
            raise SystemExit(f"bench: {name} answered {got} with {len(body)} bytes, expected {status}")


def worker_cpu_seconds(*masters):
    """CPU seconds used so far by the workers of these servers (gunicorn, nginx), or None where /proc cannot tell."""
    try:
        workers = [pid for master in masters for pid in open(f"/proc/{master}/task/{master}/children").read().split()]
        # Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks.
        ticks = sum(sum(map(int, open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13])) for pid in workers)
    except OSError:
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def load(url, headers, seconds, connections, *masters):
    """Requests per second for one URL with wrk (C, so it leaves the cores to the servers), and CPU ms per request."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", url]
    for header in headers:
        command += ["-H", header]
    cpu_before = worker_cpu_seconds(*masters)
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    cpu_after = worker_cpu_seconds(*masters)
    if re.search(r"Non-2xx or 3xx responses|Socket errors: .*timeout [1-9]", out):
        raise SystemExit(f"bench: errors while loading {url}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out)[1])
    cpu_ms = None if cpu_before is None or cpu_after is None else 1000 * (cpu_after - cpu_before) / requests
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]), "cpu_ms": cpu_ms}


def row(label, cells):
    print(f"{label:<15}" + "".join(f"{cell:>17}" for cell in cells))


def print_table(rounds, summary):
    names = list(summary["median_rps"])
    row("req/s (ratio)", names)
    for number, result in enumerate(rounds, 1):
        minimal = result["minimal"]["rps"]
        row(f"round {number}", [f"{result[n]['rps']:.0f} ({result[n]['rps'] / minimal:.2f}x)" for n in names])
    row("median", [f"{summary['median_rps'][n]:.0f} ({summary['median_ratio'].get(n, 1):.2f}x)" for n in names])
    row("target", [f">= {TARGETS[n]:.2f}x" if n in TARGETS else "" for n in names])
    if summary["median_cpu_ms"]:
        cpu, ratio = summary["median_cpu_ms"], summary["cpu_ratio"]
        row("CPU ms/request", [f"{cpu[n]:.2f} ({ratio.get(n, 1):.2f}x)" for n in names])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--seconds", type=int, default=3, help="seconds of load per endpoint and round (default 3)")
    parser.add_argument("--connections", type=int, default=8, help="wrk's keep-alive connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker; 1 means sync workers (default 4)")
    args = parser.parse_args(argv)
    # A plain kill must still stop gunicorn and delete the scratch data, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        raise SystemExit("bench: needs wrk (on Debian/Ubuntu: sudo apt-get install wrk)")

    tmp = Path(tempfile.mkdtemp(prefix="imagesite-bench-"))
    port = free_port()
    # A given DATABASE_URL (e.g. MariaDB) keeps its other rows; the posts made here are deleted afterwards.
    given_database = os.environ.get("DATABASE_URL")
    database_url = given_database or f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    os.environ.update(env)
    server = None
    authors, posts, image = create_posts()
    try:
        server = start_gunicorn(env, port, args.workers, args.threads, tmp / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        image_url = base + image.url
        endpoints = {  # name: (url, headers, expected status, least body bytes)
            "minimal": (f"{base}/bench/minimal", [], 200, 2),
            "image_200": (image_url, [], 200, image.bytes),
            "image_304": (image_url, [f'If-None-Match: "{image.sha256}"'], 304, 0),
            "listing": (f"{base}/api/posts", [], 200, 1000),
        }
        check_endpoints(endpoints)
        for url, headers, *_ in endpoints.values():  # warm up: imports, connections, caches
            load(url, headers, 1, args.connections, server.pid)
        rounds = []
        for number in range(args.rounds):
            # Rotate the order so no endpoint always runs first (or last) in a round.
            names = list(endpoints)[number % 4 :] + list(endpoints)[: number % 4]
            result = {name: load(*endpoints[name][:2], args.seconds, args.connections, server.pid) for name in names}
            rounds.append({name: result[name] for name in endpoints})
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if given_database:
            delete_posts(authors, posts)
        shutil.rmtree(tmp, ignore_errors=True)

    def median(name, key):
        return statistics.median(r[name][key] for r in rounds)

    cpu_known = all(r[n]["cpu_ms"] is not None for r in rounds for n in endpoints)
    cpu = {name: median(name, "cpu_ms") for name in endpoints} if cpu_known else {}
    summary = {
        "config": {
            "database": database_url.split(":", 1)[0],
            "gunicorn": f"{args.workers} workers, "
            + (f"gthread, {args.threads} threads" if args.threads > 1 else "sync"),
            "wrk": f"1 thread, {args.connections} connections, {args.seconds} s per endpoint and round",
            "rounds": args.rounds,
            "image_bytes": image.bytes,
            "cpus": os.cpu_count(),
        },
        "median_rps": {name: median(name, "rps") for name in endpoints},
        # The median of each round's ratio: both figures of a ratio come from the same minute of the machine.
        "median_ratio": {n: statistics.median(r[n]["rps"] / r["minimal"]["rps"] for r in rounds) for n in TARGETS},
        "targets": TARGETS,
        # CPU time per request barely moves when other processes take the cores, unlike requests per second.
        "median_cpu_ms": cpu,
        "cpu_ratio": {n: cpu["minimal"] / cpu[n] for n in TARGETS} if cpu else {},
        "rounds": rounds,
    }
    print_table(rounds, summary)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

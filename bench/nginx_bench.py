"""Images per second served by nginx from image files vs the minimal Django view, in the same run.

The production setup of docs/production.md (deploy/local.py: nginx with TLS in front of gunicorn on
loopback, DJANGO_DEBUG=0). Four URLs, in interleaved rounds: the minimal Django view and the image
endpoint (the database backend) asked of gunicorn directly, and the minimal view and the same PNG
as a file (the files backend's layout, images/<sha256>.png under IMAGE_FILES_DIR) asked of nginx
over TLS. The headline is the file through nginx against the minimal view through nginx: the same
front, the same TLS, only what answers differs.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
from pathlib import Path

from bench.http_bench import check_endpoints, create_posts, load
from deploy.local import NGINX, LocalProduction

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "nginx.json"
BASELINES = {  # each endpoint's ratio is to the minimal view asked the same way
    "minimal": "minimal",
    "image_endpoint": "minimal",
    "minimal_nginx": "minimal_nginx",
    "image_file_nginx": "minimal_nginx",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--seconds", type=int, default=3, help="seconds of load per URL and round (default 3)")
    parser.add_argument("--connections", type=int, default=8, help="wrk's keep-alive connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2, one per core)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for tool in ("wrk", "openssl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench: needs {tool} (on Debian/Ubuntu: sudo apt-get install {tool})")
    if not Path(NGINX).exists():
        raise SystemExit("bench: needs nginx (make setup installs it as root; or: sudo apt-get install nginx)")

    tmp = Path(tempfile.mkdtemp(prefix="imagesite-bench-nginx-"))
    site = LocalProduction(tmp, workers=args.workers, env={"DJANGO_SETTINGS_MODULE": "bench.settings"})
    os.environ.update(site.env)
    try:
        _, _, image = create_posts()  # a post with a ~46 KB PNG thumbnail in the database
        name = f"images/{image.sha256}.png"
        (site.image_files_dir / name).parent.mkdir(parents=True)
        (site.image_files_dir / name).write_bytes(bytes(image.data))
        with site:
            # gunicorn asked directly gets the header nginx would add, or it redirects to https.
            direct = ["X-Forwarded-Proto: https"]
            endpoints = {  # name: (url, headers, expected status, least body bytes)
                "minimal": (f"{site.gunicorn_url}/bench/minimal", direct, 200, 2),
                "image_endpoint": (site.gunicorn_url + image.url, direct, 200, image.bytes),
                "minimal_nginx": (f"{site.https_url}/bench/minimal", [], 200, 2),
                "image_file_nginx": (f"{site.https_url}/images/{name}", [], 200, image.bytes),
            }
            os.environ["SSL_CERT_FILE"] = str(site.certificate)  # for check_endpoints' urllib
            check_endpoints(endpoints)
            masters = [process.pid for process in site.processes]
            for url, headers, *_ in endpoints.values():  # warm up
                load(url, headers, 1, args.connections, *masters)
            rounds = []
            for number in range(args.rounds):
                names = list(endpoints)[number % 4 :] + list(endpoints)[: number % 4]
                result = {n: load(*endpoints[n][:2], args.seconds, args.connections, *masters) for n in names}
                rounds.append({name: result[name] for name in endpoints})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def median(name, key):
        return statistics.median(r[name][key] for r in rounds)

    cpu_known = all(r[n]["cpu_ms"] is not None for r in rounds for n in endpoints)
    cpu = {name: median(name, "cpu_ms") for name in endpoints} if cpu_known else {}
    summary = {
        "config": {
            "gunicorn": f"{args.workers} sync workers on loopback",
            "nginx": "Debian's, worker_processes auto, TLS (self-signed), deploy/nginx/imagesite.conf",
            "wrk": f"1 thread, {args.connections} keep-alive connections, {args.seconds} s per URL and round",
            "rounds": args.rounds,
            "image_bytes": image.bytes,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "baselines": BASELINES,
        "median_rps": {name: median(name, "rps") for name in endpoints},
        # Per round, both figures of a ratio come from the same minute of the machine.
        "median_ratio": {
            n: statistics.median(r[n]["rps"] / r[base]["rps"] for r in rounds) for n, base in BASELINES.items()
        },
        "image_file_nginx_vs_minimal": statistics.median(
            r["image_file_nginx"]["rps"] / r["minimal"]["rps"] for r in rounds
        ),
        # nginx's and gunicorn's workers together: steadier than requests/s on a shared machine.
        "median_cpu_ms": cpu,
        "cpu_ratio": {n: cpu[base] / cpu[n] for n, base in BASELINES.items()} if cpu else {},
        "rounds": rounds,
    }
    print(f"{'':<18}{'req/s':>9}{'ratio':>22}{'CPU ms/req (less CPU)':>24}")
    for name, base in BASELINES.items():
        ratio = f"{summary['median_ratio'][name]:.2f}x {base}"
        cpu_ms = f"{cpu[name]:.3f} ({summary['cpu_ratio'][name]:.1f}x)" if cpu else "?"
        print(f"{name:<18}{summary['median_rps'][name]:>9.0f}{ratio:>22}{cpu_ms:>24}")
    print(f"image file from nginx vs the minimal view from gunicorn: {summary['image_file_nginx_vs_minimal']:.2f}x")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: every benchmark in turn, or one of them with --<name>-only."""

import argparse
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# name -> the module under bench/ whose main() runs it
BENCHMARKS = {
    "http": "http_bench",
    "capture": "capture_bench",
    "fidelity": "fidelity_bench",
    "loop-guard": "loop_guard_bench",
    "nginx": "nginx_bench",
    "images": "images_bench",
    "anim": "anim_bench",
}


def run(module, args=()):
    # Each benchmark configures Django for itself, so each gets a fresh interpreter.
    code = f"import sys; from bench.{module} import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=BASE_DIR).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__, epilog="Other options go to bench/http_bench.py.")
    only = parser.add_mutually_exclusive_group()
    for name in BENCHMARKS:
        only.add_argument(
            f"--{name}-only", dest="only", action="store_const", const=name, help=f"run only the {name} benchmark"
        )
    args, http_args = parser.parse_known_args()
    status = 0
    for name, module in BENCHMARKS.items():
        if args.only in (None, name):
            status = run(module, http_args if name == "http" else ()) or status
    return status


if __name__ == "__main__":
    sys.exit(main())

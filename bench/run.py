"""`make bench`: the HTTP benchmark, then the capture worker's, then the fidelity figures."""

import argparse
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def run(module, args=()):
    # Each benchmark configures Django for itself, so each gets a fresh interpreter.
    code = f"import sys; from bench.{module} import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=BASE_DIR).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__, epilog="Other options go to bench/http_bench.py.")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--http-only", action="store_true", help="run only the HTTP benchmark")
    only.add_argument("--capture-only", action="store_true", help="run only the capture benchmark")
    only.add_argument("--fidelity-only", action="store_true", help="run only the fidelity benchmark")
    args, http_args = parser.parse_known_args()
    status = 0
    if not (args.capture_only or args.fidelity_only):
        status = run("http_bench", http_args)
    if not (args.http_only or args.fidelity_only):
        status = run("capture_bench") or status
    if not (args.http_only or args.capture_only):
        status = run("fidelity_bench") or status
    return status


if __name__ == "__main__":
    sys.exit(main())

"""The production setup of docs/production.md, run on this machine: nginx (TLS) in front of gunicorn on loopback.

    .venv/bin/python deploy/local.py          # serve https://127.0.0.1:8443/ until Ctrl-C
    make production-check                     # the same stack, checked by posts/tests/test_production.py

Everything lives in one temporary directory: a self-signed certificate, collectstatic's output,
the image files, nginx's configuration, pid and logs (rendered by deploy/nginx_conf.py from the
same environment gunicorn gets), and nginx runs in the foreground, so nothing under /etc is
touched. It needs Debian's nginx (make setup installs it as root) and openssl.
"""

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, log, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.args[0]} did not start listening on {port}; see {log}:\n{Path(log).read_text()}")


class LocalProduction:
    """nginx + gunicorn as docs/production.md sets them up, on free ports, in `directory`."""

    def __init__(self, directory, *, https_port=None, http_port=None, workers=2, database_url=None, env=None):
        self.directory = Path(directory)
        self.https_port = https_port or free_port()
        self.http_port = http_port or free_port()
        self.gunicorn_port = free_port()
        self.workers = workers
        self.https_url = f"https://127.0.0.1:{self.https_port}"
        self.http_url = f"http://127.0.0.1:{self.http_port}"
        self.gunicorn_url = f"http://127.0.0.1:{self.gunicorn_port}"
        self.certificate = self.directory / "cert.pem"
        self.static_root = self.directory / "static"
        self.image_files_dir = self.directory / "images"
        self.gunicorn_log = self.directory / "gunicorn.log"
        self.nginx_dir = self.directory / "nginx"
        self.acme_webroot = self.directory / "acme"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "imagesite.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": self.https_url,
            "DJANGO_BEHIND_PROXY": "1",
            "DJANGO_STATIC_ROOT": str(self.static_root),
            "IMAGE_FILES_DIR": str(self.image_files_dir),
            "DATABASE_URL": database_url or f"sqlite:///{self.directory / 'db.sqlite3'}",
            **(env or {}),
        }
        self.processes = []

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True)

    def start(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        self.image_files_dir.mkdir(exist_ok=True)
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", self.directory / "key.pem"),
                *("-out", self.certificate),
            ],
            check=True,
            capture_output=True,
        )
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        gunicorn = [
            *(sys.executable, "-m", "gunicorn", "imagesite.wsgi"),
            *("--bind", f"127.0.0.1:{self.gunicorn_port}", "--workers", str(self.workers)),
            *("--access-logfile", self.gunicorn_log, "--error-logfile", self.gunicorn_log),
        ]
        self.processes.append(subprocess.Popen(gunicorn, cwd=BASE_DIR, env=self.env, stdin=subprocess.DEVNULL))
        wait_for_port(self.gunicorn_port, self.processes[-1], self.gunicorn_log)
        subprocess.run(
            [
                *(sys.executable, "deploy/nginx_conf.py", "--standalone", self.nginx_dir),
                *("--certificate", self.certificate, "--certificate-key", self.directory / "key.pem"),
                *("--upstream", f"127.0.0.1:{self.gunicorn_port}", "--acme-webroot", self.acme_webroot),
                *("--http-port", str(self.http_port), "--https-port", str(self.https_port)),
            ],
            cwd=BASE_DIR,
            env=self.env,
            check=True,
            capture_output=True,
        )
        nginx_log = self.nginx_dir / "error.log"
        nginx = [NGINX, "-e", nginx_log, "-p", self.nginx_dir, "-c", self.nginx_dir / "nginx.conf"]
        self.processes.append(subprocess.Popen(nginx, stdin=subprocess.DEVNULL))
        wait_for_port(self.https_port, self.processes[-1], nginx_log)
        return self

    def stop(self):
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--https-port", type=int, default=8443, help="HTTPS port (default 8443)")
    parser.add_argument("--http-port", type=int, default=8080, help="plain HTTP port, which redirects (default 8080)")
    args = parser.parse_args(argv)
    if not Path(NGINX).exists():
        raise SystemExit("local: needs nginx (make setup installs it as root; or: sudo apt-get install nginx)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    directory = Path(tempfile.mkdtemp(prefix="imagesite-production-"))
    # The site's own database (DATABASE_URL, or var/db.sqlite3), so what you posted is there.
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    print("Starting: certificate, migrate, collectstatic (compresses every file: the slow part), gunicorn, nginx…")
    try:
        ports = {"https_port": args.https_port, "http_port": args.http_port}
        with LocalProduction(directory, database_url=database_url, **ports):
            print(f"Serving https://127.0.0.1:{args.https_port}/ (self-signed certificate) from {directory}")
            print("Ctrl-C stops nginx and gunicorn. Run a capture worker beside it to get thumbnails.")
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

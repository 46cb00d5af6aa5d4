"""Render deploy/nginx/imagesite.conf from the site's own settings (run it with the production environment).

    .venv/bin/python deploy/nginx_conf.py --certificate /etc/letsencrypt/live/example.com/fullchain.pem \
        --certificate-key /etc/letsencrypt/live/example.com/privkey.pem > /etc/nginx/sites-available/imagesite

The static files' directory and URL, the image files' directory and URL and the upload limit come
from Django's settings, so nginx serves what the site writes and refuses what the site would
refuse. --standalone DIR writes a whole nginx.conf into DIR instead, for running nginx in the
foreground without touching /etc/nginx (make production-check and the tests do).
"""

import argparse
import os
import pwd
import sys
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES = BASE_DIR / "deploy" / "nginx"


def url_path(setting, value):
    """A settings URL as the path prefix nginx matches: /static/ for "static/"."""
    if urlsplit(value).netloc:
        raise SystemExit(f"nginx_conf: {setting} is on another host ({value}): nothing for this nginx to serve.")
    return "/" + value.strip("/") + "/"


def context(args):
    from django.conf import settings

    site = urlsplit(settings.SITE_URL)
    return {
        "server_name": args.server_name or site.hostname,
        "http_port": args.http_port,
        "https_port": args.https_port,
        "https_port_suffix": "" if args.https_port == 443 else f":{args.https_port}",
        "certificate": Path(args.certificate).resolve(),
        "certificate_key": Path(args.certificate_key).resolve(),
        "upstream": args.upstream,
        "acme_webroot": Path(args.acme_webroot).resolve(),
        "client_max_body_size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "static_url": url_path("STATIC_URL", settings.STATIC_URL),
        "static_root": Path(settings.STATIC_ROOT).resolve(),
        "image_files_url": url_path("IMAGE_FILES_URL", settings.IMAGE_FILES_URL),
        "image_files_dir": Path(settings.IMAGE_FILES_DIR).resolve(),
    }


def render(name, values):
    from django.template import Context, Engine

    engine = Engine(dirs=[TEMPLATES], autoescape=False)
    return engine.get_template(name).render(Context(values))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificate", required=True, help="the TLS certificate chain (PEM)")
    parser.add_argument("--certificate-key", required=True, help="its private key (PEM)")
    parser.add_argument("--server-name", help="the host name nginx answers to (default: SITE_URL's host)")
    parser.add_argument("--upstream", default="127.0.0.1:8000", help="gunicorn's address (default 127.0.0.1:8000)")
    parser.add_argument(
        "--acme-webroot", default="/var/www/html", help="certbot's --webroot directory (default /var/www/html)"
    )
    parser.add_argument("--http-port", type=int, default=80, help="plain HTTP port, which redirects (default 80)")
    parser.add_argument("--https-port", type=int, default=443, help="HTTPS port (default 443)")
    parser.add_argument("--standalone", metavar="DIR", help="write DIR/nginx.conf and DIR/imagesite.conf instead")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagesite.settings")
    import django

    django.setup()
    site = render("imagesite.conf", context(args))
    if not args.standalone:
        sys.stdout.write(site)
        return 0
    directory = Path(args.standalone).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "imagesite.conf").write_text(site)
    user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
    (directory / "nginx.conf").write_text(render("standalone.conf", {"directory": directory, "user": user}))
    print(f"nginx -e {directory}/error.log -p {directory} -c {directory}/nginx.conf")
    return 0


if __name__ == "__main__":
    sys.exit(main())

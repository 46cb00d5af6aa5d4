"""All configuration comes from environment variables; the README lists every one."""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    value = os.environ.get(name, "").strip()
    return value if value else default


def env_bool(name, default):
    value = env(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false), not {value!r}.")


def env_int(name, default, *, minimum=0):
    value = env(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, not {value!r}.")
    return number


def env_rate(name, default):
    value = env(name, default)
    if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must be a DRF rate such as 60/minute, not {value!r}.")
    return value


def env_size(name, default):
    value = env(name)
    if value is None:
        return default
    match = re.fullmatch(r"(\d+)x(\d+)", value)
    if not match or not all(0 < int(n) <= 4096 for n in match.groups()):
        raise ImproperlyConfigured(f"{name} must look like 640x480 (each side 1 to 4096), not {value!r}.")
    return int(match[1]), int(match[2])


def database_from_env():
    url = env("DATABASE_URL")
    if url is None and env("DB_HOST"):
        # The seed's deployment configures MySQL with separate variables.
        return {
            "ENGINE": "django.db.backends.mysql",
            "HOST": env("DB_HOST"),
            "PORT": env("DB_PORT", "3306"),
            "USER": env("DB_USERNAME", ""),
            "PASSWORD": env("DB_PASSWORD", ""),
            "NAME": env("DB_DATABASE", "imagesite"),
        }
    if url is None:
        url = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    try:
        config = dj_database_url.parse(url)
    except ValueError:
        # Not the URL itself: it may hold a password.
        raise ImproperlyConfigured(
            "DATABASE_URL is not a database URL I understand: use e.g. mysql://user:pass@host:3306/imagesite "
            "or sqlite:////path/to/db.sqlite3."
        ) from None
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. mysql://user:pass@host:3306/imagesite.")
    return config


def finish_database(config):
    engine = config["ENGINE"]
    # Keep connections between requests: opening one costs more than a small query (see bench/).
    config["CONN_MAX_AGE"] = 60
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    if engine == "django.db.backends.mysql":
        options.setdefault("charset", "utf8mb4")
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    elif engine == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock when a transaction starts, so two workers can never
        # claim the same job; WAL lets the web server read while a worker writes.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        if config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    return config


def site_url_from_env():
    name = "SITE_URL" if env("SITE_URL") else "NEXT_PUBLIC_SITE_URL"
    url = env(name, "http://127.0.0.1:8000")
    parts = urlsplit(url)
    # An origin only: links are SITE_URL + a path from reverse(), which already has any prefix.
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"} or parts.query:
        raise ImproperlyConfigured(f"{name} must be an http(s) origin such as https://example.com, not {url!r}.")
    return url.rstrip("/")


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0.")
    SECRET_KEY = "django-insecure-local-development-only"

SITE_URL = site_url_from_env()
SITE_HOST = urlsplit(SITE_URL).hostname
SITE_IS_HTTPS = SITE_URL.startswith("https://")

# A separate, cookieless origin for the render harness in production (empty: this site).
RENDER_ORIGIN = (env("RENDER_ORIGIN") or "").rstrip("/")
if RENDER_ORIGIN and not re.fullmatch(r"https?://[^/\s]+", RENDER_ORIGIN):
    raise ImproperlyConfigured(
        f"RENDER_ORIGIN must be an origin such as https://render.example.com, not {RENDER_ORIGIN!r}."
    )

ALLOWED_HOSTS = [h.strip() for h in (env("DJANGO_ALLOWED_HOSTS") or "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    ALLOWED_HOSTS = [SITE_HOST, "localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "posts",
    "capture",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "posts.images.views.serve_images_early",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "posts.images.views.language_independent_images",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "imagesite.urls"
WSGI_APPLICATION = "imagesite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": finish_database(database_from_env())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins are counted per account and per client address (django-axes, in the database, so
# every process shares the count); either one locks logins for a while. A lockout of an account
# is also what someone guessing its password can cause: that is the price of stopping them.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "imagesite.security.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
# One catalog for the templates (outside any app) and the code: makemessages writes both here.
LOCALE_PATHS = [BASE_DIR / "posts" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` puts the files whitenoise serves when DJANGO_DEBUG=0.
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Built by `make frontend`: the render harness, three.js and p5.js (from the pinned npm packages, never a CDN).
    BASE_DIR / "var" / "frontend",
]
# Captured images (docs/storage.md): "db" keeps them in the post_image rows, as the seed does;
# "files" in a directory served at IMAGE_FILES_URL (by nginx in production, docs/production.md);
# "s3" in any S3-compatible bucket.
IMAGE_STORAGE = env("IMAGE_STORAGE", "db")
if IMAGE_STORAGE not in {"db", "files", "s3"}:
    raise ImproperlyConfigured(f"IMAGE_STORAGE must be db, files or s3, not {IMAGE_STORAGE!r}.")
IMAGE_FILES_DIR = Path(env("IMAGE_FILES_DIR", BASE_DIR / "var" / "images"))
IMAGE_FILES_URL = env("IMAGE_FILES_URL", "/images/")
if not re.fullmatch(r"(https?://[^/\s]+)?/(\S*/)?", IMAGE_FILES_URL):
    raise ImproperlyConfigured(
        f"IMAGE_FILES_URL must be a path or URL ending in /, such as /images/, not {IMAGE_FILES_URL!r}."
    )
# When set, object URLs are this + the object's name (a CDN in front of the files or the bucket's images/).
IMAGE_CDN_URL = env("IMAGE_CDN_URL", "")
if IMAGE_CDN_URL and not re.fullmatch(r"https?://[^/\s]+(/\S*)?/", IMAGE_CDN_URL):
    raise ImproperlyConfigured(
        f"IMAGE_CDN_URL must be an http(s) URL ending in /, such as https://cdn.example.com/images/, "
        f"not {IMAGE_CDN_URL!r}."
    )
# A replaced object is deleted by `manage.py images_sweep` this long after nothing points at it,
# so pages and caches that still name it keep working meanwhile.
IMAGE_RETIRED_GRACE_HOURS = env_int("IMAGE_RETIRED_GRACE_HOURS", 48)
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if IMAGE_STORAGE == "s3" and not AWS_STORAGE_BUCKET_NAME:
    raise ImproperlyConfigured("IMAGE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (and the AWS_* settings it uses).")
# Objects are named by their content, so they never change: what nginx (deploy/nginx) sends for them too.
IMAGE_OBJECT_CACHE_CONTROL = "public, max-age=31536000, immutable"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "images-files": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": IMAGE_FILES_DIR, "base_url": IMAGE_FILES_URL, "file_permissions_mode": 0o644},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if AWS_STORAGE_BUCKET_NAME:
    # django-storages reads the credentials itself (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or
    # the machine's role); objects live under images/ in the bucket, public, cached for good.
    STORAGES["images-s3"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL"),
            "region_name": env("AWS_S3_REGION_NAME"),
            "access_key": env("AWS_ACCESS_KEY_ID"),
            "secret_key": env("AWS_SECRET_ACCESS_KEY"),
            "location": "images",
            "querystring_auth": False,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": IMAGE_OBJECT_CACHE_CONTROL},
        },
    }
if IMAGE_STORAGE != "db":
    STORAGES["images"] = STORAGES[f"images-{IMAGE_STORAGE}"]

# Request bodies over this are refused (413) before parsing; DRF reads JSON through request.body.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024, minimum=1024)

# Security: the HTTPS-only settings follow SITE_URL's scheme, so plain HTTP on loopback still works.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = SITE_IS_HTTPS and not DEBUG
SESSION_COOKIE_SECURE = SITE_IS_HTTPS
CSRF_COOKIE_SECURE = SITE_IS_HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SITE_IS_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SITE_IS_HTTPS
SECURE_HSTS_PRELOAD = SITE_IS_HTTPS and env_bool("SECURE_HSTS_PRELOAD", True)
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    # Only behind a proxy that sets these headers itself; otherwise clients could spoof them.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Where pages may load images from besides this site: the CDN, the files' host or the bucket.
IMAGE_ORIGINS = sorted(
    {
        f"{parts.scheme}://{parts.netloc}"
        for url in (IMAGE_CDN_URL, IMAGE_FILES_URL, env("AWS_S3_ENDPOINT_URL", "") if AWS_STORAGE_BUCKET_NAME else "")
        if (parts := urlsplit(url)).netloc
    }
)
if AWS_STORAGE_BUCKET_NAME and not env("AWS_S3_ENDPOINT_URL"):
    IMAGE_ORIGINS.append("https://*.amazonaws.com")

# Our own pages (the render harness sends its own, stricter policy): scripts and everything else
# only from this site, frames only of the render harness, no plugins, no other site may frame us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Inline style attributes (the admin's widgets, our image previews); CSS loads nothing else.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *IMAGE_ORIGINS],
        "frame-src": ["'self'", RENDER_ORIGIN] if RENDER_ORIGIN else ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Nothing on our pages needs a device; frames inherit these limits, so posted code gets none either.
# Only features Chromium knows: an unknown one ("bluetooth") is a console warning on every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

UPLOAD_THROTTLE_RATE = env_rate("UPLOAD_THROTTLE_RATE", "60/minute")
RECAPTURE_THROTTLE_RATE = env_rate("RECAPTURE_THROTTLE_RATE", "30/hour")
# What one poster may cost the worker and the storage (docs/posting.md): posts waiting for their
# images, and the bytes of all their stored images. Staff are not limited.
CAPTURE_MAX_PENDING_PER_USER = env_int("CAPTURE_MAX_PENDING_PER_USER", 20, minimum=1)
IMAGE_QUOTA_BYTES_PER_USER = env_int("IMAGE_QUOTA_BYTES_PER_USER", 1024**3, minimum=1)

# "default" is each process's own memory (the listing cache wants that: see posts/api/cache.py);
# "shared" is a database table every process sees, for counts that must hold across processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "shared_cache"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["posts.api.parsers.JSONParser"],
    # Behind our proxy the client is the address it appended to X-Forwarded-For; otherwise the
    # header is the client's own words and is ignored (None would trust it).
    "NUM_PROXIES": 1 if BEHIND_PROXY else 0,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "posts.api.views.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "imagesite API",
    "DESCRIPTION": (
        "Publish generative visual code (SVG, Canvas 2D, three.js, GLSL, p5.js) and fetch its captured images."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # No call to swagger.io's online validator: the docs page loads nothing from other hosts.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "posts.images.views.document_image_endpoint",
        "posts.api.schema.reading_is_public",
    ],
}

# The capture worker's knobs, each read here once with its default.
CAPTURE_THUMB_SIZE = env_size("CAPTURE_THUMB_SIZE", (640, 480))
CAPTURE_OG_SIZE = env_size("CAPTURE_OG_SIZE", (1200, 630))
# 2: thumbnails are captured at device scale factor 2 for high-density screens (1: no 2x variant).
CAPTURE_THUMB_SCALE = env_int("CAPTURE_THUMB_SCALE", 2, minimum=1)
if CAPTURE_THUMB_SCALE > 2:
    raise ImproperlyConfigured(f"CAPTURE_THUMB_SCALE must be 1 or 2, not {CAPTURE_THUMB_SCALE}.")
CAPTURE_MAX_ATTEMPTS = env_int("CAPTURE_MAX_ATTEMPTS", 3, minimum=1)
CAPTURE_TIMEOUT_SECONDS = env_int("CAPTURE_TIMEOUT_SECONDS", 20, minimum=1)
CAPTURE_LEASE_SECONDS = env_int("CAPTURE_LEASE_SECONDS", 300, minimum=5)
CAPTURE_BROWSER_PATH = env("CAPTURE_BROWSER_PATH")
CAPTURE_CHROMIUM_SANDBOX = env_bool("CAPTURE_CHROMIUM_SANDBOX", False)
CAPTURE_MEMORY_MB = env_int("CAPTURE_MEMORY_MB", 1024, minimum=128)
# Animated previews (docs/worker.md): each post's default loop length and frame rate, and the WebP quality.
# 0 turns animated previews off: no animation job is queued (posts' own anim_duration included).
CAPTURE_ANIM_SECONDS = env_int("CAPTURE_ANIM_SECONDS", 3)
CAPTURE_ANIM_FPS = env_int("CAPTURE_ANIM_FPS", 15, minimum=1)
CAPTURE_ANIM_QUALITY = env_int("CAPTURE_ANIM_QUALITY", 60, minimum=1)
# An animation over this is encoded again at lower quality; if it still does not fit, it is not kept.
CAPTURE_ANIM_MAX_BYTES = env_int("CAPTURE_ANIM_MAX_BYTES", 1024**2, minimum=1)
if CAPTURE_ANIM_FPS > 60 or CAPTURE_ANIM_QUALITY > 100:
    raise ImproperlyConfigured("CAPTURE_ANIM_FPS must be at most 60 and CAPTURE_ANIM_QUALITY at most 100.")

# Health (docs/operations.md): alerts the workers send, and who may read /metrics.
CAPTURE_ALERT_WEBHOOK = env("CAPTURE_ALERT_WEBHOOK")
if CAPTURE_ALERT_WEBHOOK and not re.fullmatch(r"https?://\S+", CAPTURE_ALERT_WEBHOOK):
    raise ImproperlyConfigured("CAPTURE_ALERT_WEBHOOK must be an http(s) URL (a Slack or Discord webhook).")
CAPTURE_ALERT_FAILURE_PERCENT = env_int("CAPTURE_ALERT_FAILURE_PERCENT", 25, minimum=1)
CAPTURE_ALERT_MIN_CAPTURES = env_int("CAPTURE_ALERT_MIN_CAPTURES", 20, minimum=1)
CAPTURE_ALERT_PENDING_SECONDS = env_int("CAPTURE_ALERT_PENDING_SECONDS", 600, minimum=1)
CAPTURE_ALERT_WINDOW_SECONDS = env_int("CAPTURE_ALERT_WINDOW_SECONDS", 900, minimum=60)
# Empty: /metrics answers staff sessions only.
METRICS_TOKEN = env("METRICS_TOKEN")

LOG_LEVEL = (env("LOG_LEVEL") or "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Without this, Django logs a server error's traceback only with DEBUG on (or by mail to ADMINS).
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "posts": {"handlers": ["console"], "level": LOG_LEVEL},
        "capture": {"handlers": ["console"], "level": LOG_LEVEL},
    },
}

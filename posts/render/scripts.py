"""The harness's own scripts and their Subresource Integrity hashes, which its CSP trusts instead of a nonce."""

import base64
import hashlib
import os

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import get_template

from posts.render.p5 import P5_SCRIPTS, p5_script

HARNESS = "render/harness.js"
THREE = "vendor/three/three.min.js"
TEMPLATE = "posts/render.html"

_hashes = {}  # static name -> (path, mtime_ns, size, integrity)


def scripts_for(post):
    """The static names of the scripts a post's harness page loads, in order: the harness, then its library."""
    if post.render_model == "three":
        return [HARNESS, THREE]
    if post.render_model == "p5":
        return [HARNESS, p5_script(post.code)]
    return [HARNESS]


def model_scripts(render_model):
    """Every script a post of this render model may load: a p5 post loads one of the two p5.js bundles."""
    if render_model == "three":
        return [HARNESS, THREE]
    if render_model == "p5":
        return [HARNESS, *P5_SCRIPTS]
    return [HARNESS]


def harness_version(render_model):
    """A hash of everything that renders a post of this model: its scripts and the harness page's template.

    Stored with each image (its provenance), so `capture_backfill --stale` finds what an older harness made.
    """
    digest = hashlib.sha256()
    for path in [built_path(name) for name in model_scripts(render_model)] + [get_template(TEMPLATE).origin.name]:
        with open(path, "rb") as file:
            digest.update(hashlib.sha256(file.read()).digest())
    return digest.hexdigest()[:16]


def built_path(name):
    path = finders.find(name)
    if not path and staticfiles_storage.exists(name):
        path = staticfiles_storage.path(name)  # only collectstatic's copy is there
    if not path:
        raise ImproperlyConfigured(f"The render harness's {name} is not built: run `make frontend`.")
    return path


def integrity(name):
    """'sha384-…' of a built static file, computed again only when the file changes (make frontend)."""
    path = built_path(name)
    stat = os.stat(path)
    cached = _hashes.get(name)
    if cached and cached[:3] == (path, stat.st_mtime_ns, stat.st_size):
        return cached[3]
    with open(path, "rb") as file:
        value = "sha384-" + base64.b64encode(hashlib.sha384(file.read()).digest()).decode()
    _hashes[name] = (path, stat.st_mtime_ns, stat.st_size, value)
    return value

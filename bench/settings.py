"""The real settings with a URLconf that adds the benchmark's baseline view."""

from imagesite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

import sys

from django.core.exceptions import ImproperlyConfigured


def load_settings_or_exit(status=2):
    """Load the settings now, turning a configuration mistake into one sentence and exit `status`."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting imports the module
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"imagesite: configuration error: {exc}\n")
        raise SystemExit(status) from None

"""Finding a Chromium to drive: the configured one, Playwright's own, or the system's."""

import glob
import os
from pathlib import Path

from django.conf import settings

SYSTEM_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = (
    "no Chromium found: set CAPTURE_BROWSER_PATH, or install one with `make setup` "
    "(as root on Debian it installs the `chromium` package), or `sudo apt-get install chromium`"
)


class BrowserNotFound(RuntimeError):
    pass


def playwright_chromium():
    """The newest Playwright-managed Chromium on this machine, if any."""
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    found = sorted(glob.glob(str(cache / "chromium-*" / "chrome-linux*" / "chrome")))
    return found[-1] if found else None


def find_chromium():
    """Return the path of the browser to launch: CAPTURE_BROWSER_PATH, Playwright's, then /usr/bin/chromium."""
    configured = settings.CAPTURE_BROWSER_PATH
    if configured:
        if not os.access(configured, os.X_OK):
            raise BrowserNotFound(f"CAPTURE_BROWSER_PATH={configured} is not an executable file")
        return configured
    for candidate in (playwright_chromium(), SYSTEM_CHROMIUM):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserNotFound(INSTALL_HINT)

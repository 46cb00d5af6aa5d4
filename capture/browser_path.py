"""Finding a Chromium to drive: the configured one, Playwright's own, or the system's."""

import glob
import os
from pathlib import Path

from django.conf import settings

SYSTEM_CHROMIUM = "/usr/bin/chromium"
# Debian's chromium-headless-shell: the same engine without the browser's UI layer. It starts a
# page in a third of the time and CPU of the full browser's headless mode (one renderer process
# per context instead of three), which is most of a capture's cost.
SYSTEM_HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
INSTALL_HINT = (
    "no Chromium found: set CAPTURE_BROWSER_PATH, or install one with `make setup` "
    "(as root on Debian it installs the `chromium` package), or `sudo apt-get install chromium`"
)


class BrowserNotFound(RuntimeError):
    pass


def playwright_browser(*patterns):
    """The newest Playwright-managed browser matching one of `patterns` on this machine, if any."""
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    found = sorted(path for pattern in patterns for path in glob.glob(str(cache / pattern)))
    return found[-1] if found else None


def playwright_chromium():
    return playwright_browser("chromium-*/chrome-linux*/chrome")


def playwright_headless_shell():
    return playwright_browser(
        "chromium_headless_shell-*/chrome-headless-shell-linux*/chrome-headless-shell",
        "chromium_headless_shell-*/chrome-linux*/headless_shell",
    )


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


def find_capture_browser():
    """Return the browser the capture worker launches: CAPTURE_BROWSER_PATH, a headless shell, then find_chromium()'s.

    Only captures prefer the headless shell: viewers' browsers (and the page tests standing in for
    them) are full Chromium, with its out-of-process iframes.
    """
    if not settings.CAPTURE_BROWSER_PATH:
        for candidate in (playwright_headless_shell(), SYSTEM_HEADLESS_SHELL):
            if candidate and os.access(candidate, os.X_OK):
                return candidate
    return find_chromium()

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from capture import browser
from capture.browser import BrowserUnavailable, find_chromium


@pytest.fixture(scope="module")
def playwright(tmp_path_factory):
    """Playwright's driver, looking for its own browsers in an empty folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path_factory.mktemp("ms-playwright")))
        with sync_playwright() as playwright:
            yield playwright


@pytest.fixture
def no_browsers(monkeypatch, tmp_path, settings):
    settings.CAPTURE_BROWSER_PATH = None
    monkeypatch.setattr(browser, "SYSTEM_HEADLESS_SHELL", str(tmp_path / "missing-shell"))
    monkeypatch.setattr(browser, "SYSTEM_CHROMIUM", str(tmp_path / "missing-chromium"))
    return tmp_path


def executable(path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_captures_prefer_debians_headless_shell_and_page_tests_its_chromium(playwright, no_browsers, monkeypatch):
    monkeypatch.setattr(browser, "SYSTEM_CHROMIUM", executable(no_browsers / "chromium"))
    monkeypatch.setattr(browser, "SYSTEM_HEADLESS_SHELL", executable(no_browsers / "chromium-headless-shell"))

    assert find_chromium(playwright, headless_shell=True) == str(no_browsers / "chromium-headless-shell")
    assert find_chromium(playwright) == str(no_browsers / "chromium")


def test_without_a_headless_shell_captures_use_chromium(playwright, no_browsers, monkeypatch):
    monkeypatch.setattr(browser, "SYSTEM_CHROMIUM", executable(no_browsers / "chromium"))

    assert find_chromium(playwright, headless_shell=True) == str(no_browsers / "chromium")


def test_playwrights_own_browser_comes_before_debians(playwright, no_browsers, monkeypatch):
    monkeypatch.setattr(browser, "SYSTEM_HEADLESS_SHELL", executable(no_browsers / "chromium-headless-shell"))
    own = executable(playwright.chromium.executable_path)
    try:
        assert find_chromium(playwright) == own
        assert find_chromium(playwright, headless_shell=True) is None  # Playwright launches its own headless shell
    finally:
        Path(own).unlink()


def test_the_configured_browser_wins(playwright, no_browsers, settings, monkeypatch):
    monkeypatch.setattr(browser, "SYSTEM_HEADLESS_SHELL", executable(no_browsers / "chromium-headless-shell"))
    settings.CAPTURE_BROWSER_PATH = executable(no_browsers / "my-chrome")

    assert find_chromium(playwright, headless_shell=True) == settings.CAPTURE_BROWSER_PATH


def test_no_browser_at_all_says_how_to_install_one(playwright, no_browsers):
    with pytest.raises(BrowserUnavailable, match="CAPTURE_BROWSER_PATH"):
        find_chromium(playwright, headless_shell=True)

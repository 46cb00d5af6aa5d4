import pytest

from capture import browser_path
from capture.browser_path import BrowserNotFound, find_capture_browser


@pytest.fixture
def no_browsers(monkeypatch, tmp_path, settings):
    settings.CAPTURE_BROWSER_PATH = None
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    monkeypatch.setattr(browser_path, "SYSTEM_HEADLESS_SHELL", str(tmp_path / "missing-shell"))
    monkeypatch.setattr(browser_path, "SYSTEM_CHROMIUM", str(tmp_path / "missing-chromium"))
    return tmp_path


def executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_captures_prefer_a_headless_shell_to_the_full_browser(no_browsers, monkeypatch):
    monkeypatch.setattr(browser_path, "SYSTEM_CHROMIUM", executable(no_browsers / "chromium"))
    monkeypatch.setattr(browser_path, "SYSTEM_HEADLESS_SHELL", executable(no_browsers / "chromium-headless-shell"))

    assert find_capture_browser() == str(no_browsers / "chromium-headless-shell")


def test_playwrights_headless_shell_comes_before_the_systems(no_browsers, monkeypatch):
    monkeypatch.setattr(browser_path, "SYSTEM_HEADLESS_SHELL", executable(no_browsers / "chromium-headless-shell"))
    shell = executable(
        no_browsers / "ms-playwright/chromium_headless_shell-1200/chrome-headless-shell-linux64/chrome-headless-shell"
    )

    assert find_capture_browser() == shell


def test_without_a_headless_shell_captures_use_chromium(no_browsers, monkeypatch):
    monkeypatch.setattr(browser_path, "SYSTEM_CHROMIUM", executable(no_browsers / "chromium"))

    assert find_capture_browser() == str(no_browsers / "chromium")


def test_the_configured_browser_wins(no_browsers, settings, monkeypatch):
    monkeypatch.setattr(browser_path, "SYSTEM_HEADLESS_SHELL", executable(no_browsers / "chromium-headless-shell"))
    settings.CAPTURE_BROWSER_PATH = executable(no_browsers / "my-chrome")

    assert find_capture_browser() == settings.CAPTURE_BROWSER_PATH


def test_no_browser_at_all_says_how_to_install_one(no_browsers):
    with pytest.raises(BrowserNotFound, match="CAPTURE_BROWSER_PATH"):
        find_capture_browser()

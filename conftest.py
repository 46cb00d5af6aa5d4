"""Pytest fixtures and rules shared by every app's tests."""

import os
import subprocess
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM would refuse to run
# beside it. Tests only: the worker keeps its database calls off the event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BROWSER_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run"]
BASE_DIR = Path(__file__).resolve().parent


def pytest_sessionstart(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if build_frontend(BASE_DIR, targets=("frontend", "messages")) and reporter:
        reporter.write_line("Rebuilt the front-end bundles or the translations.")


def build_frontend(base_dir, targets=("frontend",)):
    """Rebuild what the tests load from sources (bundles, .mo catalogs) when a source is newer; True if it did."""
    try:
        if subprocess.run(["make", "--question", *targets], cwd=base_dir, capture_output=True).returncode == 0:
            return False
        built = subprocess.run(["make", "--silent", *targets], cwd=base_dir, capture_output=True, text=True)
    except FileNotFoundError:
        pytest.exit("The tests need make to check that the front-end bundles are built from the current sources.")
    if built.returncode:
        pytest.exit(f"The front-end bundles are older than their sources and make frontend failed:\n{built.stderr}")
    return True


def pytest_runtest_setup(item):
    if item.get_closest_marker("mysql"):
        from django.db import connection

        if connection.vendor != "mysql":
            pytest.skip("needs MySQL/MariaDB (run with DATABASE_URL=mysql://...)")


@pytest.fixture(autouse=True, scope="session")
def static_files_for_any_origin():
    """Serve static files with Access-Control-Allow-Origin: *, as whitenoise does in production.

    live_server serves /static/ with Django's own handler, which leaves the header out; the render
    harness runs in an opaque origin ("null") and loads its scripts with CORS (crossorigin).
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandlerMixin

    serve = StaticFilesHandlerMixin.serve

    def serve_for_any_origin(self, request):
        response = serve(self, request)
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        return response

    StaticFilesHandlerMixin.serve = serve_for_any_origin
    yield
    StaticFilesHandlerMixin.serve = serve


@pytest.fixture(scope="module")
def chromium():
    """One real headless Chromium per test module.

    Not per session: sync Playwright keeps an event loop running in the test thread while it is
    open, and the capture worker's tests need that thread free for their own asyncio.run().
    """
    from playwright.sync_api import sync_playwright

    from capture.browser import find_chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(playwright), args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context and page; page errors are collected in page.errors."""
    context = chromium.new_context(viewport={"width": 800, "height": 600})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rolled-back test data would otherwise meet pages cached for it."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

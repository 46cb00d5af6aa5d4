import asyncio
import io
import socket
import threading

import pytest
from django.core.management import call_command
from PIL import Image

from capture.browser import CaptureBrowser
from capture.serve import harness_document, harness_url
from posts import services

# Small limits keep failing cases quick; generous enough for a WebGL page on a busy 2-core machine.
TEST_TIMEOUT_SECONDS = 8


@pytest.fixture
def capture_settings(settings):
    settings.CAPTURE_TIMEOUT_SECONDS = TEST_TIMEOUT_SECONDS
    settings.CAPTURE_MAX_ATTEMPTS = 3
    return settings


@pytest.fixture
def run_queue(transactional_db, capture_settings):
    """Run `capture_queue` in once mode in this process (its database thread sees committed rows only)."""

    def run(*args):
        out = io.StringIO()
        call_command("capture_queue", *args, "--verbosity", "1", stdout=out)
        return out.getvalue()

    return run


def make_post(render_model, code, *, title=None, **fields):
    return services.post_create(
        author=None, title=title or f"{render_model} test", render_model=render_model, code=code, **fields
    )


def decode(png):
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def close_to(actual, expected, tolerance=12):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


class BrowserThread:
    """A CaptureBrowser on its own event loop thread, driven from synchronous tests."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.browser = CaptureBrowser()
        self.run(self.browser.start())

    def run(self, coroutine, timeout=60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def capture(self, post, *, size=(640, 480), capture_time=None, timeout=TEST_TIMEOUT_SECONDS, **options):
        """Capture a saved post the way the worker does, without touching its jobs; return the PNG."""
        url = harness_url(post.pk)
        document = harness_document(post.pk)  # in the test's thread and transaction
        capture_time = post.capture_time if capture_time is None else capture_time
        return self.run(
            self.browser.capture(
                url=url, document=document, size=size, capture_time=capture_time, timeout=timeout, **options
            )
        )

    def close(self):
        self.run(self.browser.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def capture_browser():
    browser = BrowserThread()
    yield browser
    browser.close()


class Canary:
    """Loopback listeners that count every TCP connection and UDP datagram they receive."""

    def __init__(self):
        self.connections = []
        self.datagrams = 0
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp_port = self.udp.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._receive, daemon=True).start()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            conn.settimeout(1)
            try:
                self.connections.append(conn.recv(200).split(b"\r\n")[0].decode("latin-1"))
            except OSError:
                self.connections.append("(no data)")
            conn.close()

    def _receive(self):
        while not self._stop:
            try:
                self.udp.recvfrom(2048)
            except OSError:
                return
            self.datagrams += 1

    @property
    def hits(self):
        return len(self.connections) + self.datagrams

    def close(self):
        self._stop = True
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def canary():
    listener = Canary()
    yield listener
    listener.close()

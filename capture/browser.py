"""One headless Chromium per worker process, and the capture of one post in a fresh context of it."""

import asyncio
import contextlib
import logging
import os
import resource
import signal
import time
from dataclasses import dataclass

from django.conf import settings
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from capture.serve import RENDER_HOST, CaptureRoutes, StaticFiles

logger = logging.getLogger(__name__)

JS_HEAP_MB = 512
CLOSE_TIMEOUT_SECONDS = 5
# After a capture times out, a fresh page must draw one WebGL pixel within this time, or the browser
# is relaunched: a shader that never ends keeps the GPU process busy after its page and context
# closed, and every later WebGL capture would wait behind it.
GPU_PROBE_SECONDS = 5
GPU_PROBE = """() => {
  const gl = document.createElement("canvas").getContext("webgl");
  if (!gl) return false;
  gl.clearColor(0, 1, 0, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  const pixel = new Uint8Array(4);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
  return pixel[1] === 255;
}"""
MEMORY_POLL_SECONDS = 0.1
# What Chromium needs of the worker's environment; nothing else (DATABASE_URL, DJANGO_SECRET_KEY,
# passwords) reaches its processes.
CHROMIUM_ENV = {"PATH", "HOME", "TMPDIR", "LANG", "LANGUAGE", "TZ", "FONTCONFIG_FILE", "FONTCONFIG_PATH"}
READY_POLL_SECONDS = 0.005
# Debian's chromium-headless-shell: the same engine without the browser's UI layer. It starts a
# page in a third of the time and CPU of the full browser's headless mode (one renderer process
# per context instead of three), which is most of a capture's cost.
SYSTEM_HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
SYSTEM_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = (
    "no Chromium found: set CAPTURE_BROWSER_PATH, or install one with `make setup` "
    "(as root on Debian it installs the `chromium` package), or `sudo apt-get install chromium`"
)


class CaptureError(Exception):
    """A capture that did not produce an image; transient ones are retried."""

    transient = True


class PostError(CaptureError):
    """The post's own code failed (exception, shader compile error, bad SVG): retrying cannot help."""

    transient = False


class BudgetExceeded(PostError):
    """The post ran past its time or memory budget in a healthy browser: its own fault, tried once more later."""


@dataclass
class Capture:
    """A captured image and the virtual time it shows (earlier than asked if the post called capturePreview()).

    `moving`: whether the post kept itself moving up to then (see advance.js); one that did not is still.
    """

    png: bytes
    virtual_time: float
    moving: bool = True


class BrowserUnavailable(RuntimeError):
    """No Chromium can be found or launched: the worker cannot run."""


def find_chromium(playwright, *, headless_shell=False):
    """Return the browser to launch: CAPTURE_BROWSER_PATH, Playwright's own, then Debian's.

    None means Playwright's own, which it launches itself (its headless shell, when headless).
    Only captures ask for a headless shell: viewers' browsers (and the page tests standing in for
    them) are full Chromium, with its out-of-process iframes.
    """
    configured = settings.CAPTURE_BROWSER_PATH
    if configured:
        if not os.access(configured, os.X_OK):
            raise BrowserUnavailable(f"CAPTURE_BROWSER_PATH={configured} is not an executable file")
        return configured
    if os.access(playwright.chromium.executable_path, os.X_OK):
        return None if headless_shell else playwright.chromium.executable_path
    for candidate in [SYSTEM_HEADLESS_SHELL, SYSTEM_CHROMIUM] if headless_shell else [SYSTEM_CHROMIUM]:
        if os.access(candidate, os.X_OK):
            return candidate
    raise BrowserUnavailable(INSTALL_HINT)


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


def chromium_env(environ=None):
    """The launch environment: locale, fonts, paths, and nothing of the worker's configuration or secrets."""
    environ = os.environ if environ is None else environ
    return {name: value for name, value in environ.items() if name in CHROMIUM_ENV or name.startswith(("LC_", "XDG_"))}


def process_tree(root):
    """The pid `root` and all its descendants (from each thread's /proc/<pid>/task/<tid>/children)."""
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                with open(f"/proc/{pid}/task/{thread}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
            except OSError:
                continue
    return tree


def resident_kb(pid):
    """The resident size of a process in kB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, IndexError, ValueError):
        return 0


def process_type(pid):
    """Chromium's --type= of a process ("browser" for the main one); Chromium rewrites its own cmdline."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            arguments = cmdline.read().replace(b"\0", b" ").split()
    except OSError:
        return "gone"
    return next((a[7:].decode() for a in arguments if a.startswith(b"--type=")), "browser")


def limit_memory(root, megabytes):
    """Cap the data segment (RLIMIT_DATA) of every process of the browser at `root`.

    Set right after launch, on the browser and its zygotes, so every renderer and GPU process they
    start later inherits it: an allocation past it fails in that process alone (an ArrayBuffer
    throws RangeError, a canvas or texture is not made, or the renderer crashes).
    """
    limit = megabytes * 2**20
    for pid in process_tree(root):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            resource.prlimit(pid, resource.RLIMIT_DATA, (limit, limit))


class CaptureBrowser:
    """The worker's Chromium: launched once, relaunched after a crash or a context that will not close."""

    def __init__(self, *, sandbox=False):
        self.sandbox = sandbox
        self.static_files = StaticFiles()
        self.chromium = None  # the running playwright Browser
        self.version = ""  # Chromium's version, e.g. 156.0.7470.0
        self.webgl_renderer = ""  # what WebGL reports in this browser (SwiftShader without a GPU)
        self.devtools = None  # a browser-level DevTools session, to ask Chromium about its processes
        self.browser_pid = None
        self.memory_stops = 0  # how many times a process was stopped for its memory
        self._playwright = None
        self._executable = None
        self._launching = asyncio.Lock()

    async def start(self):
        try:
            self._playwright = await async_playwright().start()
            self._executable = find_chromium(self._playwright, headless_shell=True)
            await self._launch()
        except (BrowserUnavailable, PlaywrightError) as exc:
            await self.close()
            if isinstance(exc, BrowserUnavailable):
                raise
            where = self._executable or "Playwright's own"
            raise BrowserUnavailable(f"cannot launch Chromium ({where}): {first_line(exc)}") from exc

    async def close(self):
        async with self._launching:
            await self._close_browser()
            await self._stop_driver()

    async def relaunch(self, broken, reason):
        """Replace the browser `broken`, unless another capture has replaced it already."""
        async with self._launching:
            if self.chromium is not broken:
                return
            logger.warning("relaunching Chromium: %s", reason)
            await self._close_browser()
            await self._launch()

    async def _launch(self):
        if self._playwright is None:  # stopped to kill a browser that would not close
            self._playwright = await async_playwright().start()
        started = time.monotonic()
        self.chromium = await self._playwright.chromium.launch(
            executable_path=self._executable,
            args=chromium_args(sandbox=self.sandbox),
            chromium_sandbox=self.sandbox,
            handle_sigint=False,
            handle_sigterm=False,
            handle_sighup=False,
            env=chromium_env(),
        )
        self.devtools = await self.chromium.new_browser_cdp_session()
        self.browser_pid = await self.pid("browser")
        limit_memory(self.browser_pid, settings.CAPTURE_MEMORY_MB)
        logger.info("launched Chromium %s in %d ms", self.chromium.version, (time.monotonic() - started) * 1000)
        self.version = self.chromium.version
        self.webgl_renderer = await self._webgl_renderer()

    async def _webgl_renderer(self):
        """The WebGL renderer string of this browser (part of each image's provenance), or "" if it has no WebGL."""
        context = await self.chromium.new_context()
        try:
            page = await context.new_page()
            return await asyncio.wait_for(page.evaluate(WEBGL_RENDERER), CLOSE_TIMEOUT_SECONDS) or ""
        except (TimeoutError, PlaywrightError) as exc:
            logger.warning("could not read the WebGL renderer (%s)", first_line(exc))
            return ""
        finally:
            with contextlib.suppress(TimeoutError, PlaywrightError):
                await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_SECONDS)

    async def processes(self):
        """Chromium's own list of its processes: [{type: browser|renderer|GPU|…, id: pid, cpuTime: s}]."""
        answer = await asyncio.wait_for(self.devtools.send("SystemInfo.getProcessInfo"), CLOSE_TIMEOUT_SECONDS)
        return answer["processInfo"]

    async def pid(self, kind):
        return next((process["id"] for process in await self.processes() if process["type"] == kind), None)

    async def gpu_answers(self):
        """Whether a fresh page can draw with WebGL and read the pixel back within GPU_PROBE_SECONDS.

        A shader that never ends keeps the GPU process busy after its page and context closed
        (SwiftShader runs a draw to its end), and every later WebGL draw waits behind it.
        """
        browser = self.chromium
        context = None
        try:
            async with asyncio.timeout(GPU_PROBE_SECONDS):
                context = await browser.new_context()
                page = await context.new_page()
                return await page.evaluate(GPU_PROBE)
        except (TimeoutError, PlaywrightError):
            return False
        finally:
            if context is not None:
                with contextlib.suppress(TimeoutError, PlaywrightError):
                    await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_SECONDS)

    async def _close_browser(self):
        """Close the browser; one that will not close in time is killed with Playwright's driver."""
        browser, self.chromium = self.chromium, None
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

    @contextlib.asynccontextmanager
    async def page(self, *, url, document, size, scale=1):
        """A page in a fresh context that is answered `document` at `url` once, our static files, and nothing else.

        A context that will not close takes the browser with it.
        """
        browser = self.chromium
        if browser is None or not browser.is_connected():
            await self.relaunch(browser, "Chromium exited unexpectedly")
            browser = self.chromium
        width, height = size
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=scale,
            service_workers="block",
            accept_downloads=False,
            locale="en-US",
            timezone_id="UTC",
            color_scheme="light",
        )
        try:
            routes = CaptureRoutes(self.static_files)
            routes.expect(url, document)
            await context.route("**/*", routes)
            page = await context.new_page()
            context.on("page", close_popup)  # registered after our own page; Playwright dismisses dialogs
            yield page
        finally:
            try:
                await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_SECONDS)
            except TimeoutError:
                await self.relaunch(browser, "a browser context would not close")
            except PlaywrightError:
                pass  # the browser is gone: the next capture relaunches it

    async def capture(self, **options):
        """Capture as capture_image() does; return only the PNG's bytes."""
        return (await self.capture_image(**options)).png

    async def capture_image(self, *, url, document, size, capture_time, timeout, draw_every_frame=False, scale=1):
        """Load the harness at `url` (served `document`), run it to `capture_time` seconds; return a Capture.

        `scale` is the device scale factor: the page is laid out at `size` and the PNG has
        `scale` times its pixels, as a high-density screen shows it.

        The recapture protocol, the Python side of static/render/harness.js's: in capture mode the
        harness skips the WebGL draws of frames before the captured one, because only the last
        frame is shown and the same code and seed replay the same frames. When a skipped frame
        turns out to matter (the post reads its pixels back, draws that canvas into another,
        keeps it with preserveDrawingBuffer...), `advance(ms, {drawFrom})` reports `redraw`: the
        virtual time of the earliest such frame. The capture is then taken again in a fresh
        context, drawing every frame from `redraw` on; should that run report an earlier frame
        still (its frames did not replay), once more drawing every frame from the start.
        `draw_every_frame` draws them all from the start.
        """
        capture = self._capture(url, document, size, capture_time, draw_every_frame, scale)
        return await self._within_budget(capture, timeout)

    async def capture_frames(self, *, url, document, size, start, frames, fps, timeout):
        """The post's frames from `start` seconds on, `frames` of them 1/`fps` s apart on the virtual clock (PNGs).

        Every frame is drawn (drawFrom 0), so no skipped WebGL frame needs a second run.
        """
        return await self._within_budget(self._capture_frames(url, document, size, start, frames, fps), timeout)

    async def _capture_frames(self, url, document, size, start, frames, fps):
        async with self.page(url=url, document=document, size=size) as page:
            state = await run_harness(page, url, start, 0)
            pngs = []
            for index in range(frames):
                if state["status"] != "ready":
                    raise PostError(error_message(state.get("error")))
                pngs.append(await page.screenshot(type="png", animations="allow", caret="initial"))
                if index < frames - 1:
                    state = await page.evaluate(ADVANCE_DRAWING_EVERY_FRAME, 1000 / fps)
            return pngs

    async def _within_budget(self, capture, timeout):
        """Run a capture coroutine under the time and memory budgets; turn what went wrong into a CaptureError."""
        memory_stops = self.memory_stops
        watcher = asyncio.create_task(self.watch_memory())
        try:
            async with asyncio.timeout(timeout):
                return await capture
        except (TimeoutError, PlaywrightError, PostError) as exc:
            if self.memory_stops != memory_stops:
                raise BudgetExceeded(
                    f"the capture used more than {settings.CAPTURE_MEMORY_MB} MB of memory in one process "
                    "and was stopped"
                ) from None
            if isinstance(exc, PostError):
                raise
            if isinstance(exc, TimeoutError):
                raise await self.timed_out(timeout) from None
            if self.chromium is None or not self.chromium.is_connected():
                raise CaptureError("the browser crashed") from None
            if "crashed" in str(exc):  # Playwright's "Target crashed": the renderer died, often out of memory
                raise BudgetExceeded(
                    "the page crashed, most likely out of memory "
                    f"(each process of a capture may use {settings.CAPTURE_MEMORY_MB} MB)"
                ) from None
            raise CaptureError(f"browser error: {first_line(exc)}") from None
        finally:
            watcher.cancel()

    async def _capture(self, url, document, size, capture_time, draw_every_frame, scale=1):
        draw_from = 0 if draw_every_frame else None
        while True:
            async with self.page(url=url, document=document, size=size, scale=scale) as page:
                state = await run_harness(page, url, capture_time, draw_from)
                redraw = state.get("redraw")
                # Checked before the status: an error may come from reading a skipped frame.
                if redraw is not None and (draw_from is None or redraw < draw_from):
                    draw_from = redraw if draw_from is None else 0
                    logger.debug("a skipped WebGL frame matters: capturing again, drawing from %s ms", draw_from)
                    continue
                if state["status"] != "ready":
                    raise PostError(error_message(state.get("error")))
                png = await page.screenshot(type="png", animations="allow", caret="initial")
                return Capture(png=png, virtual_time=(state.get("time") or 0) / 1000, moving=state.get("moving", True))

    async def timed_out(self, timeout):
        """The error for a capture that ran out of time, after making sure the next one starts in a healthy browser."""
        stopped = f"the capture took longer than {timeout} s and was stopped"
        browser = self.chromium
        if browser is not None and not await self.gpu_answers():
            await self.relaunch(browser, "its GPU process did not answer after a capture timed out")
            return BudgetExceeded(
                f"{stopped}: its shader was still running in the GPU process, so the browser was restarted"
            )
        return BudgetExceeded(f"{stopped}: the post's code did not finish")

    async def watch_memory(self):
        """While a capture runs, stop any process of the browser that grows past CAPTURE_MEMORY_MB.

        RLIMIT_DATA (limit_memory) bounds each process's private memory exactly, but not the
        shared memory through which canvases and WebGL move pixels between the renderer and
        the GPU process (measured: 2 GiB of WebGL textures sat in the renderer as shared memory
        under a 512 MB RLIMIT_DATA). So the resident size is also sampled: a renderer past the
        budget is killed (its page crashes), any other process takes the whole browser with it
        (the next capture relaunches it).
        """
        limit_kb = settings.CAPTURE_MEMORY_MB * 1024
        while True:
            await asyncio.sleep(MEMORY_POLL_SECONDS)
            tree = process_tree(self.browser_pid)
            for pid in tree:
                if (used := resident_kb(pid)) > limit_kb:
                    kind = process_type(pid)
                    self.memory_stops += 1
                    logger.warning(
                        "a %s process used %d MB (budget %d MB): stopping it", kind, used // 1024, limit_kb // 1024
                    )
                    for victim in [pid] if kind == "renderer" else tree:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(victim, signal.SIGKILL)
                    break


async def run_harness(page, url, capture_time, draw_from):
    """Load the harness and run it to `capture_time`; return its state: {status, error, preview, time, redraw}."""
    response = await page.goto(url, wait_until="commit")
    if response is None or response.status != 200:
        raise CaptureError(f"the harness answered {response.status if response else 'nothing'}")
    # Polled from here, not in the page: until harness.js has run there is nothing to wait on,
    # and after that the page's timers belong to the harness's virtual clock.
    while not await page.evaluate("() => !!window.__render"):
        await asyncio.sleep(READY_POLL_SECONDS)
    return await page.evaluate(RUN_TO_CAPTURE_TIME, [capture_time * 1000, draw_from])


# The contract's sequence in one round trip: wait for the first frame (or the post's error) and the
# fonts, then run the virtual clock to the capture time; advance() stops early at capturePreview().
RUN_TO_CAPTURE_TIME = """async ([ms, drawFrom]) => {
  const state = await window.__render.settle();
  if (state.status !== "ready") return state;
  await document.fonts.ready;
  return window.__render.advance(ms, { drawFrom });
}"""


ADVANCE_DRAWING_EVERY_FRAME = "(ms) => window.__render.advance(ms, { drawFrom: 0 })"


WEBGL_RENDERER = """() => {
  const gl = document.createElement("canvas").getContext("webgl");
  if (!gl) return "";
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}"""


async def close_popup(popup):
    with contextlib.suppress(PlaywrightError):
        await popup.close()


def first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_message(error):
    if not error:
        return "the render harness reported an error without a message"
    kind = error.get("kind") or "error"
    return f"{kind}: {error.get('message') or 'no message'}"

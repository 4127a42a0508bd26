"""Pages in a real browser: Debian's Chromium driven by Playwright, against real servers.

Chromium is the system's (`apt-get install chromium`; Playwright's own browser downloads are
not used), launched headless with a fresh, empty profile. Every test gets its own browser
context (its own storage), fails if the page logged a JavaScript error, and leaves a
screenshot in tests/browser/screenshots/ when it fails. Waits are for what the user sees,
with a generous ceiling for a busy machine; never for a fixed time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.e2e.conftest import ROOT, LiveServer, free_port, start_server

CHROMIUM = os.environ.get("COPILOT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXAMPLE_DIR = ROOT / "examples" / "react"
SCREENSHOTS = Path(__file__).parent / "screenshots"
WAIT_MS = 30_000
"""The longest wait for something to appear: long enough for a loaded 2-core machine."""

expect.set_options(timeout=WAIT_MS)


@dataclass
class BrowserPage:
    """A page, and the JavaScript errors it has logged."""

    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the package; Playwright starts it on a new, empty profile directory
    (its own --user-data-dir) and removes that when it closes."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install chromium` (the browser tests need it)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def browser_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    watched = BrowserPage(page)
    page.on("console", lambda message: _record_error(watched, message))
    page.on("pageerror", lambda error: watched.errors.append(f"uncaught: {error}"))
    yield watched
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        shot = SCREENSHOTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")  # noqa: T201
    context.close()
    if report is not None and report.passed:
        assert watched.errors == [], "the page logged JavaScript errors"


def _record_error(watched: BrowserPage, message: ConsoleMessage) -> None:
    if message.type == "error":
        watched.errors.append(f"console.error: {message.text} ({message.location.get('url')})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep the test's own outcome on the item, for the screenshot and console checks."""
    report = yield
    if call.when == "call":
        item.call_report = report  # type: ignore[attr-defined]
    return report


@pytest.fixture(scope="package")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The runtime with the example actions plus a slow one (tests/e2e/served_actions.py)."""
    server = start_server(tmp_path_factory.mktemp("browser-runtime"))
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


@pytest.fixture(scope="package")
def two_agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The runtime with a second agent, a LangGraph graph with state (served_app.py)."""
    tmp = tmp_path_factory.mktemp("two-agents")
    port = free_port()
    environ = {**os.environ, "COPILOT_THREADS_PATH": str(tmp / "threads.sqlite")}
    environ["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "uvicorn", "--factory", "tests.browser.served_app:app"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = tmp / "server.log"
    process = subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/api/copilotkit"
    try:
        _wait_until_served(f"{url}/info", process, log)
        yield LiveServer(url, process, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="package")
def example_app(runtime: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """examples/react built by Vite and served by `vite preview`, which forwards
    /api/copilotkit to the runtime (as the example's vite.config.js says)."""
    if not (EXAMPLE_DIR / "node_modules").is_dir():
        pytest.fail("run `npm ci --prefix examples/react` first: the example app tests need it")
    vite = EXAMPLE_DIR / "node_modules" / ".bin" / "vite"
    out = tmp_path_factory.mktemp("example-build")
    built = subprocess.run(
        [str(vite), "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "warn"],
        cwd=EXAMPLE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, (
        f"vite build failed:\n{built.stdout[-3000:]}{built.stderr[-3000:]}"
    )
    port = free_port()
    origin = runtime.url.removesuffix("/api/copilotkit")
    log = (out.parent / "vite-preview.log").open("wb")
    command = [str(vite), "preview", "--outDir", str(out), "--host", "127.0.0.1"]
    # --bypass-lock: a developer's own `npm run dev` of the example may be running.
    command += ["--port", str(port), "--strictPort", "--bypass-lock"]
    environ = {**os.environ, "COPILOT_RUNTIME_ORIGIN": origin}
    process = subprocess.Popen(
        command, cwd=EXAMPLE_DIR, env=environ, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_served(f"{url}api/copilotkit/info", process, out.parent / "vite-preview.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_served(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"nothing served {url}:\n{log.read_text()[-3000:]}")

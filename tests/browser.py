"""Helpers for browser tests: serve an app on loopback and drive Debian's Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@contextlib.contextmanager
def live_server(app):
    """Serve `app` from a thread on a free loopback port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


_shared: dict = {}


def _browser():
    """One headless Chromium per test process, started when a test first needs it.

    Starting Playwright's driver and Chromium took seconds, and every browser test (some
    several times over) paid it. Each test still gets contexts of its own (cookies, storage,
    cache), closed when it ends, so nothing carries over from one test to the next.
    """
    browser = _shared.get("browser")
    if browser is not None:
        _attach()
        if browser.is_connected():
            return browser
    close_shared_browser()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    _shared["playwright"] = playwright
    _shared["browser"] = playwright.chromium.launch(executable_path=CHROMIUM,
                                                    args=CHROMIUM_ARGS)
    return _shared["browser"]


# Between its calls Playwright's sync API leaves its event loop marked as running in this
# thread; other code (asyncio.run) must not find it there between browser tests. It is
# unmarked when a test's browser use ends and marked again when the next one begins.
def _attach() -> None:
    if _shared.get("loop") is not None:
        asyncio._set_running_loop(_shared.pop("loop"))


def _detach() -> None:
    _shared["loop"] = asyncio._get_running_loop()
    asyncio._set_running_loop(None)


def close_shared_browser() -> None:
    """Close the shared Chromium (conftest calls this when the session ends)."""
    _attach()
    browser, playwright = _shared.pop("browser", None), _shared.pop("playwright", None)
    with contextlib.suppress(Exception):
        if browser is not None:
            browser.close()
    with contextlib.suppress(Exception):
        if playwright is not None:
            playwright.stop()


def _require_chromium() -> None:
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is not installed (CI=true)")
        pytest.skip("Chromium is not installed")


@contextlib.contextmanager
def chromium(**context_options):
    """A fresh headless Chromium context; skips (fails in CI) when Chromium is missing.

    Every context the test opened (this one and any it made with `context.browser`) is
    closed at the end, as if the browser itself were closed.
    """
    _require_chromium()
    browser = _browser()
    try:
        yield browser.new_context(**context_options)
    finally:
        _close_contexts(browser)


@contextlib.contextmanager
def chromium_browser():
    """The shared headless Chromium itself, for tests that open pages without a context;
    every context and page the test opened is closed at the end."""
    _require_chromium()
    browser = _browser()
    try:
        yield browser
    finally:
        _close_contexts(browser)


def _close_contexts(browser) -> None:
    for context in list(browser.contexts):
        with contextlib.suppress(Exception):
            context.close()
    _detach()


def watch_console(page) -> list[str]:
    """Collect console errors (CSP violations show up here) for the test to assert on."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""Shared fixtures: a real server on loopback, and Debian's chromium through Playwright."""

import os
import shutil

import pytest

from tests.support.server import live_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's chromium (or GRADCAST_CHROMIUM); Playwright cannot download its own browsers here."""
    for candidate in (os.environ.get("GRADCAST_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture
def server(tmp_path):
    """A fresh app under a real uvicorn server on 127.0.0.1."""
    with live_server(tmp_path) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium. Skips without it, except under CI=true where its absence fails.

    Module scope: Playwright's sync API keeps an event loop running in the main thread while it is open, which
    would break asyncio.run() in the tests that follow.
    """
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Chromium found at /usr/bin/chromium: browser tests must run in CI")
        pytest.skip("no Chromium found (apt-get install chromium, or set GRADCAST_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but playwright is not installed")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()

"""Fixtures of the browser tests: one server for a module's tests, a fresh browser context for each test."""

import pytest

from tests.support.server import live_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory, request):
    """A plain server (no recording, no lecture mode) shared by the tests of one module."""
    with live_server(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])) as server:
        yield server


@pytest.fixture
def context(browser):
    """A fresh context per test (its own cookies and storage); downloads allowed, for the export buttons."""
    ctx = browser.new_context(accept_downloads=True)
    yield ctx
    ctx.close()

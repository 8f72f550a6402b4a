"""A live OneWindow server on a fresh SQLite database, and Debian's Chromium driven by Playwright.

Browser tests run once, on SQLite: they check what only a real browser shows (pages, forms,
the bpmn-js diagram), not the database backends, which tests/web covers on both.
Debian's ``/usr/bin/chromium`` is used because no browser can be downloaded here; when it is
missing the tests are skipped, or fail under ``CI=true``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

from engine.db import make_engine, make_session_factory
from engine.schema import upgrade
from web import create_app

from ..conftest import DEMO_PASSWORD, load_demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # The server is local; never let a proxy from the environment stand in between.
    "--no-proxy-server",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of OneWindow served by werkzeug in a daemon thread over a demo database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'onewindow.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_demo(make_session_factory(engine))
    engine.dispose()

    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "browser-test", "UPLOAD_DIR": str(uploads)}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["onewindow.engine"].dispose()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (install Debian's chromium: scripts/ensure-chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; browser tests are required under CI=true")
        pytest.skip(f"{message}; browser tests are skipped outside CI")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (own cookies), Chinese locale, console errors kept."""
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors the page's scripts log (and uncaught exceptions), collected while the test runs."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login page and wait for the inbox it redirects to."""
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/tasks")


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")

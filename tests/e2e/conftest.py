"""Browser tests: the real app on a loopback port, headless Chromium, a fake Office injected."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from addin_server import create_app
from addin_server.store.migrate import upgrade
from tests.support.browser import ARGS, CHROMIUM
from tests.support.loopback import LoopbackServer

FAKE_OFFICE = Path(__file__).with_name("fake_office.js")
OFFICE_JS = "https://appsforoffice.microsoft.com/"
PANE_WIDTH = 320


# Module scope: one Playwright (sync) loop may run at a time in a thread, and other modules here
# start their own.
@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's Chromium driven by Playwright; skipped (or failed, in CI) when absent."""
    if not CHROMIUM.exists():
        message = "headless Chromium is absent at /usr/bin/chromium (apt install chromium)"
        if os.environ.get("ADDIN_TEST_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class LiveServer:
    """The real app (dev mode, a temp SQLite file) served on 127.0.0.1:<free port>."""

    def __init__(self, tmp_path: Path, **settings):
        config = {
            "TESTING": True,
            "AUTH_MODE": "dev",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
            "BASE_URL": "https://addin.example",
            **settings,
        }
        self.app = create_app(config)
        self.app.instance_path = str(tmp_path / "instance")
        if config["AUTH_MODE"] == "production":
            upgrade(self.app.extensions["addin"].engine)  # production does not migrate on start
        self.server = LoopbackServer(self.app)
        self.url = self.server.url
        self.api = self.app.test_client()

    def close(self) -> None:
        self.server.close()
        self.app.extensions["addin"].engine.dispose()


@pytest.fixture
def live_server(tmp_path):
    server = LiveServer(tmp_path)
    yield server
    server.close()


def _route_outside(live_url: str):
    """Serve office.js as an empty script; refuse everything else that is not our server."""

    def handle(route):
        url = route.request.url
        if url.startswith(live_url) or url.startswith(("data:", "about:")):
            route.continue_()
        elif url.startswith(OFFICE_JS) or url.endswith(".js"):
            route.fulfill(status=200, content_type="application/javascript", body="")
        else:
            route.abort()

    return handle


def _script(body: str):
    def handle(route):
        route.fulfill(status=200, content_type="application/javascript", body=body)

    return handle


def pane_opener(browser, server: LiveServer, contexts: list):
    """open(path, seed, height, scripts) -> a page showing the pane with the fake Office.

    ``scripts`` maps outside script URLs (e.g. MSAL.js) to the stand-in served for them.
    """

    def opener(path: str, seed: dict | None = None, height: int = 900,
               scripts: dict[str, str] | None = None, init: str | None = None):
        context = browser.new_context(
            viewport={"width": PANE_WIDTH, "height": height}, device_scale_factor=2,
            service_workers="block",
        )
        contexts.append(context)
        context.route("**/*", _route_outside(server.url))
        for url, body in (scripts or {}).items():
            context.route(url, _script(body))
        if init:
            context.add_init_script(init)
        context.add_init_script(f"window.__officeSeed = {json.dumps(seed or {'host': None})};")
        context.add_init_script(path=str(FAKE_OFFICE))
        page = context.new_page()
        page.goto(server.url + path)
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        return page

    return opener


@pytest.fixture
def open_pane(chromium_browser, live_server):
    """open_pane(path, seed) -> a Playwright page showing the pane, served by live_server."""
    contexts: list = []
    yield pane_opener(chromium_browser, live_server, contexts)
    for context in contexts:
        context.close()

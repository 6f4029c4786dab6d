"""End-to-end fixtures: a real `doorstep serve` on a temporary SQLite database serving the built
app (pwa/dist), and Debian's Chromium driven by Playwright.

The app must be built first (`cd pwa && npm ci && npm run build`); the tests skip with that
message when pwa/dist is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    ServerProcess,
    wait_until_synced_once,
)

DIST = ROOT / "pwa" / "dist"
PASSWORD = "doorstep2024"  # every demo user made by `doorstep seed-demo`
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


class DoorstepServer(ServerProcess):
    """The server as the tests see it: a process, and the API to check what arrived."""

    # -- the API, as a test checks it ---------------------------------------------------

    def login(self, username: str, password: str = PASSWORD) -> ApiClient:
        r = requests.post(
            f"{self.url}/api/v1/auth/login",
            json={"username": username, "password": password, "device_id": f"e2e-check-{username}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        return ApiClient(self.url, r.json()["token"])


class ApiClient:
    """A signed-in caller of /api/v1, for checking what the server holds."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        r = requests.get(
            f"{self.url}/api/v1{path}", params=params, headers=self.headers, timeout=30
        )
        assert r.status_code == 200, r.text
        return r.json()

    def all_records(self) -> dict[tuple[str, str], dict]:
        """Every record in scope, by (collection, id), read through the pull feed from the start."""
        records: dict[tuple[str, str], dict] = {}
        cursor = None
        while True:
            params = {"limit": 1000}
            if cursor:
                params["cursor"] = cursor
            page = self.get("/sync/pull", **params)
            for change in page["changes"]:
                key = (change["collection"], change["id"])
                if change["op"] == "evict":
                    records.pop(key, None)
                else:
                    records[key] = change["record"]
            cursor = page["cursor"]
            if not page["more"]:
                return records

    def open_conflicts(self) -> list[dict]:
        return self.get("/conflicts", status="open")["conflicts"]


def _require_dist() -> None:
    if not (DIST / "index.html").exists():
        pytest.skip("pwa/dist is missing: run `cd pwa && npm ci && npm run build` first")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[DoorstepServer]:
    """One server with demo data for the session."""
    _require_dist()
    srv = DoorstepServer(tmp_path_factory.mktemp("doorstep-e2e"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def own_server(tmp_path) -> Iterator[DoorstepServer]:
    """A server of the test's own, for tests that kill it."""
    _require_dist()
    srv = DoorstepServer(tmp_path, households=10)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Worker:
    """One field worker's phone: a browser context (its own IndexedDB and service worker)."""

    def __init__(self, browser, server: DoorstepServer) -> None:
        self.server = server
        self.context = browser.new_context(viewport=PHONE, locale="en-US", service_workers="allow")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        self.page = self.new_page()
        self.offline = False

    def new_page(self):
        page = self.context.new_page()
        page.on("dialog", self._on_dialog)
        return page

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        # The app asks "Delete…?" only on purpose; any other dialog (alert) is a failure to see.
        dialog.accept() if dialog.type == "confirm" else dialog.dismiss()

    def sign_in(self, username: str) -> None:
        page = self.page
        page.goto(f"{self.server.url}/?lang=en")
        page.get_by_label("Username", exact=True).fill(username)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Add household").wait_for()
        wait_until_synced_once(page, TIMEOUT_MS / 1000)
        self.wait_synced()
        # The service worker must be active before going offline, or a reload has nothing to load.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    @property
    def status(self):
        return self.page.get_by_role("status", name="Sync status")

    def wait_synced(self) -> None:
        """Nothing waiting and no sync running."""
        from playwright.sync_api import expect

        expect(self.status).to_have_text(re.compile(r"^0 waiting$"), timeout=TIMEOUT_MS)

    def sync_now(self) -> None:
        from playwright.sync_api import expect

        button = self.page.get_by_role("button", name="Sync now")
        expect(button).to_be_enabled()
        button.click()

    def go_offline(self) -> None:
        """Cut the network for pages and the service worker (playwright#2311: set_offline alone
        does not stop the service worker's own fetches)."""
        self.context.set_offline(True)
        self.context.route("**/*", lambda route: route.abort("internetdisconnected"))
        self.offline = True

    def go_online(self) -> None:
        self.context.unroute("**/*")
        self.context.set_offline(False)
        self.offline = False

    def open_household(self, head_name: str) -> None:
        page = self.page
        page.get_by_role("link", name="Households").click()
        page.get_by_role("searchbox").fill(head_name)
        page.get_by_role("link", name=re.compile(re.escape(head_name))).first.click()
        page.get_by_role("button", name="Log visit").wait_for()

    def local_ids(self, collection: str) -> list[str]:
        """Record ids of a collection in this phone's IndexedDB."""
        return self.page.evaluate(
            """(collection) => new Promise((resolve, reject) => {
                const req = indexedDB.open('doorstep');
                req.onsuccess = () => {
                  const tx = req.result.transaction('records');
                  const all = tx.objectStore('records').index('collection').getAll(collection);
                  all.onsuccess = () => {
                    resolve(all.result.map((r) => r.id));
                    req.result.close();
                  };
                  all.onerror = () => reject(all.error);
                };
                req.onerror = () => reject(req.error);
              })""",
            collection,
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def make_worker(browser):
    """make_worker(server, "canbo1") → a signed-in Worker; contexts are closed after the test."""
    made: list[Worker] = []

    def make(srv: DoorstepServer, username: str) -> Worker:
        w = Worker(browser, srv)
        made.append(w)
        w.sign_in(username)
        return w

    yield make
    for w in made:
        w.close()

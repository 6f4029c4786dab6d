"""End-to-end fixtures: a real `doorstep serve` on a temporary SQLite database serving the built
app (pwa/dist), and Debian's Chromium driven by Playwright.

The app must be built first (`cd pwa && npm ci && npm run build`); the tests skip with that
message when pwa/dist is missing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAST_SYNC,
    ROOT,
    ServerProcess,
    wait_until,
    wait_until_synced_once,
)

DIST = ROOT / "pwa" / "dist"
PASSWORD = "doorstep2024"  # every demo user made by `doorstep seed-demo`
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}  # a cheap phone: the width the field app must fit
TIMEOUT_MS = 20_000
# What signing in and the header say, per language (pwa/src/i18n.js).
WORDS = {
    "en": {
        "username": "Username",
        "password": "Password",
        "sign_in": "Sign in",
        "add_household": "Add household",
        "sync_status": "Sync status",
        "sync_now": "Sync now",
        "synced": r"^0 waiting$",
        "households": "Households",
        "log_visit": "Log visit",
        "edit": "Edit",
        "phone": "Phone",
        "save": "Save",
    },
    "vi": {
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "sign_in": "Đăng nhập",
        "add_household": "Thêm hộ",
        "sync_status": "Trạng thái đồng bộ",
        "sync_now": "Đồng bộ ngay",
        "synced": r"^0 đang chờ$",
        "households": "Hộ dân",
        "log_visit": "Ghi lượt thăm",
        "edit": "Sửa",
        "phone": "Số điện thoại",
        "save": "Lưu",
    },
}


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

    def get_bytes(self, path: str) -> bytes:
        r = requests.get(f"{self.url}/api/v1{path}", headers=self.headers, timeout=30)
        assert r.status_code == 200, r.text
        return r.content

    def post(self, path: str, body: Any) -> Any:
        r = requests.post(f"{self.url}/api/v1{path}", json=body, headers=self.headers, timeout=30)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def patch(self, path: str, body: Any) -> Any:
        r = requests.patch(f"{self.url}/api/v1{path}", json=body, headers=self.headers, timeout=30)
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

    def __init__(
        self,
        browser,
        server: DoorstepServer,
        *,
        lang: str = "en",
        viewport: dict | None = None,
        context=None,
    ) -> None:
        """A fresh context of `browser`, or `context` when given (a persistent profile)."""
        self.server = server
        self.lang = lang
        self.words = WORDS[lang]
        self.context = context or browser.new_context(
            viewport=viewport or PHONE,
            locale="en-US" if lang == "en" else "vi-VN",
            service_workers="allow",
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        # What the app shell's content security policy refused (§8): must stay empty.
        self.refused: list[str] = []
        self.page = self.new_page()
        self.offline = False
        # The last sync before the latest Sync now, until `wait_synced` has seen a newer one.
        self.synced_before: str | None = None

    def new_page(self):
        page = self.context.new_page()
        page.on("dialog", self._on_dialog)
        page.on("console", self._on_console)
        return page

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(message.text)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        # The app asks "Delete…?" only on purpose; any other dialog (alert) is a failure to see.
        dialog.accept() if dialog.type == "confirm" else dialog.dismiss()

    def sign_in(self, username: str) -> None:
        page, words = self.page, self.words
        page.goto(f"{self.server.url}/?lang={self.lang}")
        page.get_by_label(words["username"], exact=True).fill(username)
        page.get_by_label(words["password"], exact=True).fill(PASSWORD)
        page.get_by_role("button", name=words["sign_in"], exact=True).click()
        page.get_by_role("button", name=words["add_household"]).wait_for()
        wait_until_synced_once(page, TIMEOUT_MS / 1000)
        self.wait_synced()
        # The service worker must be active before going offline, or a reload has nothing to load.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    @property
    def status(self):
        return self.page.get_by_role("status", name=self.words["sync_status"])

    @property
    def sync_button(self):
        return self.page.get_by_role("button", name=self.words["sync_now"])

    def wait_synced(self) -> None:
        """Nothing waiting and no sync running; after `sync_now`, the sync it asked for (or a
        later one) has succeeded. The header's "0 waiting" alone says neither: it reads so
        before a sync has started and between its requests."""
        from playwright.sync_api import expect

        if self.synced_before is not None:
            newer = f"() => ({LAST_SYNC})().then((at) => at !== {json.dumps(self.synced_before)})"
            wait_until(self.page, newer, TIMEOUT_MS / 1000)
            self.synced_before = None
        expect(self.status).to_have_text(re.compile(self.words["synced"]), timeout=TIMEOUT_MS)
        # Disabled while a sync runs.
        expect(self.sync_button).to_be_enabled(timeout=TIMEOUT_MS)

    def sync_now(self) -> None:
        from playwright.sync_api import expect

        expect(self.sync_button).to_be_enabled()
        self.synced_before = self.page.evaluate(LAST_SYNC)
        self.sync_button.click()

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
        page.get_by_role("link", name=self.words["households"]).click()
        page.get_by_role("searchbox").fill(head_name)
        page.get_by_role("link", name=re.compile(re.escape(head_name))).first.click()
        page.get_by_role("button", name=self.words["log_visit"]).wait_for()

    def local_ids(self, collection: str) -> list[str]:
        """Record ids of a collection in this phone's IndexedDB."""
        return self.page.evaluate(
            """(collection) => new Promise((resolve, reject) => {
                const req = indexedDB.open('doorstep');
                req.onsuccess = () => {
                  const tx = req.result.transaction('records');
                  // The primary key is [collection, id]: one collection is one range of it.
                  const range = IDBKeyRange.bound([collection], [collection, []]);
                  const all = tx.objectStore('records').getAll(range);
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
    """make_worker(server, "canbo1", lang="vi", viewport=SMALL_PHONE) → a signed-in Worker;
    contexts are closed after the test."""
    made: list[Worker] = []

    def make(srv: DoorstepServer, username: str, **options: Any) -> Worker:
        w = Worker(browser, srv, **options)
        made.append(w)
        w.sign_in(username)
        return w

    yield make
    for w in made:
        w.close()
    assert not [r for w in made for r in w.refused], "the content security policy refused something"


def vietnamese_name(fake: Any) -> str:
    """A full name that reads Vietnamese, family name first, from a vi_VN Faker (whose
    `first_name` can be "John" and whose `name` puts the given name first)."""
    given = fake.first_name_female() if fake.boolean() else fake.first_name_male()
    return f"{fake.last_name()} {fake.middle_name()} {given}"


class Town:
    """The admin's side, to give one test a neighbourhood and people of its own on the shared
    server, so that what other tests do elsewhere never shows in its counts."""

    def __init__(self, server: DoorstepServer) -> None:
        from faker import Faker

        self.server = server
        self.admin = server.login("admin")
        self.fake = Faker("vi_VN")

    def push(self, client: ApiClient, *ops: dict) -> list[dict]:
        """Push ops (`collection`, `fields`, optional `id`/`base_rev`) as that client; each must
        be applied. Returns the results."""
        wire = [
            {
                "op_id": str(uuid.uuid4()),
                "id": op.get("id") or str(uuid.uuid4()),
                "base_rev": op.get("base_rev"),
                "collection": op["collection"],
                "fields": op["fields"],
            }
            for op in ops
        ]
        results = client.post("/sync/push", {"device_id": "e2e-setup", "ops": wire})["results"]
        assert all(r["status"] == "applied" for r in results), results
        return results

    def quarter(self) -> dict:
        """A new neighbourhood: `{"id", "code", "name"}`."""
        code = f"T{uuid.uuid4().hex[:5].upper()}"
        name = f"Khu phố {self.fake.street_name()} {code}"
        fields = {"code": code, "name": name}
        (result,) = self.push(self.admin, {"collection": "quarters", "fields": fields})
        return {"id": result["id"], **fields}

    @contextmanager
    def campaign_today(self) -> Iterator[dict]:
        """A campaign running today, the one forms and the Deeds screen open on: `{"id",
        "name"}`. Campaigns are town-wide: it is ended when the block ends, so that the next
        test's is the only one running today."""
        today = date.today()
        name = f"Dân vận đợt {today.month}/{today.year} {uuid.uuid4().hex[:4]}"
        fields = {
            "name": name,
            "starts_on": (today - timedelta(days=3)).isoformat(),
            "ends_on": (today + timedelta(days=10)).isoformat(),
            "active": True,
        }
        (campaign,) = self.push(self.admin, {"collection": "campaigns", "fields": fields})
        try:
            yield {"id": campaign["id"], "name": name}
        finally:
            ended = {"active": False}
            self.push(
                self.admin,
                {"collection": "campaigns", "id": campaign["id"], "base_rev": 1, "fields": ended},
            )

    def unit(self) -> dict:
        """A new unit (ban ngành, đoàn thể): `{"id", "name"}`."""
        name = f"Chi hội {self.fake.last_name()} {uuid.uuid4().hex[:5].upper()}"
        fields = {"name": name, "kind": "mass_organisation"}
        (result,) = self.push(self.admin, {"collection": "units", "fields": fields})
        return {"id": result["id"], "name": name}

    def person(self, role: str, quarters: list[dict], unit: dict | None = None) -> dict:
        """A new user of that role in those neighbourhoods (and that unit):
        `{"username", "name", "id"}`."""
        username = f"u{uuid.uuid4().hex[:10]}"
        name = self.full_name()
        user = self.admin.post(
            "/users",
            {
                "username": username,
                "password": PASSWORD,
                "display_name": name,
                "role": role,
                "quarters": [q["id"] for q in quarters],
                "unit_id": unit["id"] if unit else None,
            },
        )
        return {"username": username, "name": name, "id": user["id"]}

    def full_name(self) -> str:
        """A Vietnamese full name, family name first."""
        return vietnamese_name(self.fake)

    def move(self, person: dict, quarters: list[dict]) -> None:
        """Give a user other neighbourhoods (§9 PATCH /users)."""
        self.admin.patch(f"/users/{person['id']}", {"quarters": [q["id"] for q in quarters]})

    def household(self, person: dict, quarter: dict, **fields: Any) -> dict:
        """A household pushed by `person` (or the admin): `{"id", "head"}`."""
        client = self.admin if person is None else self.server.login(person["username"])
        head = self.head_name()
        body = {"quarter_id": quarter["id"], "address": "5 Hùng Vương", "head_name": head}
        (result,) = self.push(client, {"collection": "households", "fields": {**body, **fields}})
        return {"id": result["id"], "head": head}

    def head_name(self) -> str:
        """A household head's name, unique in the session."""
        return f"{self.full_name()} {uuid.uuid4().hex[:4]}"


@pytest.fixture
def town(server) -> Town:
    return Town(server)

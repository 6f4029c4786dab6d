"""A new version of the app, deployed while the app is open, arrives only with the user's consent.

Two builds of the same source, told apart by their version, are served in turn by a real
`doorstep serve` (DOORSTEP_PWA_DIST; deploying swaps the folder's contents) to Chromium with a
persistent profile, so that the service worker and IndexedDB outlive closing the browser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from faker import Faker
from playwright.sync_api import expect

from .browser import CHROMIUM, CHROMIUM_ARGS, ROOT, wait_until
from .conftest import PHONE, TIMEOUT_MS, DoorstepServer, Worker, vietnamese_name

pytestmark = pytest.mark.e2e

PACKAGE_VERSION = json.loads((ROOT / "pwa" / "package.json").read_text())["version"]
OLD = f"{PACKAGE_VERSION}+e2e.1"
NEW = f"{PACKAGE_VERSION}+e2e.2"
AVAILABLE = "A new version is available."
READY = re.compile(r"^A new version is ready\.")
fake = Faker("vi_VN")

# Counts the app's requests for persistent storage in each page load.
COUNT_PERSIST = """
const persist = StorageManager.prototype.persist;
StorageManager.prototype.persist = function () {
  window.persistAsked = (window.persistAsked || 0) + 1;
  return persist.call(this);
};
"""


class Deployment:
    """The folder the server serves the app from; deploying a build replaces its contents."""

    def __init__(self, folder: Path, builds: dict[str, Path]) -> None:
        self.folder = folder
        self.builds = builds

    def deploy(self, version: str) -> None:
        for child in self.folder.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(self.builds[version], self.folder, dirs_exist_ok=True)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Deployment:
    """The app built twice (OLD and NEW), once for the module; OLD is served first."""
    pwa = ROOT / "pwa"
    if not (pwa / "node_modules").is_dir():
        pytest.skip("pwa/node_modules is missing: run `cd pwa && npm ci` first")
    builds = tmp_path_factory.mktemp("builds")
    for version in (OLD, NEW):
        subprocess.run(
            ["npx", "vite", "build", "--outDir", str(builds / version), "--emptyOutDir"],
            cwd=pwa,
            env={**os.environ, "DOORSTEP_APP_VERSION": version},
            check=True,
            capture_output=True,
        )
    d = Deployment(tmp_path_factory.mktemp("served"), {v: builds / v for v in (OLD, NEW)})
    d.deploy(OLD)
    return d


@pytest.fixture(scope="module")
def update_server(tmp_path_factory, deployment) -> DoorstepServer:
    srv = DoorstepServer(tmp_path_factory.mktemp("doorstep-updates"), households=5)
    srv.env["DOORSTEP_PWA_DIST"] = str(deployment.folder)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def open_phone(browser, update_server, deployment, tmp_path):
    """open_phone() → the phone (a Worker) on one persistent profile, in a new browser session.
    Each test starts with OLD deployed."""
    deployment.deploy(OLD)
    opened: list[Worker] = []

    def open_() -> Worker:
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            locale="en-US",
            service_workers="allow",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(COUNT_PERSIST)
        phone = Worker(browser, update_server, context=context)
        opened.append(phone)
        return phone

    yield open_
    for phone in opened:
        phone.close()


def household_name() -> str:
    return f"{vietnamese_name(fake)} {uuid.uuid4().hex[:4]}"


def hold_pushes(phone: Worker) -> None:
    """The server is unreachable for pushes: saved changes wait in the outbox."""
    phone.context.route("**/api/v1/sync/push", lambda route: route.abort("internetdisconnected"))


def release_pushes(phone: Worker) -> None:
    phone.context.unroute("**/api/v1/sync/push")


def start_household(page, head: str) -> None:
    """Open the new household form and type into it, without saving."""
    page.get_by_role("link", name="Households").click()
    page.get_by_role("button", name="Add household").click()
    page.get_by_label("Head of household", exact=True).fill(head)
    page.get_by_label("Address", exact=True).fill(fake.street_address())
    page.get_by_label("Neighbourhood", exact=True).select_option(label="Khu phố 4")


def save(page, head: str) -> None:
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=head)).to_be_visible(timeout=TIMEOUT_MS)


def check_for_update(page) -> None:
    """What the app does when it comes back to the foreground: look for a new version."""
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def mark(page) -> None:
    """Mark the page's JavaScript world; a reload clears the mark."""
    page.evaluate("window.sameLoad = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.sameLoad === true")


def wait_reloaded(page) -> None:
    wait_until(page, "window.sameLoad !== true", TIMEOUT_MS / 1000)


def version(page) -> str:
    """The version the window runs, as Settings shows it."""
    page.get_by_role("link", name="Settings").click()
    shown = page.get_by_text(re.compile(r"^Version "))
    expect(shown).to_be_visible(timeout=TIMEOUT_MS)
    return shown.inner_text().removeprefix("Version ")


def update_button(page):
    return page.get_by_role("button", name="Update", exact=True)


def pushed_once(server: DoorstepServer, heads: list[str]) -> None:
    """Each household reached the server exactly once: one record, at its first revision."""
    records = server.login("admin").all_records()
    for head in heads:
        found = [
            r
            for (c, _), r in records.items()
            if c == "households" and r["fields"]["head_name"] == head
        ]
        assert [r["rev"] for r in found] == [1], head


def test_first_session_new_version_waits_for_consent_and_keeps_the_outbox(
    open_phone, deployment, update_server
):
    phone = open_phone()
    phone.sign_in("canbo3")
    page = phone.page
    # Controlled from the first load, so a new version has something to wait behind.
    wait_until(page, "navigator.serviceWorker.controller !== null", TIMEOUT_MS / 1000)

    hold_pushes(phone)
    waiting_head = household_name()
    start_household(page, waiting_head)
    save(page, waiting_head)
    expect(phone.status).to_have_text(re.compile(r"^1 waiting"), timeout=TIMEOUT_MS)

    typed = household_name()
    start_household(page, typed)
    mark(page)
    deployment.deploy(NEW)
    check_for_update(page)
    expect(page.get_by_text(AVAILABLE)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Save or cancel the form you are filling in")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(update_button(page)).to_have_count(0)

    # A window opened now runs the version the first one runs, and offers the new one.
    second = phone.new_page()
    second.goto(f"{update_server.url}/")
    expect(update_button(second)).to_be_visible(timeout=TIMEOUT_MS)
    assert version(second) == OLD
    second.close()

    assert not_reloaded(page)
    expect(page.get_by_label("Head of household", exact=True)).to_have_value(
        typed, timeout=TIMEOUT_MS
    )

    # After Cancel, Update is offered and takes the new version.
    page.get_by_role("button", name="Cancel").click()
    update_button(page).click()
    wait_reloaded(page)
    assert version(page) == NEW
    expect(page.get_by_text(AVAILABLE)).to_have_count(0)

    # The change made under the old version is still waiting, and arrives once.
    expect(phone.status).to_have_text(re.compile(r"^1 waiting"), timeout=TIMEOUT_MS)
    release_pushes(phone)
    phone.sync_now()
    phone.wait_synced()
    pushed_once(update_server, [waiting_head])

    assert phone.dialogs == []

    # The new version opens with no network.
    phone.go_offline()
    page.reload()
    expect(page.get_by_text(f"Version {NEW}")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("link", name="Households").click()
    page.get_by_role("searchbox").fill(waiting_head)
    expect(page.get_by_role("link", name=re.compile(re.escape(waiting_head)))).to_be_visible(
        timeout=TIMEOUT_MS
    )


def test_later_session_update_accepted_in_one_window_keeps_the_form_in_the_other(
    open_phone, deployment, update_server
):
    phone = open_phone()
    phone.sign_in("canbo3")
    assert version(phone.page) == OLD
    # Settings says whether the browser keeps the app's storage (this Chromium does not).
    expect(phone.page.get_by_text("Storage is not persistent")).to_be_visible(timeout=TIMEOUT_MS)
    phone.close()

    # A later session: the app opens signed in, and asks again to keep its storage.
    phone = open_phone()
    window1 = phone.page
    window1.goto(f"{update_server.url}/")
    expect(window1.get_by_role("button", name="Add household")).to_be_visible(timeout=TIMEOUT_MS)
    wait_until(window1, "window.persistAsked >= 1", TIMEOUT_MS / 1000)

    hold_pushes(phone)
    waiting_head = household_name()
    start_household(window1, waiting_head)
    save(window1, waiting_head)
    typed = household_name()
    start_household(window1, typed)
    mark(window1)

    deployment.deploy(NEW)
    check_for_update(window1)
    expect(window1.get_by_text(AVAILABLE)).to_be_visible(timeout=TIMEOUT_MS)
    expect(update_button(window1)).to_have_count(0)

    # The user accepts in another window: it reloads into the new version.
    window2 = phone.new_page()
    window2.goto(f"{update_server.url}/")
    assert version(window2) == OLD
    mark(window2)
    update_button(window2).click()
    wait_reloaded(window2)
    expect(window2.get_by_text(f"Version {NEW}")).to_be_visible(timeout=TIMEOUT_MS)

    # The window with the half-filled form keeps it, and says the new version is ready.
    expect(window1.get_by_text(READY)).to_be_visible(timeout=TIMEOUT_MS)
    assert not_reloaded(window1)
    expect(window1.get_by_label("Head of household", exact=True)).to_have_value(
        typed, timeout=TIMEOUT_MS
    )

    # Saving the form is when it reloads into the new version.
    window1.get_by_role("button", name="Save").click()
    wait_reloaded(window1)
    expect(window1.get_by_role("heading", name=typed)).to_be_visible(timeout=TIMEOUT_MS)
    assert version(window1) == NEW
    expect(phone.status).to_have_text(re.compile(r"^2 waiting"), timeout=TIMEOUT_MS)

    release_pushes(phone)
    phone.sync_now()
    phone.wait_synced()
    pushed_once(update_server, [waiting_head, typed])
    assert phone.dialogs == []  # no "Reload site?" either

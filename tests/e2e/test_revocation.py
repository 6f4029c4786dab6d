"""A lost phone (§3, §9): once its sign-in is revoked, nothing it pulled stays readable on it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .browser import wait_until_synced_once
from .conftest import TIMEOUT_MS
from .test_field_app import add_household

pytestmark = pytest.mark.e2e

# The meta keys and the outbox size in this phone's IndexedDB.
STORED = """() => new Promise((resolve, reject) => {
  const req = indexedDB.open('doorstep');
  req.onsuccess = () => {
    const tx = req.result.transaction(['meta', 'outbox']);
    const keys = tx.objectStore('meta').getAllKeys();
    const count = tx.objectStore('outbox').count();
    tx.oncomplete = () => {
      resolve({ meta: keys.result, outbox: count.result });
      req.result.close();
    };
    tx.onerror = () => reject(tx.error);
  };
  req.onerror = () => reject(req.error);
})"""


def test_a_phone_signed_out_from_the_console_deletes_what_it_pulled_and_keeps_its_outbox(
    server, make_worker
):
    lost = make_worker(server, "canbo2")
    spare = make_worker(server, "canbo2")  # the same person's other phone
    pulled = set(lost.local_ids("households"))
    assert pulled, "the first sync brought the neighbourhoods' households"
    lost.go_offline()
    name = f"Phạm Thị Chưa Gửi {uuid.uuid4().hex[:6]}"
    add_household(lost.page, name, address="7 Lê Lợi")
    expect(lost.status).to_have_text(re.compile(r"^1 waiting"))
    lost_id = lost.page.evaluate("""() => new Promise((resolve) => {
      const req = indexedDB.open('doorstep');
      req.onsuccess = () => {
        const get = req.result.transaction('meta').objectStore('meta').get('device_id');
        get.onsuccess = () => { resolve(get.result.value); req.result.close(); };
      };
    })""")

    # The admin signs that one phone out, from its row in the devices table.
    admin = make_worker(server, "admin")
    page = admin.page
    page.goto(f"{server.url}/users")
    # On a phone the row is a card, read as "Username canbo2 …".
    page.get_by_role("row", name=re.compile(r"^(Username )?canbo2 ")).get_by_role(
        "button", name="Edit canbo2"
    ).click()
    devices = page.get_by_role("table", name="Devices")
    row = devices.get_by_role("row").filter(has_text=lost_id)
    row.get_by_role("button", name="Sign out this device").click()
    assert any("Sign" in d and "out of" in d for d in admin.dialogs)
    expect(row.get_by_text("Signed out", exact=True)).to_be_visible()

    lost.go_online()  # the app syncs by itself and hears 401 "revoked"
    phone = lost.page
    expect(phone.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(phone.get_by_text("You were signed out of this phone")).to_be_visible()
    left = set(lost.local_ids("households"))
    assert not left & pulled, "no pulled household stays readable"
    assert len(left) == 1, "only the unsent one, as typed"
    stored = phone.evaluate(STORED)
    assert stored["outbox"] == 1
    assert not {"session", "cursor"} & set(stored["meta"])

    spare.sync_now()  # the other phone is still signed in
    spare.wait_synced()
    expect(spare.page.get_by_role("button", name="Add household")).to_be_visible()

    # The same person signs in again: the unsent household goes through, the rest comes back.
    phone.get_by_label("Username", exact=True).fill("canbo2")
    phone.get_by_label("Password", exact=True).fill("doorstep2024")
    phone.get_by_role("button", name="Sign in", exact=True).click()
    # The wipe took the last sync's time: "Synced" counts once a whole sync has run again.
    wait_until_synced_once(phone, TIMEOUT_MS / 1000)
    lost.wait_synced()
    expect(phone.get_by_text("You were signed out of this phone")).to_have_count(0)
    assert server.login("admin").get("/records/households", q=name)["total"] == 1
    assert pulled <= set(lost.local_ids("households"))

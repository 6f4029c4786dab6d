"""Photos as evidence, in a real Chromium on a phone's screen: a photo attached to a visit while
offline is reduced on the phone (orientation applied, EXIF gone), waits on the sync screen,
uploads once the connection is back, the supervisor sees its thumbnail in the review queue and
opens it, and a colleague's phone learns of it from the feed and shows it when online; the
viewer is a dialog a keyboard user closes with Escape, back on the thumbnail that opened it."""

from __future__ import annotations

import hashlib
import io
import random
import re
import uuid

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.e2e

ORIENTATION, MODEL, GPS = 0x0112, 0x0110, 0x8825
# Reducing a 6-megapixel photo and uploading it take longer than a click on a busy machine.
PHOTO_MS = 3 * TIMEOUT_MS


def camera_photo(path) -> None:
    """A 3000×2000 JPEG as a phone's camera writes it: turned by its EXIF orientation (6: the
    picture is to be turned 90° clockwise), with the camera's model and a location."""
    rng = random.Random(3)
    image = Image.frombytes("RGB", (300, 200), rng.randbytes(300 * 200 * 3)).resize((3000, 2000))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MODEL] = "Galaxy A05"
    exif.get_ifd(GPS).update({1: "N", 2: (10.0, 56.0, 1.0), 3: "E", 4: (107.0, 25.0, 6.0)})
    image.save(path, "JPEG", quality=92, exif=exif)


def test_photo_taken_offline_uploads_and_the_supervisor_sees_it(server, make_worker, tmp_path):
    worker = make_worker(server, "canbo1")
    page = worker.page
    head = f"Lê Thị Ảnh {uuid.uuid4().hex[:6]}"
    page.get_by_role("link", name="Households").click()
    page.get_by_role("button", name="Add household").click()
    page.get_by_label("Head of household", exact=True).fill(head)
    page.get_by_label("Address", exact=True).fill("9 Trần Phú")
    page.get_by_label("Neighbourhood", exact=True).select_option(label="Khu phố 1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=head)).to_be_visible()
    worker.wait_synced()
    before = set(worker.local_ids("visits"))

    worker.go_offline()
    photo = tmp_path / "IMG_0001.jpg"
    camera_photo(photo)
    page.get_by_role("button", name="Log visit").click()
    page.get_by_label("Purpose", exact=True).select_option(label="Outreach")
    expect(page.get_by_role("button", name="Add photo")).to_be_visible()
    page.locator("input[data-photo=gallery]").set_input_files(str(photo))
    photos = page.get_by_role("group", name="Photos (1/5)")
    expect(photos.locator("img[alt='Photo 1']")).to_be_visible(timeout=PHOTO_MS)
    expect(photos.get_by_text("Not saved yet")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Log visit").wait_for()
    (visit_id,) = set(worker.local_ids("visits")) - before

    # Offline, the sync screen lists the photo as waiting, nothing of it sent yet.
    page.get_by_role("link", name="Sync").click()
    waiting = page.get_by_role("region", name="Photos waiting to upload (1)")
    expect(waiting.get_by_text(re.compile(r"0% sent"))).to_be_visible()

    worker.go_online()
    worker.sync_now()
    expect(waiting).to_have_count(0, timeout=PHOTO_MS)
    admin = server.login("admin")
    (stored,) = admin.get("/photos", collection="visits", record_id=visit_id)["photos"]
    # Reduced on the phone: turned upright, at most 1600 px, about 200 KB, no EXIF left.
    assert (stored["width"], stored["height"]) == (1067, 1600)
    assert stored["content_type"] == "image/jpeg"
    assert stored["size"] < 300 * 1024
    served = admin.get_bytes(f"/photos/{stored['id']}")
    with Image.open(io.BytesIO(served)) as image:
        exif = image.getexif()
        assert MODEL not in exif and GPS not in exif and ORIENTATION not in exif

    supervisor = make_worker(server, "giamsat1")
    sp = supervisor.page
    sp.goto(f"{server.url}/review?collection=visits&review=all")
    sp.get_by_label("Search names and addresses (accents optional)").fill(head)
    expect(sp.get_by_role("status", name="Records found")).to_have_text("1 records")
    thumb = sp.locator(".staff-list img[alt='Photo 1']")
    expect(thumb).to_be_visible()
    # The 320 px thumbnail, upright.
    assert thumb.evaluate("img => img.decode().then(() => img.naturalWidth)") == 213
    sp.get_by_role("button", name="Open photo 1").click()
    viewer = sp.locator("dialog.photo-viewer")
    full = viewer.locator("img")
    expect(full).to_be_visible()
    assert full.evaluate("img => img.decode().then(() => img.naturalHeight)") == 1600
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_have_count(0)

    # Another phone learns of the photo from the feed: shown from the server when online, and a
    # placeholder that says so when offline.
    colleague = make_worker(server, "canbo2", lang="vi")
    cp = colleague.page
    cp.goto(f"{server.url}/records/visits/{visit_id}/edit")
    theirs = cp.get_by_role("group", name="Ảnh (1/5)")
    expect(theirs.get_by_text(re.compile("gửi từ máy khác"))).to_be_visible()
    told = theirs.locator("img[alt='Ảnh 1']")
    expect(told).to_be_visible()
    assert told.evaluate("img => img.decode().then(() => img.naturalWidth)") == 213
    expect(theirs.get_by_role("button", name="Bỏ ảnh 1")).to_have_count(0)
    colleague.go_offline()
    offline = theirs.get_by_role("img", name="Ảnh 1")
    expect(offline).to_have_text("Ảnh chỉ xem được khi có mạng")
    # A screen reader hears why, too: an image's text is not read out, its name is.
    expect(offline).to_have_accessible_name("Ảnh 1: Ảnh chỉ xem được khi có mạng")
    colleague.go_online()
    expect(told).to_be_visible()

    # The phone frees the space of photos the server has, and then shows them from the server.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name=re.compile(r"^Remove 1 uploaded photos")).click()
    expect(page.get_by_role("status").filter(has_text="Freed")).to_be_visible()
    expect(page.get_by_text("Photos on the phone: 0, 0 kB")).to_be_visible()
    page.goto(f"{server.url}/records/visits/{visit_id}/edit")
    shown = page.get_by_role("group", name="Photos (1/5)").locator("img")
    expect(shown).to_have_attribute("alt", "Photo 1")
    assert shown.evaluate("img => img.decode().then(() => img.naturalWidth)") == 213


def upload_photo(server, client, visit_id: str, colour: tuple[int, int, int]) -> str:
    """A small JPEG of a visit, sent in one chunk as a phone would; its id."""
    out = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(out, "JPEG")
    data = out.getvalue()
    photo_id = str(uuid.uuid4())
    r = requests.put(
        f"{server.url}/api/v1/photos/{photo_id}",
        params={
            "collection": "visits",
            "record_id": visit_id,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        data=data,
        headers={
            **client.headers,
            "Content-Type": "image/jpeg",
            "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}",
        },
        timeout=30,
    )
    assert r.status_code in (200, 201), r.text
    assert r.json()["complete"], r.text
    return photo_id


def replay(answer: requests.Response):
    """A route handler that answers with what the server answered."""

    def handle(route) -> None:
        route.fulfill(
            status=answer.status_code,
            body=answer.content,
            content_type=answer.headers["Content-Type"],
        )

    return handle


def refused_thumbnails(server, town, household_id: str, outsider, colour: tuple[int, int, int]):
    """A visit of the household with one photo, and what the server answers `outsider` (who may
    not see it, as once a worker's neighbourhoods changed) for its thumbnail, and for a photo it
    does not have: (visit, forbidden, missing)."""
    (visit,) = town.push(
        town.admin,
        {
            "collection": "visits",
            "fields": {
                "household_id": household_id,
                "visited_at": "2024-10-12T09:00:00+07:00",
                "purpose": "outreach",
            },
        },
    )
    photo_id = upload_photo(server, town.admin, visit["id"], colour)
    thumb = f"{server.url}/api/v1/photos/{photo_id}/thumb"
    forbidden = requests.get(thumb, headers=outsider.headers, timeout=30)
    assert forbidden.status_code == 403, forbidden.text
    missing = requests.get(
        f"{server.url}/api/v1/photos/{uuid.uuid4()}/thumb", headers=outsider.headers, timeout=30
    )
    assert missing.status_code == 404, missing.text
    return visit, forbidden, missing


def test_a_thumbnail_the_server_refuses_online_says_why_not_that_it_needs_a_connection(
    server, make_worker, town
):
    quarter, elsewhere = town.quarter(), town.quarter()
    worker_user = town.person("field", [quarter])
    outsider = server.login(town.person("field", [elsewhere])["username"])
    household = town.household(None, quarter)
    visit, forbidden, missing = refused_thumbnails(
        server, town, household["id"], outsider, (40, 160, 40)
    )

    worker = make_worker(server, worker_user["username"], lang="vi")
    page = worker.page
    edit = f"{server.url}/records/visits/{visit['id']}/edit"
    page.goto(edit)
    photos = page.get_by_role("group", name="Ảnh (1/5)")
    expect(photos.locator("img[alt='Ảnh 1']")).to_be_visible()

    # The phone stays online and keeps the record; the server's answer to its thumbnail changes.
    for answer, said in (
        (forbidden, "Tài khoản này không được xem ảnh này"),
        (missing, "Máy chủ không có ảnh này"),
    ):
        worker.context.unroute("**/thumb")
        worker.context.route("**/thumb", replay(answer))
        page.goto(edit)
        placeholder = photos.get_by_role("img", name="Ảnh 1")
        expect(placeholder).to_have_text(said)
        expect(placeholder).to_have_accessible_name(f"Ảnh 1: {said}")
        expect(placeholder).not_to_have_text("Ảnh chỉ xem được khi có mạng")
    worker.context.unroute("**/thumb")


def test_photo_viewer_closes_on_escape_and_gives_focus_back_to_its_thumbnail(
    server, make_worker, town
):
    admin = town.admin
    quarter = town.quarter()
    supervisor_user = town.person("supervisor", [quarter])
    head = town.head_name()
    (household,) = town.push(
        admin,
        {
            "collection": "households",
            "fields": {"quarter_id": quarter["id"], "address": "3 Lê Lợi", "head_name": head},
        },
    )
    (visit,) = town.push(
        admin,
        {
            "collection": "visits",
            "fields": {
                "household_id": household["id"],
                "visited_at": "2024-10-12T09:00:00+07:00",
                "purpose": "outreach",
            },
        },
    )
    upload_photo(server, admin, visit["id"], (200, 40, 40))
    upload_photo(server, admin, visit["id"], (40, 40, 200))

    supervisor = make_worker(server, supervisor_user["username"])
    sp = supervisor.page
    sp.goto(f"{server.url}/review?collection=visits&review=all")
    sp.get_by_label("Search names and addresses (accents optional)").fill(head)
    expect(sp.get_by_role("status", name="Records found")).to_have_text("1 records")
    second = sp.get_by_role("button", name="Open photo 2")
    expect(second.locator("img")).to_be_visible()

    # Opened from the keyboard: focus moves into the viewer, which is named after the photo.
    second.focus()
    sp.keyboard.press("Enter")
    viewer = sp.get_by_role("dialog", name="Photo 2")
    expect(viewer.get_by_role("img", name="Photo 2")).to_be_visible()
    expect(viewer.get_by_role("button", name="Close")).to_be_focused()
    # Escape closes it, and focus is back on the thumbnail that opened it (not the first one).
    sp.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(second).to_be_focused()

    # The same with the mouse and the Close button, from the first thumbnail.
    first = sp.get_by_role("button", name="Open photo 1")
    first.click()
    viewer = sp.get_by_role("dialog", name="Photo 1")
    expect(viewer).to_be_visible()
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_have_count(0)
    expect(first).to_be_focused()


def test_a_thumbnail_the_console_cannot_show_says_why(server, make_worker, town):
    quarter = town.quarter()
    supervisor_user = town.person("supervisor", [quarter])
    outsider = server.login(town.person("field", [town.quarter()])["username"])
    head = town.head_name()
    (household,) = town.push(
        town.admin,
        {
            "collection": "households",
            "fields": {"quarter_id": quarter["id"], "address": "5 Lê Lợi", "head_name": head},
        },
    )
    _, forbidden, missing = refused_thumbnails(
        server, town, household["id"], outsider, (160, 40, 160)
    )

    def busy(route) -> None:
        route.fulfill(status=503, body="Service Unavailable", content_type="text/plain")

    supervisor = make_worker(server, supervisor_user["username"])
    sp = supervisor.page
    queue = f"{server.url}/review?collection=visits&review=all"
    for answer, said in (
        (replay(forbidden), "This photo is not available to this account"),
        (replay(missing), "The server does not have this photo"),
        (busy, "Could not load the photo; try again later"),
    ):
        supervisor.context.unroute("**/thumb")
        supervisor.context.route("**/thumb", answer)
        sp.goto(queue)
        sp.get_by_label("Search names and addresses (accents optional)").fill(head)
        expect(sp.get_by_role("status", name="Records found")).to_have_text("1 records")
        placeholder = sp.get_by_role("img", name=f"Photo 1: {said}")
        expect(placeholder).to_have_text(said)
        expect(placeholder).to_have_accessible_name(f"Photo 1: {said}")
        # A screen reader on the thumbnail's button hears why too.
        opener = sp.get_by_role("button", name="Open photo 1")
        expect(opener).to_have_accessible_description(said)
    supervisor.context.unroute("**/thumb")
    # Once the server gives it, the thumbnail shows, with nothing more to say.
    sp.reload()
    sp.get_by_label("Search names and addresses (accents optional)").fill(head)
    expect(sp.locator(".staff-list img[alt='Photo 1']")).to_be_visible()
    expect(sp.get_by_role("button", name="Open photo 1")).to_have_accessible_description("")

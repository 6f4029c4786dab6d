"""Photos of visits, support and assessments: the resumable upload in chunks, duplicates, files
that are not photos, and scope (§3: a photo is read under its record's rules)."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, new_id, op
from photo_files import CHUNK, content_range, jpeg, png, sha256, webp
from PIL import Image

Upload = dict[str, Any]


def put(
    api: Api,
    photo_id: str,
    record: dict[str, Any],
    data: bytes,
    first: int | None,
    size: int,
    *,
    digest: str,
):
    """One PUT of a chunk (or, with `first=None`, the question where to continue)."""
    return api.call(
        "PUT",
        f"/photos/{photo_id}",
        query_string={
            "collection": record["collection"],
            "record_id": record["id"],
            "sha256": digest,
        },
        headers={"Content-Range": content_range(first, len(data), size)},
        data=data,
        content_type="application/octet-stream",
    )


def upload(api: Api, photo_id: str, record: dict[str, Any], data: bytes, start: int = 0):
    """Send a photo from `start` in 256 KiB chunks, as a device does; the last answer."""
    offset, response = start, None
    while offset < len(data):
        chunk = data[offset : offset + CHUNK]
        response = put(api, photo_id, record, chunk, offset, len(data), digest=sha256(data))
        if response.status_code != 200:
            return response
        offset = response.get_json()["offset"]
    return response


@pytest.fixture
def visit(field: Api, household: dict[str, Any], build, media: Path) -> dict[str, Any]:
    result = field.push_one(op("visits", new_id(), build.visit(household["id"])))
    assert result["status"] == "applied", result
    return result["record"]


@pytest.fixture
def media(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A media folder of this test's own."""
    monkeypatch.setitem(app.config, "MEDIA_DIR", str(tmp_path / "media"))
    return tmp_path / "media"


def stored_photos(media: Path) -> list[str]:
    folder = media / "photos"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_photo_sent_in_chunks_is_served_whole_with_a_thumbnail(field, visit, media):
    data = jpeg()
    assert len(data) > 2 * CHUNK
    photo_id = new_id()
    offsets = []
    offset = 0
    while offset < len(data):
        chunk = data[offset : offset + CHUNK]
        answer = put(field, photo_id, visit, chunk, offset, len(data), digest=sha256(data))
        assert answer.status_code == 200, answer.get_json()
        offset = answer.get_json()["offset"]
        offsets.append(offset)
    assert offsets == [min(len(data), CHUNK * n) for n in range(1, len(offsets) + 1)]
    done = answer.get_json()
    assert done["complete"] is True
    assert done["photo"]["record_id"] == visit["id"]
    assert done["photo"]["sha256"] == sha256(data)
    assert done["photo"]["content_type"] == "image/jpeg"
    assert (done["photo"]["width"], done["photo"]["height"]) == (1200, 900)
    assert done["photo"]["uploaded_by"]["id"] == field.id

    whole = field.get(f"/photos/{photo_id}")
    assert whole.status_code == 200
    assert whole.mimetype == "image/jpeg"
    assert whole.get_data() == data
    thumb = field.get(f"/photos/{photo_id}/thumb")
    assert thumb.status_code == 200
    with Image.open(io.BytesIO(thumb.get_data())) as small:
        assert small.format == "JPEG"
        assert max(small.size) == 320
    listed = field.get("/photos", query_string={"collection": "visits", "record_id": visit["id"]})
    assert [p["id"] for p in listed.get_json()["photos"]] == [photo_id]
    assert stored_photos(media) == [photo_id]
    assert list((media / "uploads").iterdir()) == []


def test_upload_resumes_from_the_offset_the_server_tells(field, visit):
    data = jpeg(seed=2)
    photo_id = new_id()
    digest = sha256(data)
    first = put(field, photo_id, visit, data[:CHUNK], 0, len(data), digest=digest)
    assert first.get_json()["offset"] == CHUNK

    # The device lost the answer, or restarted: it asks where to continue.
    asked = put(field, photo_id, visit, b"", None, len(data), digest=digest)
    assert asked.status_code == 200
    assert asked.get_json() == {
        "id": photo_id,
        "complete": False,
        "offset": CHUNK,
        "size": len(data),
        "photo": None,
    }
    # A chunk sent again from the start is refused with where to continue; nothing is doubled.
    again = put(field, photo_id, visit, data[:CHUNK], 0, len(data), digest=digest)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "wrong_offset"
    assert again.get_json()["error"]["details"] == {"offset": CHUNK}

    done = upload(field, photo_id, visit, data, start=CHUNK)
    assert done.get_json()["complete"] is True
    assert field.get(f"/photos/{photo_id}").get_data() == data


def test_complete_photo_sent_again_answers_its_id_and_is_kept_once(field, visit, media, sql):
    data = webp()
    photo_id = new_id()
    assert upload(field, photo_id, visit, data).get_json()["complete"] is True
    for first in (0, None):
        again = put(
            field,
            photo_id,
            visit,
            data if first == 0 else b"",
            first,
            len(data),
            digest=sha256(data),
        )
        assert again.status_code == 200
        assert again.get_json()["complete"] is True
        assert again.get_json()["photo"]["id"] == photo_id
    assert stored_photos(media) == [photo_id]
    assert sql("SELECT count(*) FROM photos") == [(1,)]
    # Another photo under the same id is refused, not stored over the first.
    other = png(50, 50)
    refused = put(field, photo_id, visit, other, 0, len(other), digest=sha256(other))
    assert refused.status_code == 409
    assert field.get(f"/photos/{photo_id}").get_data() == data


def _truncated() -> bytes:
    data = jpeg(seed=3)
    return data[: len(data) * 2 // 3]


def _fake_jpeg() -> bytes:
    return b"%PDF-1.7\n" + b"not a photo, whatever the file is called\n" * 100


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40)).save(out, "GIF")
    return out.getvalue()


def _lying_jpeg_header() -> bytes:
    return b"\xff\xd8\xff\xe0" + b"\x00" * 3000


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        pytest.param(_fake_jpeg, 415, "unsupported_media_type", id="pdf-called-a-photo"),
        pytest.param(_gif, 415, "unsupported_media_type", id="gif"),
        pytest.param(
            _lying_jpeg_header, 415, "unsupported_media_type", id="jpeg-header-then-zeros"
        ),
        pytest.param(_truncated, 422, "validation", id="truncated-jpeg"),
        pytest.param(lambda: png(8000, 5001), 422, "validation", id="over-40-megapixels"),
    ],
)
def test_a_file_that_is_not_a_photo_we_keep_is_refused_clearly(
    field, visit, media, sql, make, status, code
):
    data = make()
    photo_id = new_id()
    answer = upload(field, photo_id, visit, data)
    assert answer.status_code == status, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert stored_photos(media) == []
    assert sql("SELECT count(*) FROM photos") == [(0,)]
    assert field.get(f"/photos/{photo_id}").status_code == 404
    # Nothing of it is kept to resume from.
    asked = put(field, photo_id, visit, b"", None, len(data), digest=sha256(data))
    assert asked.get_json()["offset"] == 0


def test_forty_megapixels_exactly_is_accepted(field, visit):
    answer = upload(field, new_id(), visit, png(8000, 5000))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["photo"]["content_type"] == "image/png"


def test_a_photo_over_10_mb_is_refused_before_any_byte_is_kept(field, visit, media):
    size = 10 * 1024 * 1024 + 1
    data = jpeg(seed=4)[:CHUNK]
    answer = put(field, new_id(), visit, data, 0, size, digest="0" * 64)
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "too_large"
    assert not (media / "uploads").exists() or list((media / "uploads").iterdir()) == []


def test_bytes_other_than_those_announced_are_refused_and_dropped(field, visit, media):
    data = jpeg(seed=5)
    photo_id = new_id()
    answer = None
    for offset in range(0, len(data), CHUNK):
        chunk = data[offset : offset + CHUNK]
        answer = put(field, photo_id, visit, chunk, offset, len(data), digest="a" * 64)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"] == {
        "sha256": ["Does not match the bytes received."]
    }
    assert stored_photos(media) == []


def test_a_record_has_at_most_five_photos(field, visit):
    for seed in range(5):
        assert upload(field, new_id(), visit, png(60 + seed, 60)).get_json()["complete"]
    sixth = upload(field, new_id(), visit, png(99, 60))
    assert sixth.status_code == 422
    assert "record_id" in sixth.get_json()["error"]["details"]


def test_photos_follow_their_records_scope(make_user, field, visit, supervisor, admin, sql):
    data = png(120, 80)
    photo_id = new_id()
    assert upload(field, photo_id, visit, data).get_json()["complete"] is True
    elsewhere = make_user("field", ["KP2"])
    other_supervisor = make_user("supervisor", ["KP2"])

    # Outside one's neighbourhoods: 403, for the upload, the photo, its thumbnail and the list.
    assert upload(elsewhere, new_id(), visit, data).status_code == 403
    for api in (elsewhere, other_supervisor):
        assert api.get(f"/photos/{photo_id}").status_code == 403
        assert api.get(f"/photos/{photo_id}/thumb").status_code == 403
        listed = api.get("/photos", query_string={"collection": "visits", "record_id": visit["id"]})
        assert listed.get_json() == {"photos": []}
    # Unknown photo or record: 404.
    assert field.get(f"/photos/{new_id()}").status_code == 404
    ghost = {"collection": "visits", "id": new_id()}
    assert upload(field, new_id(), ghost, data).status_code == 404
    # Supervisors read, never upload; their looks are audited, field staff's are not.
    assert upload(supervisor, new_id(), visit, data).status_code == 403
    sql("DELETE FROM audit_log")
    assert field.get(f"/photos/{photo_id}").status_code == 200
    assert sql("SELECT count(*) FROM audit_log") == [(0,)]
    assert supervisor.get(f"/photos/{photo_id}").get_data() == data
    assert supervisor.get(f"/photos/{photo_id}/thumb").status_code == 200
    assert admin.get(f"/photos/{photo_id}").status_code == 200
    log = admin.get("/audit", query_string={"action": "photo"}).get_json()["entries"]
    assert [(e["user"]["id"], e["target"], e["details"]) for e in reversed(log)] == [
        (supervisor.id, f"visits/{visit['id']}", {"photo": photo_id}),
        (supervisor.id, f"visits/{visit['id']}", {"thumbs": [photo_id]}),
        (admin.id, f"visits/{visit['id']}", {"photo": photo_id}),
    ]


def test_a_lost_thumbnail_is_made_again(field, visit, media):
    photo_id = new_id()
    upload(field, photo_id, visit, jpeg(seed=6))
    (media / "thumbs" / f"{photo_id}.jpg").unlink()
    assert field.get(f"/photos/{photo_id}/thumb").status_code == 200
    assert (media / "thumbs" / f"{photo_id}.jpg").exists()


@pytest.mark.parametrize(
    "header",
    ["bytes 0-9/5", "bytes 10-0/100", "items 0-9/10", "bytes=0-9/10", "bytes 0-99/100"],
)
def test_a_content_range_that_does_not_fit_the_body_is_a_bad_request(field, visit, header):
    answer = field.call(
        "PUT",
        f"/photos/{new_id()}",
        query_string={"collection": "visits", "record_id": visit["id"], "sha256": "b" * 64},
        headers={"Content-Range": header},
        data=b"\xff\xd8\xff" + b"0" * 7,
        content_type="application/octet-stream",
    )
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"]["code"] == "bad_request"


# -- a photo's record in the feed -------------------------------------------------------------


def photo_changes(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in changes if c["collection"] == "photos"]


def test_a_complete_photo_is_a_record_other_devices_in_scope_pull(
    make_user, field, visit, household, admin
):
    colleague = make_user("field", ["KP1"], device_id="phone-of-a-colleague")
    elsewhere = make_user("field", ["KP2"])
    _, colleague_cursor = colleague.pull_all()
    _, elsewhere_cursor = elsewhere.pull_all()
    data = jpeg(seed=11)
    photo_id = new_id()
    # Until the photo is whole it is nowhere in the feed.
    put(field, photo_id, visit, data[:CHUNK], 0, len(data), digest=sha256(data))
    assert photo_changes(colleague.pull_all(colleague_cursor)[0]) == []
    assert upload(field, photo_id, visit, data, start=CHUNK).get_json()["complete"] is True

    changes, _ = colleague.pull_all(colleague_cursor)
    assert [(c["op"], c["id"]) for c in changes] == [("upsert", photo_id)]
    record = changes[0]["record"]
    assert record["rev"] == 1 and record["deleted"] is False
    assert record["fields"] == {
        "record_collection": "visits",
        "record_id": visit["id"],
        "household_id": household["id"],
        "size": len(data),
        "sha256": sha256(data),
        "content_type": "image/jpeg",
        "width": 1200,
        "height": 900,
    }
    assert record["meta"]["quarter_id"] == household["meta"]["quarter_id"]
    assert record["meta"]["created_by"]["id"] == field.id
    assert record["meta"]["unit_id"] is None  # no field data: counted for no unit
    # A first sync holds it too; a user of another neighbourhood never sees it.
    assert photo_id in {
        c["id"] for c in photo_changes(make_user("supervisor", ["KP1"]).pull_all()[0])
    }
    assert photo_changes(elsewhere.pull_all(elsewhere_cursor)[0]) == []
    assert photo_changes(elsewhere.pull_all()[0]) == []
    assert photo_id in {c["id"] for c in photo_changes(admin.pull_all()[0])}


def test_no_one_may_push_a_photo_record(field, admin, visit, household):
    data = png(64, 48)
    photo_id = new_id()
    record = upload(field, photo_id, visit, data).get_json()["photo"]
    fields = {
        "record_collection": "visits",
        "record_id": visit["id"],
        "household_id": household["id"],
        "size": len(data),
        "sha256": record["sha256"],
        "content_type": "image/png",
        "width": 64,
        "height": 48,
    }
    for api in (field, admin):
        results = api.push(
            op("photos", new_id(), fields),
            op("photos", photo_id, {"width": 1}, base_rev=1),
            op("photos", photo_id, base_rev=1, delete=True),
        )
        assert [(r["status"], r["code"]) for r in results] == [("rejected", "forbidden")] * 3
        assert results[0]["errors"] == {"collection": ["You may not write this collection."]}
    assert field.record("photos", photo_id)["rev"] == 1
    assert field.get(f"/photos/{photo_id}").get_data() == data


def test_a_photo_sent_again_or_adopted_after_a_crash_keeps_one_record(field, visit, media, sql):
    data = webp()
    photo_id = new_id()
    upload(field, photo_id, visit, data)
    (seq,) = sql("SELECT seq FROM feed_state")[0]
    for first in (0, None):
        again = put(
            field,
            photo_id,
            visit,
            data if first == 0 else b"",
            first,
            len(data),
            digest=sha256(data),
        )
        assert again.get_json()["complete"] is True
    assert sql("SELECT seq FROM feed_state") == [(seq,)]
    assert sql("SELECT rev FROM records WHERE collection = 'photos'") == [(1,)]

    # The server stopped after naming the complete file and before recording it: the row and
    # the record are written together when the device asks again.
    adopted = new_id()
    shutil.copy(media / "photos" / photo_id, media / "photos" / adopted)
    asked = put(field, adopted, visit, b"", None, len(data), digest=sha256(data))
    assert asked.get_json()["complete"] is True
    assert sql("SELECT id FROM records WHERE collection = 'photos' ORDER BY id") == sorted(
        [(photo_id,), (adopted,)]
    )
    assert sql("SELECT count(*) FROM photos") == [(2,)]


def test_a_household_moved_to_another_neighbourhood_takes_its_photos_along(
    make_user, field, visit, household, admin, quarters, sql
):
    photo_id = new_id()
    upload(field, photo_id, visit, png(30, 20))
    there = make_user("field", ["KP2"])
    _, here_cursor = field.pull_all()
    _, there_cursor = there.pull_all()

    moved = admin.push_one(
        op(
            "households",
            household["id"],
            {"quarter_id": quarters["KP2"]},
            base_rev=household["rev"],
        )
    )
    assert moved["status"] == "applied", moved

    left = {(c["op"], c["collection"], c["id"]) for c in field.pull_all(here_cursor)[0]}
    assert ("evict", "photos", photo_id) in left
    arrived = {c["id"]: c for c in there.pull_all(there_cursor)[0]}
    assert arrived[photo_id]["op"] == "upsert"
    assert arrived[photo_id]["record"]["meta"]["quarter_id"] == quarters["KP2"]
    assert there.get(f"/photos/{photo_id}/thumb").status_code == 200
    assert field.get(f"/photos/{photo_id}/thumb").status_code == 403
    # The photo moved with its household; it did not become field data of its own.
    assert sql("SELECT rev, unit_id FROM records WHERE id = :id", id=photo_id) == [(1, None)]
    assert there.record("photos", photo_id)["meta"]["review"]["status"] == "pending"


def test_a_visit_moved_to_another_household_takes_its_photos_along(
    field, visit, household, admin, quarters, build
):
    photo_id = new_id()
    upload(field, photo_id, visit, png(30, 20))
    other = admin.push_one(op("households", new_id(), build.household(quarters["KP2"])))
    moved = admin.push_one(
        op("visits", visit["id"], {"household_id": other["id"]}, base_rev=visit["rev"])
    )
    assert moved["status"] == "applied", moved
    photo = admin.record("photos", photo_id)
    assert photo["rev"] == 2
    assert photo["fields"]["household_id"] == other["id"]
    assert photo["meta"]["quarter_id"] == quarters["KP2"]
    history = admin.get(f"/records/photos/{photo_id}/history").get_json()["revisions"]
    assert history[-1]["changes"] == {"household_id": {"from": household["id"], "to": other["id"]}}


def test_photo_records_are_not_reviewed_nor_counted(supervisor, field, visit, household, admin):
    photo_id = new_id()
    upload(field, photo_id, visit, png(30, 20))
    review = supervisor.post(f"/records/photos/{photo_id}/review", {"status": "approved"})
    assert review.status_code in (400, 404, 422), review.get_json()
    assert field.record("photos", photo_id)["meta"]["review"]["status"] == "pending"
    queue = supervisor.get("/records/visits", query_string={"review": "pending"}).get_json()
    assert [r["id"] for r in queue["records"]] == [visit["id"]]


def test_the_photos_export_names_what_each_photo_is_of(field, supervisor, visit, household):
    photo_id = new_id()
    data = png(30, 20)
    upload(field, photo_id, visit, data)
    answer = supervisor.get("/exports/photos.csv")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Mã bản ghi"], row["Ảnh của"], row["Mã bản ghi có ảnh"]) == (
        photo_id,
        "Lượt thăm hộ",
        visit["id"],
    )
    assert (row["Chủ hộ"], row["Dung lượng (byte)"]) == (
        household["fields"]["head_name"],
        str(len(data)),
    )


def test_a_records_thumbnails_seen_together_are_one_entry_of_the_audit_log(
    field, supervisor, admin, visit, household, build, monkeypatch
):
    photos = [new_id() for _ in range(3)]
    for n, photo_id in enumerate(photos):
        upload(field, photo_id, visit, png(20 + n, 20))
    other = field.push_one(op("visits", new_id(), build.visit(household["id"])))["record"]
    elsewhere = new_id()
    upload(field, elsewhere, other, png(10, 10))

    for photo_id in [*photos, photos[0], elsewhere]:
        assert supervisor.get(f"/photos/{photo_id}/thumb").status_code == 200
    assert supervisor.get(f"/photos/{photos[1]}").status_code == 200
    log = admin.get("/audit", query_string={"action": "photo"}).get_json()["entries"]
    assert [(e["target"], e["details"]) for e in reversed(log)] == [
        (f"visits/{visit['id']}", {"thumbs": photos}),
        (f"visits/{other['id']}", {"thumbs": [elsewhere]}),
        (f"visits/{visit['id']}", {"photo": photos[1]}),
    ]

    # A look later on is a look of its own.
    from server import audit

    later = audit.utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(audit, "utcnow", lambda: later)
    assert supervisor.get(f"/photos/{photos[2]}/thumb").status_code == 200
    newest = admin.get("/audit", query_string={"action": "photo"}).get_json()["entries"][0]
    assert (newest["target"], newest["details"]) == (
        f"visits/{visit['id']}",
        {"thumbs": [photos[2]]},
    )


def test_a_supervisors_reads_of_photo_records_are_audited_like_other_records(
    field, supervisor, admin, visit, household
):
    photo_id = new_id()
    upload(field, photo_id, visit, png(30, 20))
    listed = supervisor.get("/records/photos").get_json()["records"]
    assert [r["id"] for r in listed] == [photo_id]
    assert supervisor.get(f"/records/photos/{photo_id}").status_code == 200
    assert supervisor.get(f"/records/photos/{photo_id}/history").status_code == 200
    field.get("/records/photos/" + photo_id)  # field staff reading their own scope: not noted
    log = admin.get("/audit", query_string={"user": supervisor.id}).get_json()["entries"]
    assert [(e["action"], e["target"]) for e in reversed(log)] == [
        ("list", "photos"),
        ("view", f"photos/{photo_id}"),
        ("history", f"photos/{photo_id}"),
    ]
    # The log names a photo's record by the household it is about, as it does its visit.
    head = household["fields"]["head_name"]
    assert {e["subject"]["label"].split(" · ")[0] for e in log[:2]} == {head}
    assert log[2]["details"] == {"count": 1, "total": 1, "offset": 0}
    assert admin.get("/audit", query_string={"user": field.id}).get_json()["entries"] == []


def test_two_thumbnails_of_a_record_asked_at_the_same_moment_are_one_entry(
    app, field, supervisor, admin, visit, monkeypatch
):
    photos = [new_id(), new_id()]
    for n, photo_id in enumerate(photos):
        upload(field, photo_id, visit, png(20 + n, 20))
    from server import audit

    # Each request, having found no entry to fold its look into, waits for the other to have
    # found none too before it makes one; unless one waits for the other's entry first (then the
    # wait ends without the other, and the other folds its look into that entry).
    both_found_none = threading.Barrier(2, timeout=3)
    make_entry = audit.audit

    def make_entry_together(*args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_found_none.wait()
        make_entry(*args, **kwargs)

    monkeypatch.setattr(audit, "audit", make_entry_together)
    answers: list[int] = []

    def look(photo_id: str) -> None:
        answer = app.test_client().get(
            f"/api/v1/photos/{photo_id}/thumb", headers=supervisor.headers()
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=look, args=(photo_id,)) for photo_id in photos]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200]
    log = admin.get("/audit", query_string={"action": "photo"}).get_json()["entries"]
    assert [(e["target"], sorted(e["details"]["thumbs"])) for e in log] == [
        (f"visits/{visit['id']}", sorted(photos))
    ]


def test_a_records_list_of_photos_seen_again_is_one_entry_of_the_audit_log(
    field, supervisor, admin, visit, household, build, monkeypatch
):
    photos = [new_id(), new_id()]
    for n, photo_id in enumerate(photos):
        upload(field, photo_id, visit, png(20 + n, 20))
    other = field.push_one(op("visits", new_id(), build.visit(household["id"])))["record"]
    elsewhere = new_id()
    upload(field, elsewhere, other, png(10, 10))
    bare = field.push_one(op("visits", new_id(), build.visit(household["id"])))["record"]
    asked = {"collection": "visits", "record_id": [visit["id"], other["id"], bare["id"]]}

    def listed(api: Api) -> list[str]:
        answer = api.get("/photos", query_string=asked)
        assert answer.status_code == 200, answer.get_json()
        return [p["id"] for p in answer.get_json()["photos"]]

    def looks(api: Api) -> dict[str, Any]:
        log = admin.get("/audit", query_string={"user": api.id}).get_json()["entries"]
        log = [e for e in log if e["action"] not in ("create_user", "change_user")]
        assert {e["action"] for e in log} <= {"photo_list"}, log
        # The photos each entry lists (in the order the server gave them: by time, then id).
        found = {e["target"]: {k: sorted(v) for k, v in e["details"].items()} for e in log}
        assert len(found) == len(log), log  # one entry for each record
        return found

    # A review queue shown, then shown again: one entry for each record with photos, not two.
    assert sorted(listed(supervisor)) == sorted([*photos, elsewhere])
    listed(supervisor)
    assert looks(supervisor) == {
        f"visits/{visit['id']}": {"photos": sorted(photos)},
        f"visits/{other['id']}": {"photos": [elsewhere]},
    }
    # A photo added since is noted in the same look.
    added = new_id()
    upload(field, added, visit, png(30, 20))
    listed(supervisor)
    assert looks(supervisor)[f"visits/{visit['id']}"] == {"photos": sorted([*photos, added])}
    # The log names the record by its household, as it does the record's other reads.
    entry = admin.get("/audit", query_string={"action": "photo_list"}).get_json()["entries"][0]
    assert entry["subject"]["label"].split(" · ")[0] == household["fields"]["head_name"]

    # Another person's look, and a look later on, are looks of their own.
    assert len(listed(admin)) == 4
    assert looks(admin) == {
        f"visits/{visit['id']}": {"photos": sorted([*photos, added])},
        f"visits/{other['id']}": {"photos": [elsewhere]},
    }
    from server import audit

    later = audit.utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(audit, "utcnow", lambda: later)
    supervisor.get("/photos", query_string={"collection": "visits", "record_id": other["id"]})
    log = admin.get("/audit", query_string={"user": supervisor.id}).get_json()["entries"]
    assert (log[0]["target"], log[0]["details"]) == (
        f"visits/{other['id']}",
        {"photos": [elsewhere]},
    )
    assert len(log) == 3
    assert {e["target"]: sorted(e["details"]["photos"]) for e in log[1:]} == {
        f"visits/{visit['id']}": sorted([*photos, added]),
        f"visits/{other['id']}": [elsewhere],
    }

    # Field staff reading their own scope are not noted.
    assert len(listed(field)) == 4
    assert admin.get("/audit", query_string={"user": field.id}).get_json()["entries"] == []

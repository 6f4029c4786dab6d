"""The photo endpoints: a resumable upload in chunks, the photo, its thumbnail, and a record's
photos. A photo is read under its record's scope (§3: 404 unknown, 403 outside one's
neighbourhoods); supervisors' and admins' looks are audited (a record's thumbnails seen together
as one look, and so its list of photos)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, send_file
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from sync.catalogue import FIELD_WRITERS
from sync.records import visible_to
from sync.state import RecordState, iso, load_states, user_names
from sync.unit_of_work import UnitOfWork

from ..audit import audit, audit_together
from ..auth import require, utcnow
from ..errors import ApiError
from ..extensions import db
from ..requests import endpoint
from ..schemas import (
    PHOTO_COLLECTIONS,
    PHOTO_MAX_BYTES,
    PHOTO_TYPES,
    FullMatch,
    Person,
    Uuid,
    catalogue,
    one_of,
)
from . import store
from .images import Facts, ImageProblem, examine, looks_like_photo
from .models import Photo

bp = Blueprint("photos", __name__)

MAX_BYTES = PHOTO_MAX_BYTES
MAX_PER_RECORD = 5
# A device sends 256 KiB at a time; a chunk may be up to 1 MiB.
MAX_CHUNK = 1024 * 1024
CHUNK_TYPES = ("application/octet-stream", *PHOTO_TYPES)
# A record's page or a review queue shows a record's thumbnails together: the thumbnails of one
# record a supervisor or admin sees within this time are one entry of the audit log, listing
# them (opening a photo is an entry of its own).
ONE_LOOK = timedelta(minutes=10)
RANGE = re.compile(r"bytes (?:(\d{1,9})-(\d{1,9})|\*)/(\d{1,9})")


class PhotoPath(Schema):
    photo_id = Uuid(required=True)


class UploadArgs(Schema):
    collection = fields.String(required=True, validate=one_of(*PHOTO_COLLECTIONS))
    record_id = Uuid(required=True, metadata={"description": "The record the photo is of"})
    sha256 = fields.String(
        required=True,
        validate=FullMatch(r"^[0-9a-f]{64}$"),
        metadata={"description": "SHA-256 of the whole photo (lower-case hex)"},
    )


class UploadHeaders(Schema):
    content_range = fields.String(
        data_key="Content-Range",
        required=True,
        validate=FullMatch(f"^{RANGE.pattern}$"),
        metadata={
            "description": "`bytes <first>-<last>/<size>` for a chunk; `bytes */<size>` (empty "
            "body) asks where to continue"
        },
    )


class PhotoListArgs(Schema):
    collection = fields.String(required=True, validate=one_of(*PHOTO_COLLECTIONS))
    record_id = fields.List(Uuid(), required=True, validate=validate.Length(1, 200))


class PhotoSchema(Schema):
    id = fields.String(required=True, metadata={"format": "uuid"})
    collection = fields.String(required=True, validate=one_of(*PHOTO_COLLECTIONS))
    record_id = fields.String(required=True, metadata={"format": "uuid"})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    content_type = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    uploaded_by = fields.Nested(Person, required=True)
    uploaded_at = fields.String(required=True, metadata={"format": "date-time"})


class UploadState(Schema):
    id = fields.String(required=True, metadata={"format": "uuid"})
    complete = fields.Boolean(required=True)
    offset = fields.Integer(
        required=True, metadata={"description": "Bytes the server has: where to continue"}
    )
    size = fields.Integer(required=True)
    photo = fields.Nested(PhotoSchema, required=True, allow_none=True)


class PhotoList(Schema):
    photos = fields.List(fields.Nested(PhotoSchema), required=True)


def media_root() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


@bp.put("/photos/<photo_id>")
@require("field", "admin")
@endpoint(
    "Upload a photo of a record in chunks (resumable): each answer tells the next offset; a "
    "complete photo answers with itself",
    path=PhotoPath,
    query=UploadArgs,
    headers=UploadHeaders,
    upload=CHUNK_TYPES,
    upload_limit=MAX_CHUNK,
    answer=UploadState,
)
def put_photo(photo_id: str, query: dict[str, Any], headers: dict[str, Any], upload: bytes):
    first, last, size = _range(headers["content_range"])
    sha256 = query["sha256"]
    existing = db.session.get(Photo, photo_id)
    if existing is not None:
        return _already_here(existing, sha256)
    state = _record(query["collection"], query["record_id"])
    if state.deleted:
        raise ApiError(404, "not_found", "No such record.")
    if g.user.role not in FIELD_WRITERS or not g.actor.may_write_in(state.quarter_id):
        raise ApiError(403, "forbidden", "This record is outside your neighbourhoods.")
    if size == 0:
        raise ApiError(400, "bad_request", "A photo is not empty.")
    if size > MAX_BYTES:
        raise ApiError(413, "too_large", f"A photo is at most {MAX_BYTES // 2**20} MB.")
    if _count(state) >= MAX_PER_RECORD:
        raise ApiError(
            422,
            "validation",
            f"A record has at most {MAX_PER_RECORD} photos.",
            {"record_id": [f"At most {MAX_PER_RECORD} photos."]},
        )
    with store.upload(media_root(), photo_id, sha256) as part:
        # Another process may have completed this photo while this one waited for the lock, or
        # been killed between naming the complete file and recording it.
        db.session.rollback()
        existing = db.session.get(Photo, photo_id)
        if existing is not None:
            part.discard()
            return _already_here(existing, sha256)
        if store.photo_path(media_root(), photo_id).exists():
            part.discard()
            return _adopt(photo_id, state, sha256)
        offset = part.offset
        if first is None:
            return _progress(photo_id, offset, size)
        if first != offset:
            raise ApiError(
                409,
                "wrong_offset",
                f"The server has {offset} bytes of this photo; continue from there.",
                {"offset": offset},
            )
        if last is None or last >= size or len(upload) != last - first + 1:
            raise ApiError(
                400, "bad_request", "The body's length does not match its Content-Range."
            )
        if first == 0 and not looks_like_photo(upload[:12]):
            part.discard()
            raise ApiError(
                415, "unsupported_media_type", "This file is not a JPEG, PNG or WebP image."
            )
        offset = part.append(upload)
        if offset < size:
            return _progress(photo_id, offset, size)
        if offset > size:
            part.discard()
            raise ApiError(400, "bad_request", "More bytes arrived than the photo's size.")
        try:
            facts = examine(part.path)
            part.keep(photo_id, sha256, facts.thumbnail)
        except ImageProblem as problem:
            part.discard()
            raise ApiError(problem.status, problem.code, problem.message) from problem
        except store.HashMismatch as exc:
            raise ApiError(
                422,
                "validation",
                "The photo that arrived is not the one announced; send it again from the start.",
                {"sha256": ["Does not match the bytes received."]},
            ) from exc
        return _recorded(photo_id, state, sha256, size, facts)


@bp.get("/photos/<photo_id>")
@require()
@endpoint(
    "A photo, under its record's scope",
    path=PhotoPath,
    files=("image/jpeg", "image/png", "image/webp"),
)
def get_photo(photo_id: str):
    photo = _readable(photo_id)
    path = store.photo_path(media_root(), photo.id)
    if not path.exists():
        raise ApiError(404, "not_found", "This photo's file is missing on the server.")
    audit("photo", f"{photo.collection}/{photo.record_id}", {"photo": photo.id})
    db.session.commit()
    return send_file(path, mimetype=photo.content_type, etag=photo.sha256)


@bp.get("/photos/<photo_id>/thumb")
@require()
@endpoint(
    "A photo's thumbnail (JPEG, at most 320 pixels), under its record's scope",
    path=PhotoPath,
    files=("image/jpeg",),
)
def get_thumbnail(photo_id: str):
    photo = _readable(photo_id)
    root = media_root()
    thumb = store.thumb_path(root, photo.id)
    if not thumb.exists():
        original = store.photo_path(root, photo.id)
        if not original.exists():
            raise ApiError(404, "not_found", "This photo's file is missing on the server.")
        store.write_atomically(thumb, examine(original).thumbnail)
    audit_together(
        "photo", "thumbs", {f"{photo.collection}/{photo.record_id}": [photo.id]}, ONE_LOOK
    )
    db.session.commit()
    return send_file(thumb, mimetype="image/jpeg", etag=photo.sha256 + "-thumb")


@bp.get("/photos")
@require()
@endpoint("The photos of some records (those in scope)", query=PhotoListArgs, answer=PhotoList)
def list_photos(query: dict[str, Any]):
    collection = query["collection"]
    states = load_states(db.session, [(collection, rid) for rid in query["record_id"]])
    seen = [rid for (_, rid), s in states.items() if visible_to(g.actor, s.quarter_id)]
    photos = (
        db.session.execute(
            select(Photo)
            .where(Photo.collection == collection, Photo.record_id.in_(sorted(seen)))
            .order_by(Photo.record_id, Photo.uploaded_at, Photo.id)
        )
        .scalars()
        .all()
    )
    names = user_names(db.session, {p.uploaded_by for p in photos})
    # Each record whose photos were given is a look at it, its list of photos seen within
    # ONE_LOOK one entry (a review queue or a record's page asks again as it is shown again);
    # a record without photos shows nothing of anyone.
    shown: dict[str, list[str]] = {}
    for p in photos:
        shown.setdefault(f"{collection}/{p.record_id}", []).append(p.id)
    audit_together("photo_list", "photos", shown, ONE_LOOK)
    db.session.commit()
    return {"photos": [wire(p, names) for p in photos]}


def wire(photo: Photo, names: dict[str, str]) -> dict[str, Any]:
    """A photo as the API gives it."""
    return {
        "id": photo.id,
        "collection": photo.collection,
        "record_id": photo.record_id,
        "size": photo.size,
        "sha256": photo.sha256,
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "uploaded_by": {"id": photo.uploaded_by, "name": names.get(photo.uploaded_by, "")},
        "uploaded_at": iso(photo.uploaded_at),
    }


def _range(header: str) -> tuple[int | None, int | None, int]:
    """`bytes 0-262143/900000` → (0, 262143, 900000); `bytes */900000` → (None, None, 900000)."""
    match = RANGE.fullmatch(header)
    assert match is not None  # the header's schema checked it
    first, last, size = match.groups()
    if first is None:
        return None, None, int(size)
    if int(first) > int(last):
        raise ApiError(400, "bad_request", "Content-Range: the first byte is after the last.")
    return int(first), int(last), int(size)


def _record(collection: str, record_id: str) -> RecordState:
    """The record a photo is of, in the caller's scope: else 404 or 403 (§3)."""
    state = load_states(db.session, [(collection, record_id)]).get((collection, record_id))
    if state is None:
        raise ApiError(404, "not_found", "No such record.")
    if not visible_to(g.actor, state.quarter_id):
        raise ApiError(403, "forbidden", "This record is outside your neighbourhoods.")
    return state


def _readable(photo_id: str) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise ApiError(404, "not_found", "No such photo.")
    _record(photo.collection, photo.record_id)
    return photo


def _count(state: RecordState) -> int:
    return db.session.execute(
        select(func.count(Photo.id)).where(
            Photo.collection == state.collection, Photo.record_id == state.id
        )
    ).scalar_one()


def _already_here(photo: Photo, sha256: str) -> dict[str, Any]:
    """A complete photo sent again (a lost answer, a retry): its id, never a second copy."""
    _record(photo.collection, photo.record_id)
    if photo.sha256 != sha256:
        raise ApiError(409, "conflict", "Another photo already has this id.")
    return _complete(photo)


def _adopt(photo_id: str, state: RecordState, sha256: str) -> dict[str, Any]:
    """A complete file under the photo's name with no row: the server stopped between the
    two. Its SHA-256 was checked before the rename; check it again and record it."""
    path = store.photo_path(media_root(), photo_id)
    if store.digest(path) != sha256:
        raise ApiError(409, "conflict", "Another photo already has this id.")
    facts = examine(path)
    store.write_atomically(store.thumb_path(media_root(), photo_id), facts.thumbnail)
    return _recorded(photo_id, state, sha256, path.stat().st_size, facts)


def _recorded(
    photo_id: str, state: RecordState, sha256: str, size: int, facts: Facts
) -> dict[str, Any]:
    """Record a photo now complete on disk, and answer it: its row and its record in the feed
    (so other devices learn of it) are written in one transaction, so neither is ever there
    without the other."""
    now = utcnow()
    work = UnitOfWork(db.session, catalogue, g.actor, now)
    # The record as it is under the feed lock: a push may have moved it to another household
    # since the upload began.
    work.load([("photos", photo_id), state.key])
    record = work.state(*state.key) or state
    work.load([("households", record.household_id or "")])
    if work.state("photos", photo_id) is None:
        work.create(catalogue["photos"], photo_id, feed_fields(record, size, sha256, facts), None)
    work.flush()
    photo = Photo(
        id=photo_id,
        collection=state.collection,
        record_id=state.id,
        size=size,
        sha256=sha256,
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        uploaded_by=g.user.id,
        device_id=g.actor.device_id,
        uploaded_at=now,
    )
    db.session.add(photo)
    db.session.commit()
    return _complete(photo)


def feed_fields(state: RecordState, size: int, sha256: str, facts: Facts) -> dict[str, Any]:
    """The fields of a photo's record in the feed (`PhotoRecordSchema`)."""
    return {
        "record_collection": state.collection,
        "record_id": state.id,
        "household_id": state.household_id,
        "size": size,
        "sha256": sha256,
        "content_type": facts.content_type,
        "width": facts.width,
        "height": facts.height,
    }


def _complete(photo: Photo) -> dict[str, Any]:
    names = user_names(db.session, {photo.uploaded_by})
    db.session.commit()
    return {
        "id": photo.id,
        "complete": True,
        "offset": photo.size,
        "size": photo.size,
        "photo": wire(photo, names),
    }


def _progress(photo_id: str, offset: int, size: int) -> dict[str, Any]:
    db.session.commit()
    return {"id": photo_id, "complete": False, "offset": offset, "size": size, "photo": None}

"""Push and pull (§4, §5): thin views over the engine in `sync/`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, g

from sync.ascii_json import ascii_dumps
from sync.feed import pull as pull_changes
from sync.feed import stored_secret
from sync.push import push as push_ops

from .audit import audit
from .auth import aware, require, utcnow
from .errors import ApiError
from .extensions import db
from .requests import endpoint
from .schemas import PullArgs, PullResponse, PushResponse, PushSchema, catalogue

bp = Blueprint("sync", __name__)

MAX_OPS = 1000
SYNC_TOUCH_EVERY = timedelta(minutes=1)


@bp.post("/sync/push")
@require()
@endpoint("Push ops (§4)", body=PushSchema, answer=PushResponse, versioned=True)
def push(body: dict[str, Any]):
    if len(body["ops"]) > MAX_OPS:
        raise ApiError(413, "too_large", f"At most {MAX_OPS} ops per push; nothing was applied.")
    actor = g.actor
    if body["device_id"]:
        actor = replace(actor, device_id=body["device_id"])
    now = utcnow()
    results = push_ops(db.session, catalogue, actor, body["ops"], now)
    touch_last_sync(now)
    db.session.commit()
    return {"results": results}


@bp.get("/sync/pull")
@require()
@endpoint("Pull changes after a cursor (§5)", query=PullArgs, answer=PullResponse, versioned=True)
def pull(query: dict[str, Any]):
    page = pull_changes(
        db.session,
        g.actor.quarters,
        query["cursor"],
        query["limit"],
        user=g.user.id,
        secret=cursor_secret(),
    )
    # A supervisor's or admin's pull is a bulk read of their scope: noted when it carried records.
    sent = sum(1 for change in page["changes"] if change["op"] != "evict")
    if sent:
        audit("pull", "sync/pull", {"records": sent})
    touch_last_sync(utcnow())
    db.session.commit()
    # In ASCII (sync.ascii_json): the phone reads tens of megabytes of pages on a first sync.
    return current_app.response_class(ascii_dumps(page), mimetype="application/json")


def touch_last_sync(now: datetime) -> None:
    """Note the device's sync on its token, at most once a minute: the devices list shows it to
    the minute, and writing the token's row on every push or pull is a write of its own."""
    last = aware(g.token.last_sync_at)
    if last is None or now - last > SYNC_TOUCH_EVERY:
        g.token.last_sync_at = now


def cursor_secret() -> bytes:
    """The secret that signs cursors: `DOORSTEP_SECRET_KEY`, else the one `init-db` stored."""
    configured = current_app.config["SECRET_KEY"]
    return (configured or stored_secret(db.session)).encode()

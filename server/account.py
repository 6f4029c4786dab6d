"""The signed-in user's own account (§9): anyone changes their own password.

The current password proves that whoever holds this device is still its user, so a wrong one
counts as a failed sign-in (§3 throttle). Whoever knew the old password is then signed out of
every other device; this one stays signed in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from .admin import revoke_all
from .audit import audit
from .auth import hash_password, password_attempt, require, utcnow
from .errors import ApiError
from .extensions import db
from .requests import endpoint
from .schemas import PasswordChangeSchema, RevokedResponse

bp = Blueprint("account", __name__)


@bp.post("/me/password")
@require()
@endpoint(
    "Change one's own password; every other device is signed out (§9)",
    body=PasswordChangeSchema,
    answer=RevokedResponse,
)
def change_password(body: dict[str, Any]):
    user, token = g.user, g.token
    if password_attempt(user.username, body["current_password"]) is None:
        raise ApiError(
            403,
            "wrong_password",
            "The current password is wrong.",
            {"current_password": ["Wrong password."]},
        )
    user.password_hash = hash_password(body["new_password"])
    user.updated_at = utcnow()
    revoked = revoke_all(user, keep=token)
    audit("change_password", f"users/{user.id}", {"signed_out": revoked}, everyone=True)
    db.session.commit()
    return {"revoked": revoked}

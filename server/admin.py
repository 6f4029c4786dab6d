"""Users (§9, admin only): create, rename, change role, neighbourhoods and unit, deactivate, sign
out devices. Every one of these changes is audited; setting a password is noted without it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g
from sqlalchemy import func, select, update
from ua_parser import parse as parse_user_agent

from sync.models import Record
from sync.state import iso

from .audit import audit
from .auth import aware, hash_password, require, user_to_wire, utcnow
from .errors import ApiError
from .extensions import db
from .models import Token, User
from .requests import endpoint
from .schemas import (
    DeviceList,
    DevicePath,
    RevokedResponse,
    UserCreateSchema,
    UserList,
    UserPatchSchema,
    UserPath,
    UserSchema,
)
from .users import NEEDS_A_QUARTER, add_user, lacks_quarters

bp = Blueprint("admin", __name__)

#: What decides what a user may reach; an admin's change of any of them is audited.
ACCESS = ("role", "quarters", "unit_id", "active")


def _user(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise ApiError(404, "not_found", "No such user.")
    return user


def _check_quarters(quarters: list[str]) -> list[str]:
    """Every neighbourhood named must exist (422 otherwise)."""
    wanted = sorted(set(quarters))
    if not wanted:
        return []
    found = set(
        db.session.execute(
            select(Record.id).where(
                Record.collection == "quarters", Record.id.in_(wanted), Record.deleted.is_(False)
            )
        ).scalars()
    )
    missing = [q for q in wanted if q not in found]
    if missing:
        raise ApiError(
            422,
            "validation",
            "Unknown neighbourhood.",
            {"quarters": [f"No such quarter: {m}" for m in missing]},
        )
    return wanted


def _check_unit(unit_id: str | None) -> str | None:
    """The unit named must exist (422 otherwise); None means no unit."""
    if unit_id is None:
        return None
    found = db.session.execute(
        select(Record.id).where(
            Record.collection == "units", Record.id == unit_id, Record.deleted.is_(False)
        )
    ).first()
    if found is None:
        raise ApiError(422, "validation", "Unknown unit.", {"unit_id": ["No such unit."]})
    return unit_id


def _require_quarters(role: str, quarters: list[str]) -> None:
    """A field or supervisor user needs a neighbourhood (422 naming `quarters`)."""
    if lacks_quarters(role, quarters):
        raise ApiError(422, "validation", NEEDS_A_QUARTER, {"quarters": [NEEDS_A_QUARTER]})


def _active_admins() -> int:
    return db.session.execute(
        select(func.count()).where(User.role == "admin", User.active.is_(True))
    ).scalar_one()


def revoke_all(user: User, *, keep: Token | None = None, device_id: str | None = None) -> int:
    """Sign a user out of every device (a lost phone), or of one (`device_id`); `keep` stays
    signed in (the admin changing their own password)."""
    which = [Token.user_id == user.id, Token.revoked_at.is_(None)]
    if keep is not None:
        which.append(Token.id != keep.id)
    if device_id is not None:
        which.append(Token.device_id == device_id)
    result = db.session.execute(update(Token).where(*which).values(revoked_at=utcnow()))
    return result.rowcount or 0


def _browser(family: str) -> str:
    """`Chrome Mobile` → `Chrome`, `Mobile Safari` → `Safari`: the phone is implied."""
    return family.removesuffix(" Mobile").removeprefix("Mobile ").strip()


def device_label(device_name: str | None, device_id: str | None) -> str:
    """What to call a device in the admin's list: `Chrome 131 · Android 14`.

    The app sends that itself where the browser tells it (client hints); other browsers send
    their user agent, read here. Anything else is shown as it came, else the device's id.
    """
    name = (device_name or "").strip()
    if name.startswith("Mozilla/"):
        found = parse_user_agent(name)
        if found.user_agent is not None:
            browser = " ".join(
                filter(None, [_browser(found.user_agent.family), found.user_agent.major])
            )
            system = (
                " ".join(filter(None, [found.os.family, found.os.major]))
                if found.os is not None and found.os.family != "Other"
                else ""
            )
            return " · ".join(filter(None, [browser, system]))
    return name or device_id or "?"


@bp.get("/users")
@require("admin")
@endpoint("Users", answer=UserList)
def list_users():
    users = db.session.execute(select(User).order_by(User.username)).scalars().all()
    return {"users": [user_to_wire(u) for u in users]}


@bp.post("/users")
@require("admin")
@endpoint("Create a user (§9)", body=UserCreateSchema, answer=UserSchema, status=201)
def create_user(body: dict[str, Any]):
    username = body["username"].lower()
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise ApiError(
            409, "username_taken", "That username is taken.", {"username": ["Already taken."]}
        )
    quarters = _check_quarters(body["quarters"])
    _require_quarters(body["role"], quarters)
    user = add_user(
        db.session,
        username,
        body["password"],
        role=body["role"],
        display_name=body["display_name"],
        quarters=quarters,
        unit_id=_check_unit(body["unit_id"]),
    )
    audit("create_user", f"users/{user.id}", {name: getattr(user, name) for name in ACCESS})
    db.session.commit()
    return user_to_wire(user), 201


@bp.patch("/users/<user_id>")
@require("admin")
@endpoint("Change a user (§9)", path=UserPath, body=UserPatchSchema, answer=UserSchema)
def update_user(user_id: str, body: dict[str, Any]):
    user = _user(user_id)
    before = {name: getattr(user, name) for name in ACCESS}
    old_name = user.display_name
    if "display_name" in body:
        user.display_name = body["display_name"]
    demoted = body.get("role", "admin") != "admin" or body.get("active") is False
    if user.role == "admin" and user.active and demoted and _active_admins() <= 1:
        raise ApiError(
            409, "last_admin", "This is the last active admin; make another admin first."
        )
    if "role" in body:
        user.role = body["role"]
    if "quarters" in body:
        user.quarters = _check_quarters(body["quarters"])
    if "unit_id" in body:
        # Records the user made before keep the unit they were made for (meta.unit_id).
        user.unit_id = _check_unit(body["unit_id"])
    if "role" in body or "quarters" in body:
        _require_quarters(user.role, user.quarters)
    if "password" in body:
        user.password_hash = hash_password(body["password"])
        # Every other sign-in of that user ends (§9): whoever knew the old one is out.
        signed_out = revoke_all(user, keep=g.token)
        audit("reset_password", f"users/{user.id}", {"signed_out": signed_out})
    if "active" in body:
        user.active = body["active"]
        if not user.active:
            revoke_all(user)
    changed = {name: getattr(user, name) for name in ACCESS if getattr(user, name) != before[name]}
    if changed:
        audit("change_user", f"users/{user.id}", changed)
    if user.display_name != old_name:
        audit(
            "rename_user",
            f"users/{user.id}",
            {"old_name": old_name, "new_name": user.display_name},
        )
    user.updated_at = utcnow()
    db.session.commit()
    return user_to_wire(user)


@bp.post("/users/<user_id>/revoke-tokens")
@require("admin")
@endpoint("Sign a user out of every device", path=UserPath, answer=RevokedResponse)
def revoke_tokens(user_id: str):
    user = _user(user_id)
    count = revoke_all(user)
    audit("sign_out_user", f"users/{user.id}", {"signed_out": count})
    db.session.commit()
    return {"revoked": count}


@bp.post("/users/<user_id>/devices/<device_id>/revoke")
@require("admin")
@endpoint("Sign a user out of one device (§9)", path=DevicePath, answer=RevokedResponse)
def revoke_device(user_id: str, device_id: str):
    user = _user(user_id)
    known = db.session.execute(
        select(Token.device_name)
        .where(Token.user_id == user.id, Token.device_id == device_id)
        .order_by(Token.last_used_at.desc())
        .limit(1)
    ).first()
    if known is None:
        raise ApiError(404, "not_found", "This user has never signed in on that device.")
    count = revoke_all(user, device_id=device_id)
    audit(
        "sign_out_user",
        f"users/{user.id}",
        {"device": device_label(known.device_name, device_id), "signed_out": count},
    )
    db.session.commit()
    return {"revoked": count}


@bp.get("/users/<user_id>/devices")
@require("admin")
@endpoint("A user's devices", path=UserPath, answer=DeviceList)
def user_devices(user_id: str):
    user = _user(user_id)
    now = utcnow()
    tokens = (
        db.session.execute(
            select(Token).where(Token.user_id == user.id).order_by(Token.last_used_at.desc())
        )
        .scalars()
        .all()
    )
    devices: list[dict[str, Any]] = [
        {
            "device_id": t.device_id,
            "device_name": t.device_name,
            "device_label": device_label(t.device_name, t.device_id),
            "signed_in_at": iso(t.created_at),
            "last_used_at": iso(t.last_used_at),
            "last_sync_at": iso(t.last_sync_at),
            "active": t.revoked_at is None and aware(t.expires_at) > now,
        }
        for t in tokens
    ]
    return {"devices": devices}

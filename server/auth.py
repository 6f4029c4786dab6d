"""Sign-in, tokens and roles (§3).

Tokens are opaque random strings; only their SHA-256 is stored. They are per device, revocable,
and expire `TOKEN_DAYS` after their last use. Passwords use werkzeug's slow salted hash.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, request
from sqlalchemy import func, select, text
from werkzeug.security import check_password_hash, generate_password_hash

from sync.actor import Actor
from sync.records import live_quarters

from .errors import ApiError
from .extensions import db
from .models import LoginAttempt, Token, User
from .requests import endpoint
from .schemas import (
    ROLES,
    LoginResponse,
    LoginSchema,
    LogoutResponse,
    LogoutSchema,
    UserSchema,
    user_schema,
)

bp = Blueprint("auth", __name__)

THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
TOUCH_EVERY = timedelta(minutes=1)
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummysa$" + "0" * 128

F = TypeVar("F", bound=Callable[..., Any])


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_METHOD"])


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_to_wire(user: User) -> dict[str, Any]:
    return user_schema.dump(user)


def actor_for(user: User, device_id: str | None) -> Actor:
    """The engine's view of a user: role, neighbourhoods that still exist (None = everywhere,
    for admins), and unit."""
    quarters = None if user.role == "admin" else live_quarters(db.session, user.quarters or [])
    return Actor(
        user_id=user.id,
        role=user.role,
        quarters=quarters,
        device_id=device_id,
        unit_id=user.unit_id,
    )


def current_token() -> Token:
    """Authenticate the request's bearer token (401 if missing, unknown, expired or revoked).

    A sign-in that has ended for good says why in `details.reason` (`revoked`, `expired`,
    `deactivated`): the app then deletes what it pulled, keeping only unsent changes.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError(401, "unauthorized", "Sign in first.")
    token = db.session.execute(
        select(Token).where(Token.token_hash == token_digest(raw.strip()))
    ).scalar_one_or_none()
    now = utcnow()
    if token is None:
        raise ApiError(401, "unauthorized", "This sign-in is not known here; sign in again.")
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        raise _ended("deactivated", "This account is not active.")
    if token.revoked_at is not None:
        raise _ended("revoked", "You were signed out of this device; sign in again.")
    if aware(token.expires_at) <= now:
        raise _ended("expired", "Your sign-in has expired; sign in again.")
    if now - aware(token.last_used_at) > TOUCH_EVERY:
        token.last_used_at = now
        token.expires_at = now + timedelta(days=current_app.config["TOKEN_DAYS"])
        db.session.commit()  # a short transaction of its own, before the request's real work
    g.user, g.token = user, token
    g.actor = actor_for(user, token.device_id)
    return token


def _ended(reason: str, message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"reason": reason})


def require(*roles: str) -> Callable[[F], F]:
    """Authenticate, then allow only these roles (all roles when none is given): else 403."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            current_token()
            if roles and g.user.role not in roles:
                raise ApiError(403, "forbidden", "Your role may not do this.")
            return view(*args, **kwargs)

        guarded.roles = roles or ROLES  # type: ignore[attr-defined]  # for the OpenAPI
        return guarded  # type: ignore[return-value]

    return wrap


@bp.post("/auth/login")
@endpoint("Sign in on a device (§3)", body=LoginSchema, answer=LoginResponse)
def login(body: dict[str, Any]):
    now = utcnow()
    username = body["username"].strip().lower()
    if len(username) > 64:  # lower-casing can lengthen ("İ"); no such user can exist
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    user = password_attempt(username, body["password"])
    if user is None:
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=current_app.config["TOKEN_DAYS"])
    db.session.add(
        Token(
            id=str(uuid.uuid4()),
            user_id=user.id,
            token_hash=token_digest(token),
            device_id=body["device_id"],
            device_name=body["device_name"] or request.user_agent.string[:200],
            created_at=now,
            last_used_at=now,
            expires_at=expires,
        )
    )
    db.session.commit()
    return {
        "token": token,
        "expires_at": expires.isoformat(timespec="seconds"),
        "user": user_to_wire(user),
    }


def password_attempt(username: str, password: str) -> User | None:
    """One try at a user's password, throttled per username (§3): the user if it is right and
    they are active, else None (the failure counted and committed); 429 after
    `THROTTLE_FAILURES` failures within `THROTTLE_WINDOW`."""
    now = utcnow()
    # The attempt is written (as a failure) before it is judged, under a per-username lock,
    # so concurrent attempts on several processes are counted one after another (§3).
    hold_attempts(username)
    attempt = LoginAttempt(username=username, at=now, succeeded=False)
    db.session.add(attempt)
    db.session.flush()
    failures = db.session.execute(
        select(func.count()).where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > now - THROTTLE_WINDOW,
            LoginAttempt.id != attempt.id,
        )
    ).scalar_one()
    if failures >= THROTTLE_FAILURES:
        db.session.rollback()  # a refused attempt is not counted
        raise ApiError(
            429, "too_many_attempts", "Too many failed sign-ins; try again in 15 minutes."
        )
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # Hash even for an unknown user, so the answer takes as long either way.
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not (ok and user is not None and user.active):
        db.session.commit()
        return None
    attempt.succeeded = True
    return user


def hold_attempts(username: str) -> None:
    """Serialise sign-ins for one username until this transaction ends, across processes.

    PostgreSQL: a transaction-level advisory lock on the name. SQLite needs none: the attempt's
    INSERT that follows takes the database's write lock (one writer at a time) until commit.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"doorstep-login:{username}"},
        )


@bp.post("/auth/logout")
@require()
@endpoint("Sign out this device", body=LogoutSchema, body_optional=True, answer=LogoutResponse)
def logout(body: dict[str, Any]):
    g.token.revoked_at = utcnow()
    db.session.commit()
    return {"status": "signed_out"}


@bp.get("/me")
@require()
@endpoint("The signed-in user", answer=UserSchema)
def me():
    return user_to_wire(g.user)

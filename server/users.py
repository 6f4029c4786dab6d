"""Creating users: one way, whoever asks (the API, the command line, the demo seed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from sync.models import User

from .auth import hash_password, utcnow


def add_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: str,
    display_name: str | None = None,
    quarters: Iterable[str] = (),
    unit_id: str | None = None,
) -> User:
    """Add a user (username lower-cased, password hashed); the caller commits."""
    now = utcnow()
    user = User(
        id=str(uuid.uuid4()),
        username=username.lower(),
        display_name=display_name or username,
        role=role,
        quarters=list(quarters),
        unit_id=unit_id,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    return user

"""Creating users: one way, whoever asks (the API, the command line, the demo seed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from .auth import hash_password, utcnow
from .models import User

# Field staff and supervisors see only their neighbourhoods (domain.md "Who uses it"): without
# one they could do nothing at all, so they need at least one.
SCOPED_ROLES = frozenset({"field", "supervisor"})
NEEDS_A_QUARTER = "A field or supervisor user needs at least one neighbourhood."


def lacks_quarters(role: str, quarters: Iterable[str]) -> bool:
    """True for a field or supervisor user with no neighbourhood."""
    return role in SCOPED_ROLES and not list(quarters)


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

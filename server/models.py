"""Tables of the server: the people who sign in, their sign-ins, and who looked at what.

Their own metadata beside the engine's (`sync.models`); Alembic sees both (`METADATAS`). The
engine reads `users` by name only (display names, a user's unit), never through this model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sync import models as engine
from sync.models import NAMING, TS, UUID_LEN


class Base(DeclarativeBase):
    """Declarative base of the server's tables (Flask-SQLAlchemy's model class)."""

    metadata = MetaData(naming_convention=NAMING)


# Every table of the database, for migrations and for tests that empty it.
METADATAS = (engine.Base.metadata, Base.metadata)


class User(Base):
    """A person who signs in: field staff, supervisor or admin."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))
    quarters: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The unit (a `units` record) the person works for; set by admins.
    unit_id: Mapped[str | None] = mapped_column(String(UUID_LEN))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)


class Token(Base):
    """A sign-in on one device. Only the token's SHA-256 is stored (§3)."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_id: Mapped[str | None] = mapped_column(String(100))
    device_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TS)
    last_used_at: Mapped[datetime] = mapped_column(TS)
    last_sync_at: Mapped[datetime | None] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)


class LoginAttempt(Base):
    """One sign-in attempt, kept for throttling (5 failures / 15 minutes per username)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TS)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """Who looked at or exported personal data, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(TS, index=True)
    user_id: Mapped[str] = mapped_column(String(UUID_LEN))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

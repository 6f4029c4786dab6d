"""Helpers for tests and benchmarks (as `flask.testing` is for Flask's): throwaway databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

# The server tests and benches create their databases on; override with DOORSTEP_TEST_PG.
ADMIN_URL = os.environ.get("DOORSTEP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class PostgresUnavailable(Exception):
    """No PostgreSQL server answered at `ADMIN_URL`."""


@contextmanager
def temporary_postgres(prefix: str = "doorstep_test") -> Iterator[str]:
    """Create a uniquely named PostgreSQL database, yield its SQLAlchemy URL, then drop it."""
    import psycopg

    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise PostgresUnavailable(f"PostgreSQL is not reachable at {ADMIN_URL}: {exc}") from exc
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

"""Record and op ids: UUIDs, kept in their canonical lower-case hyphenated form."""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_uuid(value: Any) -> str | None:
    """The lower-case hyphenated form of a UUID, or None when `value` is not one."""
    if not isinstance(value, str):
        return None
    # A push asks about each op id, record id and reference several times: the answers for
    # strings the length of an id are remembered (longer ones, which a device may send, are not).
    return _remembered(value) if len(value) <= 45 else _canonical(value)


def _canonical(value: str) -> str | None:
    if CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


_remembered = functools.lru_cache(maxsize=8192)(_canonical)

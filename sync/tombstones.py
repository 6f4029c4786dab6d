"""Tombstone retention (§5): old tombstones go; cursors from before them get 410."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from . import derived
from .feed import SequenceLock
from .models import FeedState, Move, Record


def purge(session: Session, deleted_before: datetime) -> int:
    """Remove records deleted before `deleted_before`; raise the feed's purge mark past them."""
    lock = SequenceLock(session)
    doomed = Record.deleted.is_(True) & (Record.updated_at < deleted_before)
    highest = session.execute(select(func.max(Record.seq)).where(doomed)).scalar_one_or_none()
    if highest is None:
        return 0
    derived.forget_deleted(session.connection(), doomed)
    count = session.execute(delete(Record).where(doomed)).rowcount or 0
    session.execute(delete(Move).where(Move.seq <= highest))
    session.execute(update(FeedState).where(FeedState.id == 1).values(purged_seq=highest))
    lock.close()
    return count

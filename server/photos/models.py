"""The table of complete photos: which record each belongs to, what it is, who sent it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import TS, UUID_LEN

from ..models import Base


class Photo(Base):
    """A photo stored whole under the media folder; a partial upload has no row yet."""

    __tablename__ = "photos"
    __table_args__ = (Index("ix_photos_record", "collection", "record_id"),)

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    collection: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(UUID_LEN))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(UUID_LEN))
    device_id: Mapped[str | None] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(TS)

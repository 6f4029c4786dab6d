"""The town's clock: Vietnam (UTC+7, no daylight saving). Users' dates are days there."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

VN = timezone(timedelta(hours=7))


def local_midnight(day: date) -> datetime:
    """Midnight in Vietnam at the start of `day`, as UTC (how times are stored)."""
    return datetime.combine(day, time.min, tzinfo=VN).astimezone(UTC)


def local_today() -> date:
    return datetime.now(VN).date()

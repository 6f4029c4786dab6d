"""The town's clock: Vietnam (UTC+7, no daylight saving). Users' dates are days there."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

VN = timezone(timedelta(hours=7))
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def local_midnight(day: date, *, next_day: bool = False) -> datetime:
    """Midnight in Vietnam at the start of `day` (or of the day after), as UTC (how times are
    stored). Days at the ends of the calendar (0001-01-01, 9999-12-31) give the earliest or
    latest moment there is instead of overflowing."""
    try:
        midnight = datetime.combine(day, time.min, tzinfo=VN)
        if next_day:
            midnight += timedelta(days=1)
        return midnight.astimezone(UTC)
    except OverflowError:
        return EARLIEST if day.year == 1 else LATEST


def local_today() -> date:
    return datetime.now(VN).date()
